"""The daemon on the bus (collector -> raw -> worker -> scored -> engine) notifies like the in-process path."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from monitor.bus.streams import RedisBus
from monitor.bus.worker import Worker
from monitor.clock import SystemClock
from monitor.config import load_config
from monitor.service import Service
from tests.replicas.test_replicas_process import make_feed
from tests.servers import REDIS_URL, pg_schema, redis_prefix
from tests.support import WordScorer, write_config


def _config(tmp: Path, store: str, bus: str) -> Path:
    return write_config(tmp, f"""\
        store: {store}
        playbooks: @PLAYBOOKS@
        server: {{enabled: false}}
        {bus}
        sources:
          - {{kind: replay, name: feed, path: {tmp / 'feed.jsonl'}, batch_size: 20}}
        """)


async def _run(cfg: Path, lines: int, workers: int = 0, seen: dict | None = None) -> list[tuple[Any, ...]]:
    loaded = load_config(cfg)
    service = Service(loaded, SystemClock(), scorer=WordScorer())
    await service.start()
    stop = asyncio.Event()
    tasks, buses = [], []
    for i in range(workers):
        bus = RedisBus(loaded.config.bus)  # type: ignore[arg-type]
        buses.append(bus)
        tasks.append(asyncio.create_task(Worker(bus, loaded.rules, WordScorer(), name=f"w{i}").run(stop)))
    try:
        rt = service.rt
        assert rt is not None
        deadline = time.monotonic() + 60
        while True:
            cursor = rt.store.get_cursor("feed")
            lag = await service.bus.bus.lag() if service.bus else {}
            if cursor == lines and not any(lag.values()) and not (service.bus and service.bus.buffer):
                break
            assert time.monotonic() < deadline, (cursor, lag)
            await asyncio.sleep(0.1)
        if seen is not None:
            seen["health"] = rt.health.components()
            seen["metrics"] = rt.metrics.render()
        return [(n["brand"], n["level"], n["transition"]) for n in rt.store.notifications()]
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        for b in buses:
            await b.close()
        await service.shutdown()


async def test_two_workers_on_the_bus_give_the_in_process_notifications(tmp_path: Path) -> None:
    lines = make_feed(tmp_path / "feed.jsonl")
    expected = await _run(_config(tmp_path, "{path: plain.db}", ""), lines)
    assert [t for _b, _l, t in expected][:2] == ["opened", "escalated"]
    with pg_schema() as dsn, redis_prefix() as prefix:
        cfg = _config(tmp_path, f'{{backend: postgres, dsn: "{dsn}"}}',
                      f'bus: {{url: "{REDIS_URL}", prefix: {prefix}, reorder_delay: 0.3s}}')
        seen: dict = {}
        got = await _run(cfg, lines, workers=2, seen=seen)
    assert got == expected
    replica = seen["health"]["replica"]  # /healthz: which leases this replica holds
    assert replica["status"] == "ok" and replica["engine"] is True
    assert replica["leases"] == ["engine", f"replica:{replica['id']}", "source:feed"]
    assert "replica_engine_leader 1" in seen["metrics"] and 'replica_source_lease{source="feed"} 1' in seen["metrics"]
