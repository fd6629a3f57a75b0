"""E-mail action links: in the mail, confirmed before acting, single-use; expired, reused and tampered refused.
The daemon runs on a virtual clock (tests/interact/conftest.py): a link's expiry is judged against it exactly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from monitor.alerts.notifiers.email import EmailConfig, build_message
from monitor.clock import VirtualClock
from monitor.config import load_config
from monitor.interact.email_links import LinkError, make_link, read_link
from monitor.models import Incident
from monitor.service import Service
from monitor.store_actions import ActionStore
from tests.support import WordScorer, write_config

from .conftest import NOW

KEY = "mail-link-key-0123456789"
INC = "acme-20260301-080000"


@pytest.fixture
async def mail_daemon(tmp_path: Path) -> AsyncIterator[tuple[Service, str]]:
    cfg = write_config(tmp_path, f"""\
        store: {{path: state.db}}
        playbooks: @PLAYBOOKS@
        server: {{port: 0}}
        runtime: {{drain_timeout: 1s}}
        notifiers:
          - kind: email
            host: 127.0.0.1
            port: 9
            security: none
            sender: Brand Monitor <monitor@acme.example>
            to: [crisis@acme.example]
            action_url: https://monitor.acme.example
            action_secret: {KEY}
        """)
    svc = Service(load_config(cfg), VirtualClock(NOW), scorer=WordScorer())
    await svc.start()
    assert svc.rt is not None
    now = svc.clock.now()
    svc.rt.store.save_incident("acme", Incident(id=INC, brand="acme", category=None, level="yellow",
                                                status="open", opened_at=now, level_since=now, last_signal_at=now))
    try:
        yield svc, f"http://127.0.0.1:{svc.port}"
    finally:
        await svc.shutdown()


def local(url: str, base: str) -> str:
    return url.replace("https://monitor.acme.example", base)


def test_the_mail_carries_links_that_verify(make_alert: Any) -> None:
    cfg = EmailConfig.model_validate({"kind": "email", "sender": "m@acme.example", "to": ["pr@acme.example"],
                                      "action_url": "https://monitor.acme.example/", "action_secret": KEY})
    now = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    msg = build_message(make_alert("yellow", "opened"), cfg, "now", links_at=now)
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    urls = [line.split(": ", 1)[1] for line in text.splitlines() if "/act/" in line]
    assert [line.split(":")[0].strip() for line in text.splitlines() if "/act/" in line] == [
        "Acknowledge", "Resolve", "Not a crisis"]
    links = [read_link([KEY], u.rsplit("/", 1)[1], now) for u in urls]
    assert [(lk.action, lk.incident_id) for lk in links] == [(a, make_alert().incident_id)
                                                           for a in ("ack", "resolve", "false_alarm")]
    assert all(lk.expires == int((now + timedelta(hours=24)).timestamp()) for lk in links)
    assert all(u in msg.get_body(("html",)).get_content() for u in urls)  # type: ignore[union-attr]
    resolved = build_message(make_alert("yellow", "resolved"), cfg, "now", links_at=now)
    assert "/act/" not in resolved.as_string()


async def test_get_confirms_post_acts_once(mail_daemon: tuple[Service, str]) -> None:
    svc, base = mail_daemon
    assert svc.rt is not None
    url = local(make_link("https://monitor.acme.example", KEY, INC, "ack", NOW + timedelta(hours=1)), base)
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as r:  # a link scanner fetching the page acts nothing
            assert r.status == 200 and "<form method='post'>" in await r.text()
        found = svc.rt.store.get_incident(INC)
        assert found is not None and found[1].acked_at is None
        async with http.post(url, data={"name": "Mia"}) as r:
            assert r.status == 200 and "Acknowledged by Mia (e-mail)" in await r.text()
        async with http.post(url, data={"name": "Mia"}) as r:
            assert r.status == 410
        async with http.get(url) as r:
            assert r.status == 410
    found = svc.rt.store.get_incident(INC)
    assert found is not None and found[1].acked_by == "Mia (e-mail)"
    log = ActionStore(svc.rt.store).audit_log(INC)
    assert [(e["actor"], e["channel"], e["action"]) for e in log] == [("Mia (e-mail)", "email", "ack")]


@pytest.mark.parametrize("case", ["expired", "expiring-now", "tampered", "other-key", "garbage"])
async def test_bad_links_are_refused_and_change_nothing(mail_daemon: tuple[Service, str], case: str) -> None:
    svc, base = mail_daemon
    assert svc.rt is not None
    later = NOW + timedelta(hours=1)
    url = make_link(base, KEY, INC, "resolve", later)
    if case == "expired":
        url = make_link(base, KEY, INC, "resolve", NOW - timedelta(seconds=1))
    elif case == "expiring-now":  # a link is good until its expiry, not at it
        url = make_link(base, KEY, INC, "resolve", NOW)
    elif case == "tampered":  # the same MAC on a payload that says "another incident"
        good, other = url.rsplit("/", 1)[1], make_link(base, KEY, "acme-other", "resolve", later).rsplit("/", 1)[1]
        url = f"{base}/act/{other.split('.')[0]}.{good.split('.')[1]}"
    elif case == "other-key":
        url = make_link(base, "not-our-key", INC, "resolve", later)
    else:
        url = f"{base}/act/bm90IGEgbGluaw.AAAA"
    async with aiohttp.ClientSession() as http, http.post(url, data={}) as r:
        assert r.status == 403
    found = svc.rt.store.get_incident(INC)
    assert found is not None and found[1].status == "open"
    assert ActionStore(svc.rt.store).audit_log() == []


def test_read_link_reasons() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    token = make_link("x", KEY, INC, "ack", now + timedelta(minutes=1)).rsplit("/", 1)[1]
    assert read_link([KEY], token, now).action == "ack"
    with pytest.raises(LinkError, match="expired"):
        read_link([KEY], token, now + timedelta(minutes=1))
