"""Drill throughput: how fast a recording goes through dedup, rules, sentiment, engine and store.

Generates a seeded synthetic recording (mixed English/Chinese, several platforms, a share
of posts about the brand, a burst that raises incidents), then replays it with
``run_drill`` at ``--speed max``. Prints events/s for the whole pipeline with the shipped
model, and — to isolate our own code from the model — with a constant scorer.

    python benchmarks/pipeline_bench.py --events 50000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.config import load_for_cli
from monitor.drill import run_drill
from monitor.logs import setup_logging
from monitor.models import Sentiment

ROOT = Path(__file__).resolve().parents[1]
BRAND = ["My Acme kettle is broken again", "Acme support never answers, worst service",
         "艾克美水壶漏电，太危险了", "Love my new Acme kettle", "Does the Acme kettle have a warranty?",
         "艾克美水壶在打折吗？", "Acme kettle caught fire in my kitchen", "艾克美 质量太差"]
OTHER = ["What a lovely morning for tea", "Traffic is terrible today", "今天天气真好", "New phone who dis",
         "Best hiking trails near the city", "明天上午十点开会"]


def make_feed(path: Path, n: int, brand_share: float, seed: int = 7) -> None:
    rng = random.Random(seed)
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    step = 48 * 3600 / n
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            text = rng.choice(BRAND) if rng.random() < brand_share else rng.choice(OTHER)
            ts = (t0 + timedelta(seconds=i * step)).isoformat().replace("+00:00", "Z")
            src = rng.choice(["reddit", "x", "weibo", "mastodon", "news"])
            fh.write(json.dumps({"type": "post", "ts": ts, "source": src, "id": str(i), "text": f"{text} #{i}",
                                 "kind": "news" if src == "news" else "social",
                                 "reposts": rng.randint(0, 5)}, ensure_ascii=False) + "\n")


class ConstantScorer:
    model_id = "constant"

    def score(self, texts: list[str], langs: list[str | None] | None = None) -> list[Sentiment]:
        return [Sentiment("negative", 0.9, self.model_id) for _ in texts]


async def one(feed: Path, scorer: object | None, label: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        loaded = load_for_cli(None, ROOT / "keywords.yaml")
        loaded.config.notifiers.clear()
        started, cpu = time.perf_counter(), time.process_time()
        report = await run_drill(loaded, feed, report_dir=Path(tmp), fresh=True, notify=True,  # no notifiers: quiet
                                 scorer=scorer)  # type: ignore[arg-type]
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu
    r = report["run"]
    print(f"{label:<28} {r['events']:>7} events in {wall:6.1f} s = {r['events'] / wall:8.0f} events/s; "
          f"{r['matched']} matched ({r['matched'] / wall:6.0f}/s), {report['summary']['notifications']} "
          f"notifications; {r['events'] / cpu:8.0f} events per CPU second (a busy shared machine slows the wall "
          f"clock, not this)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=50_000)
    ap.add_argument("--brand-share", type=float, default=0.2, help="share of posts that mention the brand")
    ap.add_argument("--skip-model", action="store_true", help="only the constant-scorer run")
    args = ap.parse_args()
    setup_logging(-1)
    with tempfile.TemporaryDirectory() as tmp:
        feed = Path(tmp) / "bench.jsonl"
        make_feed(feed, args.events, args.brand_share)
        asyncio.run(one(feed, ConstantScorer(), "pipeline, constant scorer"))
        if not args.skip_model:
            from monitor.nlp.sentiment import SentimentConfig, load_scorer

            scorer = load_scorer(SentimentConfig())
            asyncio.run(one(feed, scorer, "pipeline, shipped model"))
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
