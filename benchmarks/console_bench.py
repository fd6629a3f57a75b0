"""The web console under load: an incident with 10,000 evidence posts, and 50 open live streams.

Builds a SQLite store with one open incident whose window holds N negative posts on three
platforms (plus four weeks of baseline history), starts the daemon in a child process (so its
memory is its own), signs in, and prints:

- the incident page's server-side render time (p50/p95 of the ``Server-Timing`` header the
  console sends) and its size, for the first and the last evidence page;
- the daemon's resident memory before and after 50 Server-Sent Event streams are open, and how
  long it takes until all 50 have been told about a change made by another process.

    python benchmarks/console_bench.py --posts 10000 --requests 40 --streams 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KEYWORDS = """\
brands:
  acme: {name: Acme, aliases: [Acme]}
rules:
  - {id: acme-any, brand: acme, category: general, query: '{brand}'}
"""
PASSWORD = "benchmark password"


class QuietScorer:
    """Everything neutral: the benchmark measures the console, not the model."""

    model_id = "bench/neutral"

    def score(self, texts, langs=None):  # type: ignore[no-untyped-def]
        from monitor.models import Sentiment

        return [Sentiment("neutral", 0.5, self.model_id) for _ in texts]


def prepare(tmp: Path, posts: int) -> tuple[Path, str]:
    from monitor.alerts.baseline import Baselines
    from monitor.console.users import Accounts
    from monitor.models import Incident
    from monitor.store import Store

    (tmp / "keywords.yaml").write_text(KEYWORDS, encoding="utf-8")
    cfg = tmp / "monitor.yaml"
    cfg.write_text(f"store: {{path: state.db}}\nplaybooks: {ROOT / 'playbooks'}\nserver: {{port: 0}}\n",
                   encoding="utf-8")
    store = Store(tmp / "state.db")
    now = datetime.now(UTC)
    opened = now - timedelta(minutes=30)
    with store.transaction():
        for i in range(posts):
            ts = opened - timedelta(minutes=50) + timedelta(seconds=i * 4800 / posts)
            source = ("weibo", "reddit", "news")[i % 3]
            post = {"type": "post", "ts": ts.isoformat(), "source": source, "id": f"p{i}", "author": f"user{i}",
                    "url": f"https://example.com/{source}/{i}",
                    "text": f"Acme battery {i} swelled and the replacement took weeks; 艾克美 电池 问题 #{i}"}
            store.save_post(f"{source}:p{i}", ts, source, ["acme"], "negative", 0.93, "bench", post,
                            [{"rule_id": "acme-any", "brand": "acme", "category": "general"}])
        b = Baselines()
        for h in range(24 * 28):
            for source in ("weibo", "reddit", "news"):
                b.add(f"acme|{source}|neg", now - timedelta(hours=24 * 28 - h), 3)
        store.save_baselines([(k, s.to_text()) for k, s in b.series.items()], now)
        inc = Incident(id="acme-bench", brand="acme", category="general", level="yellow", status="open",
                       opened_at=opened, level_since=opened, last_signal_at=now, trigger="yellow.reposts")
        store.save_incident("acme", inc)
        Accounts(store).add("bench", "responder", PASSWORD, now)
    store.close()
    return cfg, inc.id


def serve(cfg: str, port_file: str) -> None:
    from monitor.clock import SystemClock
    from monitor.config import load_config
    from monitor.service import Service

    async def main() -> None:
        svc = Service(load_config(Path(cfg)), SystemClock(), scorer=QuietScorer())
        await svc.start()
        Path(port_file).write_text(str(svc.port))
        try:
            await asyncio.Event().wait()
        finally:
            await svc.shutdown()

    asyncio.run(main())


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def measure(base: str, pid: int, incident: str, db: Path, requests: int, streams: int) -> dict[str, object]:
    import aiohttp

    from monitor.store import Store
    from monitor.store_actions import ActionStore

    out: dict[str, object] = {}
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        async with http.get(base + "/console/login") as r:
            token = re.search(r'name="csrf" value="([^"]+)"', await r.text()).group(1)  # type: ignore[union-attr]
        async with http.post(base + "/console/login", data={"csrf": token, "name": "bench",
                                                            "password": PASSWORD}) as r:
            assert r.status == 200, r.status
        for label, query in (("first page", ""), ("last page", "?page=199")):
            times, size = [], 0
            for _ in range(requests):
                async with http.get(f"{base}/console/incidents/{incident}{query}") as r:
                    body = await r.read()
                    size = len(body)
                    times.append(float(r.headers["Server-Timing"].split("dur=")[1]))
            times.sort()
            out[label] = {"p50_ms": round(statistics.median(times), 1),
                          "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1), "bytes": size,
                          "posts_shown": body.count(b"<tr data-key=")}
        before = rss_kb(pid)
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(cookie_jar=jar, connector=connector) as many:
            responses = [await many.get(base + "/console/events") for _ in range(streams)]
            for r in responses:
                assert (await asyncio.wait_for(r.content.readuntil(b"\n\n"), 10)).startswith(b"retry:")
            await asyncio.sleep(1.0)
            after = rss_kb(pid)
            store = Store(db)  # another process acts (as the CLI would): every stream must hear of it
            started = time.perf_counter()
            ActionStore(store).audit(at=datetime.now(UTC), actor="cli", channel="cli", action="note")
            store.close()
            await asyncio.gather(*(asyncio.wait_for(r.content.readuntil(b"\n\n"), 10) for r in responses))
            fanout = time.perf_counter() - started
            for r in responses:
                r.close()
        out["sse"] = {"streams": streams, "rss_before_kb": before, "rss_after_kb": after,
                      "per_stream_kb": round((after - before) / streams, 1),
                      "all_notified_s": round(fanout, 2)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--streams", type=int, default=50)
    ap.add_argument("--serve", nargs=2, metavar=("CONFIG", "PORT_FILE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(*args.serve)
        return
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        t = time.perf_counter()
        cfg, incident = prepare(tmp, args.posts)
        print(f"store with {args.posts} evidence posts built in {time.perf_counter() - t:.1f}s", file=sys.stderr)
        port_file = tmp / "port"
        child = subprocess.Popen([sys.executable, __file__, "--serve", str(cfg), str(port_file)],
                                 env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            for _ in range(600):
                if port_file.exists() and port_file.read_text():
                    break
                time.sleep(0.1)
            base = f"http://127.0.0.1:{port_file.read_text()}"
            result = asyncio.run(measure(base, child.pid, incident, tmp / "state.db", args.requests, args.streams))
        finally:
            child.terminate()
            child.wait(30)
    print(json.dumps({"evidence_posts": args.posts, **result}, indent=2))


if __name__ == "__main__":
    main()
