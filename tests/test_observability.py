"""Observing a running daemon with standard tools: /metrics after a drill-like replay, and a quiet log."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from monitor.clock import SystemClock
from monitor.config import load_config
from monitor.service import Service
from tests.support import WordScorer, serve, wait_until, write_config

NEGATIVE = 14


def _feed(path: Path) -> int:
    """14 angry reddit posts (a blue incident), calm forum chatter, one repeat and one broken line."""
    start = datetime.now(UTC) - timedelta(minutes=30)
    lines = []
    for i in range(NEGATIVE + 6):
        ts = (start + timedelta(seconds=20 * i)).isoformat()
        if i < NEGATIVE:
            e = {"type": "post", "ts": ts, "source": "reddit", "id": f"r{i}", "kind": "social", "author": f"u{i}",
                 "text": f"Acme kettle broken again, worst product, I am angry ({i})"}
        else:
            e = {"type": "post", "ts": ts, "source": "forum", "id": f"f{i}", "text": f"weather chat {i}"}
        lines.append(json.dumps(e))
    lines.append(lines[0])  # the same post again: a duplicate
    lines.append("{not json")
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples}


async def test_metrics_after_a_replay_with_a_failing_then_succeeding_notifier(tmp_path: Path) -> None:
    hits: list[int] = []

    async def hook(request: web.Request) -> web.Response:
        await request.read()
        hits.append(500 if not hits else 200)  # the first delivery fails, every later one goes through
        return web.Response(status=hits[-1])

    server = await serve({("POST", "/hook"): hook})
    lines = _feed(tmp_path / "feed.jsonl")
    cfg = write_config(tmp_path, f"""\
        store: {{path: state.db}}
        playbooks: @PLAYBOOKS@
        server: {{port: 0}}
        dispatch: {{retry_base: 0.2s, retry_max: 0.2s, jitter: 0}}
        sources:
          - {{kind: replay, name: feed, path: {tmp_path / 'feed.jsonl'}, batch_size: 8}}
        notifiers:
          - {{kind: webhook, name: hook, url: "{server.make_url('/hook')}"}}
        """)
    svc = Service(load_config(cfg), SystemClock(), scorer=WordScorer())
    await svc.start()
    try:
        rt = svc.rt
        assert rt is not None
        await wait_until(lambda: rt.store.get_cursor("feed") == lines)
        await wait_until(lambda: len(hits) >= 2 and not rt.store.pending_deliveries(datetime.now(UTC) + timedelta(1)))
        notes = rt.store.notifications()
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{svc.port}/metrics") as r:
            assert r.status == 200 and r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            text = await r.text()
    finally:
        await svc.shutdown()
        await server.close()
    kinds = {f.name: f.type for f in text_string_to_metric_families(text)}
    assert kinds["brand_monitor_deliveries"] == "counter" and kinds["brand_monitor_events"] == "counter"
    assert kinds["brand_monitor_ingest_to_queued_seconds"] == "histogram"
    assert kinds["brand_monitor_open_incidents"] == "gauge"
    got = _samples(text)

    def value(name: str, **labels: str) -> float:
        return got.get((f"brand_monitor_{name}", tuple(sorted(labels.items()))), 0.0)

    opened = [n for n in notes if n["transition"] == "opened"]
    assert [n["level"] for n in opened] == ["blue"]
    assert value("incidents_opened_total", level="blue") == 1
    assert sum(v for (name, _), v in got.items() if name == "brand_monitor_alerts_queued_total") == len(notes)
    # one failed attempt (retried), then every notification delivered once
    assert value("deliveries_total", notifier="hook", outcome="retry") == 1
    assert value("deliveries_total", notifier="hook", outcome="delivered") == len(notes) == len(hits) - 1
    assert value("deliveries_total", notifier="hook", outcome="failed") == 0
    assert value("queued_to_delivered_seconds_count", notifier="hook") == len(notes)
    assert value("queued_to_delivered_seconds_sum", notifier="hook") >= 0.2  # the first waited out its retry
    assert value("ingest_to_queued_seconds_count", level="blue") == len(notes)  # all caused by posts arriving
    assert value("scoring_seconds_count") >= 1 and value("batch_seconds_count") == 3  # 22 lines, batches of 8
    assert value("source_events_total", source="feed") == lines - 1  # the broken line is no event
    assert value("events_total", source="feed") == lines - 1
    assert value("duplicates_total", source="feed") == 1
    assert value("posts_matched_total", source="feed") == NEGATIVE
    skipped = {dict(k)["reason"]: v for (name, k), v in got.items()
               if name == "brand_monitor_source_items_skipped_total"}
    assert list(skipped.values()) == [1.0], skipped
    assert value("open_incidents", level="blue") == 1


async def test_scheduler_job_runs_log_below_info(tmp_path: Path, caplog) -> None:
    cfg = write_config(tmp_path, """\
        store: {path: state.db}
        playbooks: @PLAYBOOKS@
        server: {enabled: false}
        runtime: {tick: 0.1s}
        """)
    caplog.set_level(logging.INFO)
    svc = Service(load_config(cfg), SystemClock(), scorer=WordScorer())
    await svc.start()
    try:
        await wait_until(lambda: svc.rt is not None and svc.rt.health.tasks.get("tick") is not None
                         and svc.rt.health.tasks["tick"].last_ok_at is not None)
        await asyncio.sleep(0.3)  # a few more runs
    finally:
        await svc.shutdown()
    scheduler = [r for r in caplog.records if r.name.startswith("apscheduler")]
    assert not [r for r in scheduler if r.levelno >= logging.INFO], [r.getMessage() for r in scheduler]
    assert any(r.name == "monitor.service" and "started" in r.getMessage() for r in caplog.records)

    caplog.clear()
    caplog.set_level(logging.DEBUG, logger="apscheduler")
    svc = Service(load_config(cfg), SystemClock(), scorer=WordScorer())
    await svc.start()
    try:
        await wait_until(lambda: any("executed successfully" in r.getMessage() for r in caplog.records))
    finally:
        await svc.shutdown()
    runs = [r for r in caplog.records if "executed successfully" in r.getMessage()]
    assert runs and {r.levelname for r in runs} == {"DEBUG"}  # still there when asked for, at DEBUG
