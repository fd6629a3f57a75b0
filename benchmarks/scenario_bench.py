"""Drill scenarios at the manual's scale: compose a 48-hour drill over a 100,000-post baseline, then replay it.

1. A recorded-style baseline: 100,000 posts over 48 hours (generated once, written as JSONL).
2. ``compose``: the product-safety-rumour scenario laid over it at 02:30 Saturday, Shanghai time —
   seconds and peak Python memory (tracemalloc) and the process's peak RSS.
3. ``run_drill`` at ``--speed max``, end to end (rules, sentiment, engine, store, report and scorecard):
   with the shipped model (seconds, wall and CPU, and events per CPU-second: the machine is shared)
   and with a constant scorer (our own code without the model). The manual's goal is 48 hours in
   under two minutes.

    python benchmarks/scenario_bench.py [--posts 100000] [--skip-model]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.config import load_for_cli
from monitor.drill import run_drill
from monitor.drills.compose import compose, generate_baseline
from monitor.drills.scenario import load_scenario
from monitor.logs import setup_logging
from monitor.models import Sentiment

ROOT = Path(__file__).resolve().parents[1]
AT = datetime(2026, 3, 7, 2, 30, tzinfo=UTC) - timedelta(hours=8)  # 02:30 Saturday in Shanghai


class ConstantScorer:
    model_id = "constant"

    def score(self, texts: list[str], langs: list[str | None] | None = None) -> list[Sentiment]:
        return [Sentiment("negative", 0.9, self.model_id) for _ in texts]


MATCHING = ["My Acme kettle lid squeaks a bit", "Acme delivery delayed by a day, oh well",
            "艾克美的快递还没到", "Acme support never answered my email", "Acme kettle handle feels flimsy",
            "艾克美水壶有点漏水", "Returned my Acme toaster, asked for a replacement", "Acme kettle is so loud"]


def write_baseline(path: Path, posts: int, matched_share: float) -> None:
    """The generated normal period, with ``matched_share`` of posts rewritten to ones the keyword rules match
    (everyday grumbles the model must score), so the replay exercises the model as a busy brand's day would."""
    rng = random.Random(5)
    with path.open("w", encoding="utf-8") as fh:
        for e in generate_baseline(AT - timedelta(hours=24), 48.0, posts, seed=3):
            if rng.random() < matched_share:
                e["text"] = rng.choice(MATCHING)
            fh.write(json.dumps(e, ensure_ascii=False) + "\n")


async def replay(feed: Path, scorer: object | None, label: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        loaded = load_for_cli(None, ROOT / "keywords.yaml")
        loaded.config.notifiers.clear()
        model_s = 0.0
        if scorer is None:
            from monitor.runtime import load_scorer

            t = time.perf_counter()
            scorer = load_scorer(loaded)
            model_s = time.perf_counter() - t
        wall, cpu = time.perf_counter(), time.process_time()
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):  # the dry drill's terminal alerts
            report = await run_drill(loaded, feed, report_dir=Path(tmp) / "r", scorer=scorer,  # type: ignore[arg-type]
                                     color=False)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    run, card = report["run"], report["scorecard"]
    levels = {r["level"]: r["latency_minutes"] for r in card["levels"]}
    print(f"replay [{label}]: {run['events']} events ({run['matched']} matched, {run['negative']} negative) in "
          f"{wall:.1f} s wall, {cpu:.1f} s CPU (model load {model_s:.1f} s) = {run['events'] / wall:,.0f} events/s, "
          f"{run['events'] / cpu:,.0f} events per CPU-second; 48 h of drill time at {run['speedup']}x; "
          f"detection minutes {levels}")
    return {"wall": wall, "cpu": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--skip-model", action="store_true", help="only the constant-scorer replay")
    parser.add_argument("--matched-share", type=float, default=0.05, help="share of baseline posts a rule matches")
    args = parser.parse_args()
    setup_logging(-1)
    with tempfile.TemporaryDirectory() as tmp:
        base, out = Path(tmp) / "baseline.jsonl", Path(tmp) / "drill.jsonl"
        t = time.perf_counter()
        write_baseline(base, args.posts, args.matched_share)
        print(f"baseline: {args.posts} posts over 48 h written in {time.perf_counter() - t:.1f} s "
              f"({base.stat().st_size / 1e6:.1f} MB)")
        scenario = load_scenario(ROOT / "examples" / "scenarios" / "product-safety-rumour.yaml")
        t, cpu = time.perf_counter(), time.process_time()
        result = compose(scenario, AT, out, baseline=base, seed=1)
        seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        tracemalloc.start()  # again, traced (slower): the peak of what compose itself holds
        compose(scenario, AT, out, baseline=base, seed=1)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"compose: {result.baseline_events} baseline + {result.scenario_events} scenario events in "
              f"{seconds:.1f} s wall, {cpu:.1f} s CPU; peak Python memory {peak / 1e6:.0f} MB (tracemalloc), "
              f"process peak RSS {rss:.0f} MB")
        asyncio.run(replay(out, ConstantScorer(), "constant scorer"))
        if not args.skip_model:
            asyncio.run(replay(out, None, "shipped model"))


if __name__ == "__main__":
    main()
