"""Many brands, a week of history: the engine's speed and memory with a baseline per brand and platform.

Generates a seeded week of negative posts for N brands (each with its own rate, daily
seasonality, three platforms, distinct authors), feeds them through the alert engine on a
SQLite store in batches (as the pipeline does), then prints events/s, peak RSS, the baseline
state per brand in memory and in the store, and how many incidents the week opened.

    python benchmarks/baseline_bench.py --brands 1000 --days 7 --per-hour 1
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.alerts.engine import Engine
from monitor.alerts.levels import EngineConfig
from monitor.alerts.playbooks import load_playbooks
from monitor.models import Post, RuleMatch, ScoredPost, Sentiment
from monitor.store import Store

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 3, 2, tzinfo=UTC)


def poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def week(brands: int, days: int, per_hour: float, seed: int = 5) -> list[ScoredPost]:
    rng = random.Random(seed)
    rates = [per_hour * rng.uniform(0.2, 3.0) for _ in range(brands)]
    out = []
    sent = Sentiment("negative", 0.9, "bench")
    for h in range(days * 24):
        season = 1 + 0.6 * math.sin(2 * math.pi * (h % 24 - 9) / 24)
        hour = T0 + timedelta(hours=h)
        for b, rate in enumerate(rates):
            for i in range(poisson(rng, rate * season)):
                ts = hour + timedelta(seconds=rng.uniform(0, 3600))
                post = Post(ts=ts, source=rng.choice(("x", "reddit", "weibo")), id=f"b{b}-{h}-{i}",
                            text=f"brand{b} product broke again, support is useless #{h}",
                            author=f"u{rng.randrange(10**6)}")
                out.append(ScoredPost(post, [RuleMatch(f"brand{b}-quality", f"brand{b}", "quality", ("broke",))], sent))
    out.sort(key=lambda sp: sp.post.ts)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--brands", type=int, default=1000)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--per-hour", type=float, default=1.0, help="mean negative posts an hour per brand")
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args()
    posts = week(args.brands, args.days, args.per_hour)
    alerts: list[object] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        engine = Engine(EngineConfig(), load_playbooks(ROOT / "playbooks"), store, alerts.append)
        engine.load()
        started = time.perf_counter()
        for i in range(0, len(posts), args.batch):
            with engine.batch():
                for sp in posts[i : i + args.batch]:
                    engine.advance(sp.post.ts)
                    engine.on_post(sp)
        wall = time.perf_counter() - started
        per_brand = [engine.baselines.size_bytes(f"brand{b}") for b in range(args.brands)]
        rows = store._q("SELECT SUM(LENGTH(data)), COUNT(*) FROM baselines")
        stored, series = rows[0][0] or 0, rows[0][1]
        incidents = len({a.incident_id for a in alerts})  # type: ignore[attr-defined]
        store.close()
    print(f"{args.brands} brands x {args.days} days: {len(posts)} negative posts in {wall:.1f} s = "
          f"{len(posts) / wall:,.0f} events/s")
    print(f"baseline state per brand: mean {sum(per_brand) / len(per_brand) / 1024:.1f} KB, max "
          f"{max(per_brand) / 1024:.1f} KB in memory; {stored / args.brands / 1024:.2f} KB stored "
          f"({series} series)")
    print(f"{incidents} incidents opened over the week ({incidents / args.brands:.2f} per brand), "
          f"{len(alerts)} notifications")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
