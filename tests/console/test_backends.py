"""The console's queries on both store backends: accounts and sessions, hourly counts, evidence pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from monitor.alerts.settings import BaselineConfig
from monitor.console import data
from monitor.console.users import Accounts
from tests.servers import backend_store

NOW = datetime(2026, 3, 8, 12, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    with backend_store(request.param, tmp_path) as s:
        yield s


def _post(store: Any, key: str, ts: datetime, source: str, brands: list[str], label: str) -> None:
    store.save_post(key, ts, source, brands, label, 0.9, "m", {"type": "post", "text": f"text of {key}",
                    "url": "https://example.com/" + key}, [])


def test_accounts_and_sessions(store: Any) -> None:
    accounts = Accounts(store)
    accounts.add("alice", "responder", "a long password", NOW, "Asia/Tokyo")
    assert accounts.check("alice", "a long password").timezone == "Asia/Tokyo"
    assert accounts.check("alice", "wrong password") is None
    sid = accounts.open_session("alice", NOW, timedelta(hours=1))
    s = accounts.session(sid, NOW + timedelta(minutes=5), timedelta(minutes=30))
    assert s.name == "alice" and s.role == "responder" and len(s.csrf) > 30
    assert accounts.session(sid, NOW + timedelta(hours=1), timedelta(hours=2)) is None


def test_hourly_counts_brand_rows_and_evidence_pages(store: Any) -> None:
    hour = NOW.replace(minute=0)
    with store.transaction():
        for i in range(120):  # two hours of acme negatives on two platforms, a few relabelled
            ts = hour - timedelta(minutes=i)
            _post(store, f"w:{i}", ts, "weibo" if i % 2 else "news", ["acme"], "negative")
        _post(store, "w:other", hour, "weibo", ["acmex"], "negative")  # LIKE matches, the brand does not
        _post(store, "w:both", hour, "weibo", ["beta", "acme"], "neutral")
        _post(store, "w:old", NOW - timedelta(days=6), "news", ["acme"], "negative")
    store.save_relabel("w:1", "neutral", "dana", NOW, None)
    counts = data.hourly_negative(store, "acme", hour - timedelta(hours=3), NOW)
    h = int(hour.timestamp() // 3600)
    assert counts["news"][h] == 1 and counts["weibo"].get(h, 0) == 0  # minute 0 only, w:0 on news
    assert sum(counts["weibo"].values()) == 59 and sum(counts["news"].values()) == 60  # w:1 relabelled
    total, page = data.evidence_page(store, "acme", hour - timedelta(hours=3), NOW, 0)
    assert total == 120 and len(page) == data.PAGE and page[0]["ts"] == hour  # relabelled posts still listed
    total, last = data.evidence_page(store, "acme", hour - timedelta(hours=3), NOW, 2)
    assert len(last) == 20 and all(p["url"].startswith("https://") for p in last)
    rt = SimpleNamespace(store=store, engine=SimpleNamespace(brand_names={"acme": "Acme"}),
                         loaded=SimpleNamespace(rules=SimpleNamespace(brands={"acme": None}),
                                                config=SimpleNamespace(engine=SimpleNamespace(
                                                    baseline=BaselineConfig()))))
    (row,) = data.brand_rows(rt, NOW)
    assert row["week"] == {"n": 122, "neg": 120} and row["day"] == {"n": 121, "neg": 119}
    assert sum(row["spark"]) == 120 and row["spark"][-1] == 1  # this hour: w:0 (w:both is neutral)


def test_an_incidents_chart_from_its_store_alone(store: Any) -> None:
    from monitor.models import Incident

    hour = NOW.replace(minute=0)
    for i in range(12):
        _post(store, f"r:{i}", hour - timedelta(minutes=5 * i), "reddit", ["acme"], "negative")
    inc = Incident(id="acme-1", brand="acme", category=None, level="blue", status="open", opened_at=hour,
                   level_since=hour, last_signal_at=hour, trigger="blue.platform_posts")
    store.save_incident("acme", inc)
    store.add_notification({"id": "acme-1#1", "incident_id": "acme-1", "ts": hour.isoformat(), "brand": "acme",
                            "level": "blue", "transition": "opened"}, hour, [])
    loaded = SimpleNamespace(config=SimpleNamespace(engine=SimpleNamespace(baseline=BaselineConfig())))
    svg = data.incident_chart(store, loaded, inc, NOW, name="Acme")
    assert 'data-platform="reddit"' in svg and 'class="mark mark-blue"' in svg and "Acme" in svg
    assert "reddit: 12 negative at" not in svg and "reddit: 1 negative at 2026-03-08 12:00 UTC" in svg
