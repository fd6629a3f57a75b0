"""Push ingestion through the whole daemon under storage faults: nothing accepted is lost.

A real Service with a webhook source, its store and journal on a small tmpfs (or SQLite's
size cap as an injected fault), events POSTed over HTTP. While storage is failing, pushes are
refused with 503 and /healthz says why; the stream task is restarted (counted) rather than
returning; when space returns, every event answered 202 is processed, exactly once.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp

from monitor.clock import SystemClock
from monitor.config import load_config
from monitor.service import Service
from tests.faults.conftest import SmallDisk
from tests.support import WordScorer, write_config

TOKEN = "push-token-0123456789"


def daemon(where: Path) -> Service:
    cfg = write_config(where, f"""\
        store: {{path: {where / 'state.db'}}}
        playbooks: @PLAYBOOKS@
        server: {{port: 0}}
        health: {{check_interval: 1s}}
        runtime: {{tick: 1s}}
        sources:
          - {{kind: webhook, name: push, token: {TOKEN}, batch_size: 20}}
        """)
    svc = Service(load_config(cfg), SystemClock(), scorer=WordScorer())
    svc.restart_backoff = (0.05, 0.2)
    return svc


class Pusher:
    """Sends numbered events and keeps the books: accepted (202) vs refused (503)."""

    def __init__(self, svc: Service, http: aiohttp.ClientSession) -> None:
        self.base = f"http://127.0.0.1:{svc.port}"
        self.http = http
        self.next_id = 0
        self.accepted: list[str] = []
        self.refused = 0
        self.reasons: set[str] = set()

    async def push(self, n: int = 10) -> int:
        ids = [f"e{self.next_id + k}" for k in range(n)]
        self.next_id += n
        body = [{"type": "post", "ts": "2026-03-01T08:00:00Z", "id": i, "text": f"Acme kettle broken {i} " + "x" * 300}
                for i in ids]
        async with self.http.post(f"{self.base}/ingest", data=json.dumps(body),
                                  headers={"Authorization": f"Bearer {TOKEN}"}) as r:
            got = await r.json()
            if r.status == 202:
                assert got["accepted"] == n
                self.accepted += ids
            else:
                assert r.status == 503 and r.headers["Retry-After"], (r.status, got)
                self.refused += n
                self.reasons.add(got["error"])
            return r.status

    async def health(self) -> tuple[int, dict[str, Any]]:
        async with self.http.get(f"{self.base}/healthz") as r:
            return r.status, await r.json()

    async def healthy_again(self, timeout: float = 10.0) -> dict[str, Any]:
        """Periodic jobs that failed while storage was down clear on their next good run."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            status, body = await self.health()
            if status == 200:
                return body
            assert loop.time() < end, body["problems"]
            await asyncio.sleep(0.1)


def processed(svc: Service, ids: list[str]) -> int:
    assert svc.rt is not None
    return len(ids) - len(svc.rt.store.unseen([f"push:{i}" for i in ids]))


