"""Scale-out numbers (issue 14): bus throughput, push-to-stored latency per backend, lease failover.

Run (PostgreSQL on 127.0.0.1:5432 db `test`, Redis on 127.0.0.1:6379; everything it creates is removed):
  python benchmarks/scale_bench.py bus [--events 20000]        events/s through raw -> worker -> scored,
                                                               1 and 2 worker processes, constant scorer
  python benchmarks/scale_bench.py latency [--pushes 200]      webhook POST -> batch committed (the post
                                                               stored; the transaction that queues its
                                                               notification), SQLite vs PostgreSQL, p50/p95
  python benchmarks/scale_bench.py failover [--ttl 3]          lease takeover after the holder stops
Prints numbers for the report; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG = "postgresql://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/0"
KEYWORDS = ("brands:\n  acme:\n    name: Acme\n"
            "rules:\n  - {id: acme-any, brand: acme, category: general, query: '{brand}'}\n")


class ConstantScorer:
    model_id = "constant"

    def score(self, texts: list[str], langs: object = None) -> list:
        from monitor.models import Sentiment

        return [Sentiment("neutral", 0.5, self.model_id) for _ in texts]


def _worker(prefix: str, name: str, stop_after: float) -> None:
    import yaml

    from monitor.bus.settings import BusConfig
    from monitor.bus.streams import RedisBus
    from monitor.bus.worker import Worker
    from monitor.nlp.keywords.ruleset import compile_rules

    async def run() -> None:
        bus = RedisBus(BusConfig(url=REDIS, prefix=prefix, batch=500))
        w = Worker(bus, compile_rules(yaml.safe_load(KEYWORDS)), ConstantScorer(), name=name)
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(stop_after, stop.set)
        await w.run(stop)
        await bus.close()

    asyncio.run(run())


async def bus_bench(events: int) -> None:
    from monitor.bus.settings import BusConfig
    from monitor.bus.streams import RAW, SCORED, WORKERS, RedisBus

    for workers in (1, 2):
        prefix = f"bench{uuid.uuid4().hex[:8]}"
        bus = RedisBus(BusConfig(url=REDIS, prefix=prefix))
        await bus.ensure_group(RAW, WORKERS)
        ts = datetime.now(UTC).isoformat()
        items = [{"type": "post", "ts": ts, "source": "bench", "id": str(i),
                  "text": f"Acme item {i}" if i % 2 else f"weather {i}"} for i in range(events)]
        for i in range(0, events, 1000):
            await bus.append(RAW, items[i:i + 1000])
        ctx = mp.get_context("spawn")
        procs = [ctx.Process(target=_worker, args=(prefix, f"w{i}", 600)) for i in range(workers)]
        for p in procs:
            p.start()
        await asyncio.sleep(0)  # workers load; timing starts at their first output
        first = None
        while True:
            n = await bus.redis.xlen(bus.key(SCORED))
            if n and first is None:
                first = (time.perf_counter(), n)
            if n >= events // 2:
                break
            await asyncio.sleep(0.01)
        end = time.perf_counter()
        for p in procs:
            p.terminate()
            p.join()
        assert first is not None
        rate = (events - first[1] * 2) / max(end - first[0], 1e-9)
        print(f"bus: {workers} worker(s): {rate:,.0f} raw events/s ({events} events, half matching, "
              f"constant scorer)")
        keys = [k async for k in bus.redis.scan_iter(f"{prefix}:*")]
        if keys:
            await bus.redis.delete(*keys)
        await bus.close()


async def latency_bench(pushes: int) -> None:
    import aiohttp
    import psycopg

    from monitor.clock import SystemClock
    from monitor.config import load_config
    from monitor.service import Service

    admin = psycopg.connect(PG, autocommit=True)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin.execute(f"CREATE SCHEMA {schema}")
    try:
        for backend in ("sqlite", "postgres"):
            with tempfile.TemporaryDirectory() as tmp:
                d = Path(tmp)
                (d / "keywords.yaml").write_text(KEYWORDS)
                store = ("{path: m.db}" if backend == "sqlite" else
                         f'{{backend: postgres, dsn: "{PG}?options=-csearch_path%3D{schema}"}}')
                (d / "monitor.yaml").write_text(
                    f"store: {store}\nplaybooks: {ROOT / 'playbooks'}\nserver: {{port: 0}}\n"
                    "sources:\n  - {kind: webhook, name: hook, token: bench-token-0123456789abcdef}\n")
                service = Service(load_config(d / "monitor.yaml"), SystemClock(), scorer=ConstantScorer())
                await service.start()
                rt = service.rt
                assert rt is not None
                url = f"http://127.0.0.1:{service.port}/ingest"
                times = []
                async with aiohttp.ClientSession() as http:
                    for i in range(pushes):
                        key = f"hook:{backend}-{i}"
                        ts = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
                        body = f'{{"type":"post","ts":"{ts}","source":"hook","id":"{backend}-{i}",' \
                               f'"text":"Acme battery broken"}}\n'
                        t0 = time.perf_counter()
                        async with http.post(url, data=body, headers={
                                "Authorization": "Bearer bench-token-0123456789abcdef"}) as r:
                            assert r.status == 202, await r.text()
                        while rt.store.get_post(key) is None:
                            await asyncio.sleep(0.0005)
                        times.append((time.perf_counter() - t0) * 1000)
                await service.shutdown()
                q = statistics.quantiles(times, n=20)
                print(f"latency: {backend:<8} push -> committed: p50 {statistics.median(times):.1f} ms, "
                      f"p95 {q[18]:.1f} ms ({pushes} pushes)")
    finally:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()


def failover_bench(ttl: float) -> None:
    import psycopg

    from monitor.replicas.leases import LeaseKeeper
    from monitor.replicas.settings import ReplicaConfig
    from monitor.store.postgres import PostgresStore

    admin = psycopg.connect(PG, autocommit=True)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin.execute(f"CREATE SCHEMA {schema}")
    dsn = f"{PG}?options=-csearch_path%3D{schema}"
    cfg = ReplicaConfig(lease_ttl=timedelta(seconds=ttl), renew_interval=timedelta(seconds=ttl / 3))
    try:
        results = []
        for _ in range(3):
            a, b = PostgresStore(dsn, holder="a"), PostgresStore(dsn, holder="b")
            ka = LeaseKeeper(a, "a", cfg, spread_sources=False)
            kb = LeaseKeeper(b, "b", cfg, spread_sources=False)
            ka.step()
            kb.step()
            died = time.monotonic()  # a stops renewing now (its last renewal was just now)
            while not kb.holds("engine"):
                time.sleep(cfg.renew_interval.total_seconds())
                kb.step()
            results.append(time.monotonic() - died)
            kb.release_all()
            a.close()
            b.close()
        print(f"failover: lease_ttl {ttl:g}s, renew {ttl / 3:g}s: engine taken over after "
              f"{', '.join(f'{r:.2f}' for r in results)} s (bound: lease_ttl + renew_interval)")
    finally:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["bus", "latency", "failover"])
    p.add_argument("--events", type=int, default=20000)
    p.add_argument("--pushes", type=int, default=200)
    p.add_argument("--ttl", type=float, default=3.0)
    a = p.parse_args()
    if a.what == "bus":
        asyncio.run(bus_bench(a.events))
    elif a.what == "latency":
        asyncio.run(latency_bench(a.pushes))
    else:
        failover_bench(a.ttl)


if __name__ == "__main__":
    main()
