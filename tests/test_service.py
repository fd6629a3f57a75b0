"""The daemon in-process: polling on a schedule, /healthz, /metrics, blind spots, API, reload."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from monitor.alerts.dispatch import instance_id
from monitor.clock import SystemClock
from monitor.config import load_config
from monitor.service import Service
from tests.support import Recorder, WordScorer, serve, write_config

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><guid>1</guid><title>Acme kettle broken</title><link>https://news.example/1</link>
<description>My Acme kettle is broken</description><pubDate>{date}</pubDate></item>
</channel></rss>"""


async def wait_for(predicate, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        if loop.time() > end:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


@pytest.fixture
async def feed_server():
    state = {"items": True, "hits": 0}

    async def feed(request: web.Request) -> web.Response:
        state["hits"] += 1
        date = "Mon, 02 Mar 2026 08:00:00 GMT"
        body = RSS.format(date=date) if state["items"] else RSS.split("<item>")[0] + "</channel></rss>"
        return web.Response(text=body, content_type="application/rss+xml")

    hook = Recorder()
    server = await serve({("GET", "/feed.xml"): feed, ("POST", "/hook"): hook.handle})
    yield server, state, hook
    await server.close()


def config(tmp_path: Path, server, *, silence: str = "1h") -> Path:
    return write_config(tmp_path, f"""\
        store: {{path: state.db}}
        playbooks: @PLAYBOOKS@
        server: {{port: 0, api_token: s3cret}}
        health: {{check_interval: 1s}}
        runtime: {{tick: 1s}}
        sources:
          - kind: rss
            name: news
            url: {server.make_url('/feed.xml')}
            interval: 1s
            expected_update_period: {silence}
        notifiers:
          - kind: webhook
            name: hook
            url: {server.make_url('/hook')}
        """)


async def test_polls_serves_health_and_metrics(tmp_path: Path, feed_server) -> None:
    server, state, _ = feed_server
    svc = Service(load_config(config(tmp_path, server)), SystemClock(), scorer=WordScorer())
    await svc.start()
    try:
        await wait_for(lambda: state["hits"] >= 2)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{svc.port}/healthz") as r:
                body = await r.json()
                assert r.status == 200 and body["status"] == "ok"
                assert body["sources"]["news"]["events"] == 1  # the second poll found nothing new
                assert body["model"] == "test-double/words"
            async with http.get(f"http://127.0.0.1:{svc.port}/metrics") as r:
                text = await r.text()
                assert 'brand_monitor_posts_matched_total{source="news"} 1' in text
                assert 'brand_monitor_source_polls_total{result="ok",source="news"}' in text
                assert 'brand_monitor_source_healthy{source="news"} 1' in text
                assert 'brand_monitor_open_incidents{level="red"} 0' in text
    finally:
        await svc.shutdown()


async def test_silent_source_turns_unhealthy_and_raises_a_blind_spot(tmp_path: Path, feed_server) -> None:
    server, state, hook = feed_server
    state["items"] = False
    svc = Service(load_config(config(tmp_path, server, silence="2s")), SystemClock(), scorer=WordScorer())
    await svc.start()
    try:
        await wait_for(lambda: any(b.get("transition") == "blind_spot" for b in hook.bodies), timeout=15)
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{svc.port}/healthz") as r:
            body = await r.json()
            assert r.status == 503 and body["status"] == "unhealthy"
            assert body["sources"]["news"]["problem"].startswith("no events from news for ")
        alert = next(b for b in hook.bodies if b["transition"] == "blind_spot")
        assert alert["level"] == "system" and "silence is not calm" in alert["reason"]
        state["items"] = True  # the channel comes back
        await wait_for(lambda: any(b.get("transition") == "recovered" for b in hook.bodies), timeout=15)
    finally:
        await svc.shutdown()


async def test_api_requires_the_token_and_acks(tmp_path: Path, feed_server) -> None:
    server, _, _ = feed_server
    svc = Service(load_config(config(tmp_path, server)), SystemClock(), scorer=WordScorer())
    await svc.start()
    try:
        base = f"http://127.0.0.1:{svc.port}"
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{base}/incidents/nope/ack", json={"by": "dana"}) as r:
                assert r.status == 401
            auth = {"Authorization": "Bearer s3cret"}
            async with http.post(f"{base}/incidents/nope/ack", json={"by": "dana"}, headers=auth) as r:
                assert r.status == 404 and "no incident 'nope'" in (await r.json())["error"]
            async with http.post(f"{base}/posts/news:1/relabel", json={"label": "angry"}, headers=auth) as r:
                assert r.status == 400
            async with http.get(f"{base}/incidents") as r:
                got = await r.json()
                assert got == [], json.dumps(got)
    finally:
        await svc.shutdown()


async def test_reload_keeps_the_last_good_config(tmp_path: Path, feed_server) -> None:
    server, _, _ = feed_server
    path = config(tmp_path, server)
    svc = Service(load_config(path), SystemClock(), config_path=path, scorer=WordScorer())
    await svc.start()
    try:
        good = path.read_text()
        path.write_text(good.replace("runtime:", "runtimez:"))
        assert svc.reload() is False
        assert svc.loaded.config.runtime.tick.total_seconds() == 1
        path.write_text(good.replace("engine:", "") + "engine: {window: 30m}\n")
        assert svc.reload() is True
        assert svc.rt is not None and svc.rt.engine.config.window.total_seconds() == 1800
        rules_before = svc.rt.pipeline.rules
        kw = tmp_path / "keywords.yaml"
        kw.write_text(kw.read_text().replace("query: '{brand}'", "query: '{brand} NEAR/ kettle'"))
        assert svc.reload() is False  # a bad rule: the last good rule set stays in force
        assert svc.rt.pipeline.rules is rules_before
    finally:
        await svc.shutdown()


async def test_notifiers_rebuilt_by_a_reload_keep_the_install_id(tmp_path: Path, feed_server) -> None:
    """Message-IDs and delivery keys carry the store's instance id; a reload must not drop it."""
    server, _, _ = feed_server
    path = config(tmp_path, server)
    svc = Service(load_config(path), SystemClock(), config_path=path, scorer=WordScorer())
    await svc.start()
    try:
        assert svc.rt is not None
        before = svc.rt.notifiers[0]
        assert before.ctx.instance == instance_id(svc.rt.store) != ""
        path.write_text(path.read_text().replace("name: hook", "name: hook2"))
        assert svc.reload() is True
        after = svc.rt.notifiers[0]
        assert after is not before and after.name == "hook2"
        assert after.ctx.instance == before.ctx.instance and after.ctx.store is svc.rt.store
    finally:
        await svc.shutdown()


async def test_a_storage_error_while_processing_a_poll_is_a_failed_poll_then_retried(tmp_path: Path,
                                                                                     feed_server) -> None:
    server, state, _ = feed_server
    state["items"] = False
    svc = Service(load_config(config(tmp_path, server)), SystemClock(), scorer=WordScorer())
    await svc.start()
    assert svc.rt is not None
    store, health = svc.rt.store, svc.rt.health
    try:
        store._q("PRAGMA query_only=1")  # storage fails from here on
        state["items"] = True
        await wait_for(lambda: health.sources["news"].consecutive_failures >= 1)
        assert health.sources["news"].last_error.startswith("processing failed: StoreError: store ")
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{svc.port}/healthz") as r:
            body = await r.json()
            assert r.status == 503 and body["components"]["store"]["status"] == "unhealthy"
            assert "attempt to write a readonly database" in body["components"]["store"]["problem"]
        store._q("PRAGMA query_only=0")
        await wait_for(lambda: health.sources["news"].events == 1)  # the cursor did not move: fetched again
        assert store.problem is None
    finally:
        await svc.shutdown()


async def test_a_reloaded_webhook_keeps_its_route_and_loses_nothing(tmp_path: Path) -> None:
    def write(token: str) -> Path:
        return write_config(tmp_path, f"""\
            store: {{path: state.db}}
            playbooks: @PLAYBOOKS@
            server: {{port: 0}}
            sources:
              - {{kind: webhook, name: push, token: {token}}}
            """)

    path = write("first-token-0123456789")
    svc = Service(load_config(path), SystemClock(), config_path=path, scorer=WordScorer())
    await svc.start()
    assert svc.rt is not None
    url = f"http://127.0.0.1:{svc.port}/ingest"

    def post(i: int) -> str:
        return json.dumps({"type": "post", "ts": "2026-03-01T08:00:00Z", "id": f"e{i}", "text": f"Acme {i}"})

    try:
        async with aiohttp.ClientSession() as http:
            old = {"Authorization": "Bearer first-token-0123456789"}
            async with http.post(url, data=post(1), headers=old) as r:
                assert r.status == 202
            write("second-token-0123456789")  # the token is rotated
            assert svc.reload()
            async with http.post(url, data=post(2), headers=old) as r:
                assert r.status == 401
            async with http.post(url, data=post(3), headers={"Authorization": "Bearer second-token-0123456789"}) as r:
                assert r.status == 202, await r.text()
        await wait_for(lambda: svc.rt.store.unseen(["push:e1", "push:e3"]) == set())
    finally:
        await svc.shutdown()


async def test_a_crashed_dispatcher_is_restarted_and_counted(tmp_path: Path, feed_server, monkeypatch) -> None:
    from monitor.alerts.dispatch import Dispatcher

    server, _, _ = feed_server
    real_run = Dispatcher.run
    calls = 0

    async def flaky_run(self, stop):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("dispatcher bug")
        return await real_run(self, stop)

    monkeypatch.setattr(Dispatcher, "run", flaky_run)
    svc = Service(load_config(config(tmp_path, server)), SystemClock(), scorer=WordScorer())
    svc.restart_backoff = (0.05, 0.1)
    await svc.start()
    try:
        assert svc.rt is not None
        await wait_for(lambda: calls == 2)
        task = svc.rt.health.tasks["dispatcher"]
        assert task.restarts == 1 and task.state == "running"
        assert task.last_error == "RuntimeError: dispatcher bug"
    finally:
        await svc.shutdown()
    assert svc.rt is None and svc._dispatcher_task is not None and svc._dispatcher_task.done()


async def test_a_failing_notifier_makes_healthz_unhealthy_with_the_reason(tmp_path: Path, feed_server) -> None:
    server, state, _ = feed_server
    state["items"] = False  # a blind spot is the alert that cannot be delivered
    async def down(request: web.Request) -> web.Response:
        return web.Response(status=500, text="down")

    broken = await serve({("POST", "/hook"): down})
    text = config(tmp_path, server, silence="2s").read_text().replace(
        str(server.make_url("/hook")), str(broken.make_url("/hook")))
    text += "dispatch: {retry_base: 1s, retry_max: 1s, jitter: 0, unhealthy_after: 2}\n"
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    svc = Service(load_config(path), SystemClock(), scorer=WordScorer())
    await svc.start()
    try:
        async def problems() -> list[str]:
            async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{svc.port}/healthz") as r:
                body = await r.json()
                return body["problems"] if r.status == 503 else []

        found: list[str] = []
        loop = asyncio.get_running_loop()
        end = loop.time() + 30
        while not any(p.startswith("notifiers: notifier hook: the last") for p in found):
            assert loop.time() < end, found
            await asyncio.sleep(0.2)
            found = await problems()
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{svc.port}/metrics") as r:
            assert 'brand_monitor_notifier_consecutive_failures{notifier="hook"}' in await r.text()
    finally:
        await svc.shutdown()
        await broken.close()