async def until(predicate, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        assert loop.time() < end, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_disk_full_during_push_ingestion_loses_nothing(small_disk: SmallDisk) -> None:
    svc = daemon(small_disk.path)
    await svc.start()
    try:
        async with aiohttp.ClientSession() as http:
            p = Pusher(svc, http)
            for _ in range(5):
                assert await p.push() == 202
            await until(lambda: processed(svc, p.accepted) == len(p.accepted))
            small_disk.fill(leave=120_000)  # room for some journal lines, not for the store's WAL frames
            statuses = []
            for _ in range(40):
                statuses.append(await p.push())
                await asyncio.sleep(0.02)  # let the pipeline run into the full disk too
            assert 503 in statuses and small_disk.is_full
            status, body = await p.health()
            assert status == 503 and body["status"] == "unhealthy"
            assert any("disk is full" in problem for problem in body["problems"]), body["problems"]
            small_disk.free()
            await until(lambda: svc.rt is not None and svc.rt.store.problem is None and
                        processed(svc, p.accepted) == len(p.accepted))
            for _ in range(5):  # accepting again
                assert await p.push() == 202
            await until(lambda: processed(svc, p.accepted) == len(p.accepted))
            body = await p.healthy_again()
            assert body["components"]["store"]["status"] == "ok"
            assert body["components"]["tasks"]["stream:push"]["restarts"] >= 1
            assert body["components"]["tasks"]["stream:push"]["status"] == "ok"
        print(f"\ndisk full: {p.next_id} events pushed, {len(p.accepted)} accepted (202), {p.refused} refused "
              f"(503), {processed(svc, p.accepted)} processed, stream restarts "
              f"{svc.rt.health.tasks['stream:push'].restarts}")
        assert processed(svc, p.accepted) == len(p.accepted) == len(set(p.accepted))
        assert svc.rt.health.sources["push"].events == len(p.accepted)  # processed once each, no repeats
    finally:
        await svc.shutdown()


async def test_a_storage_error_is_retried_not_fatal_and_shows_on_healthz(tmp_path: Path) -> None:
    svc = daemon(tmp_path)
    await svc.start()
    assert svc.rt is not None
    store = svc.rt.store
    try:
        async with aiohttp.ClientSession() as http:
            p = Pusher(svc, http)
            assert await p.push() == 202
            await until(lambda: processed(svc, p.accepted) == 10)
            pages = store._q("PRAGMA page_count")[0][0]
            store._q(f"PRAGMA max_page_count={pages}")  # injected: the database cannot grow
            assert await p.push(200) == 202  # journalled; the pipeline will fail on it
            await until(lambda: svc.rt.health.tasks["stream:push"].restarts >= 2)
            status, body = await p.health()
            assert status == 503
            assert body["components"]["store"]["status"] == "unhealthy"
            assert "database or disk is full" in body["components"]["store"]["problem"]
            task = body["components"]["tasks"]["stream:push"]
            assert task["status"] == "unhealthy" and task["restarts"] >= 2
            assert "StoreError" in task["last_error"]
            assert await p.push() == 503  # no 202 into a queue nobody drains
            async with http.get(f"{p.base}/metrics") as r:
                metrics = await r.text()
            assert "brand_monitor_store_healthy 0" in metrics
            assert 'brand_monitor_task_healthy{task="stream:push"} 0' in metrics
            assert 'brand_monitor_task_failures_total{task="stream:push"}' in metrics
            assert any("events are not being processed" in r for r in p.reasons)
            store._q("PRAGMA max_page_count=1073741823")  # storage is back
            await until(lambda: processed(svc, p.accepted) == len(p.accepted))
            await until(lambda: store.problem is None)
            assert await p.push() == 202
            await until(lambda: processed(svc, p.accepted) == len(p.accepted))
            await p.healthy_again()
        assert processed(svc, p.accepted) == len(p.accepted) == 220
        assert svc.rt.health.sources["push"].events == 220
    finally:
        await svc.shutdown()


async def test_accepted_events_outlive_a_storage_failure_and_a_restart(tmp_path: Path) -> None:
    """The store fails, the daemon is stopped before it recovers: the next start processes them."""
    svc = daemon(tmp_path)
    await svc.start()
    assert svc.rt is not None
    async with aiohttp.ClientSession() as http:
        p = Pusher(svc, http)
        store = svc.rt.store
        store._q(f"PRAGMA max_page_count={store._q('PRAGMA page_count')[0][0]}")
        assert await p.push(50) == 202
        await until(lambda: svc.rt.health.tasks["stream:push"].restarts >= 1)
    await svc.shutdown()
    svc = daemon(tmp_path)
    await svc.start()
    try:
        await until(lambda: processed(svc, p.accepted) == 50)
    finally:
        await svc.shutdown()


async def test_a_blind_spot_raised_while_the_store_fails_is_announced_once_it_works(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, f"""\
        store: {{path: {tmp_path / 'state.db'}}}
        playbooks: @PLAYBOOKS@
        server: {{enabled: false}}
        health: {{check_interval: 1s}}
        runtime: {{tick: 1s}}
        sources:
          - {{kind: webhook, name: push, token: {TOKEN}, expected_update_period: 1s}}
        """)
    svc = Service(load_config(cfg), SystemClock(), scorer=WordScorer())
    await svc.start()
    assert svc.rt is not None
    store = svc.rt.store
    try:
        store._q("PRAGMA query_only=1")  # every write fails
        await until(lambda: svc.rt.health.tasks.get("health-check") is not None
                    and svc.rt.health.tasks["health-check"].failures >= 1)
        assert not [n for n in store.notifications() if n["transition"] == "blind_spot"]
        store._q("PRAGMA query_only=0")
        await until(lambda: any(n["transition"] == "blind_spot" for n in store.notifications()))
    finally:
        await svc.shutdown()
