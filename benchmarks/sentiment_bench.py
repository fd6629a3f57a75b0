"""Sentiment throughput and memory: ONNX int8 fast path vs the torch fp32 reference.

    python benchmarks/sentiment_bench.py [--data ../shared/data] [--n 2000] [--threads 2] [--cold]

Each measurement runs in a fresh subprocess (so peak RSS is that of a process that has
loaded the model and scored the batch), on tweet-length posts: the English tweets and
Weibo posts of our validation split when ../shared/data is there, else built-in samples.
The ONNX fast path and the torch fp32 reference are measured in the same run, one after
the other, so the ratio compares like with like on a shared machine. ``--cold`` first
loads the default scorer into an empty cache (the one-off ONNX build of first use) and
reports how long that took. Prints one JSON line per run (median and best of three passes),
then the onnx/torch ratios.
Targets (issue 4): >= 1,000 posts/s on 2 cores, peak RSS <= 600 MB; (issue 13) Chinese >= 60% of English.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPEATS = 3

SAMPLES = {
    "en": ["@airline still waiting on hold, 2 hours now", "Loving the new update, battery lasts forever!",
           "Anyone know if the store opens at 9 tomorrow?", "worst customer service ever. never again",
           "Just got my order, looks great so far :)", "The keynote is on Tuesday at 10am PT"],
    "zh": ["快递三天还没到，太失望了。", "这家餐厅的菜真好吃，下次还来！", "明天上午十点开会。",
           "客服态度太差了，再也不买了", "新手机用了一周，续航很给力", "今天北京有雨，出门记得带伞"],
}


def _texts(data: Path, lang: str, n: int) -> list[str]:
    genre = {"en": "en_tweets", "zh": "zh_weibo"}[lang]
    try:
        from monitor.nlp.sentiment.training.data import GENRES, load_genre

        _, val = load_genre(data, GENRES[genre])
        texts = [e.text for e in val]
    except Exception:
        texts = SAMPLES[lang]
    return [texts[i % len(texts)] for i in range(n)]


def cold_load(threads: int) -> dict[str, object]:
    """Load the default scorer into an empty cache: the ONNX export/fusion/quantization of first use."""
    import tempfile

    from monitor.nlp.sentiment import SentimentConfig, load_scorer

    with tempfile.TemporaryDirectory() as cache:
        t0 = time.perf_counter()
        load_scorer(SentimentConfig(threads=threads, cache_dir=Path(cache)))
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        load_scorer(SentimentConfig(threads=threads, cache_dir=Path(cache)))
        again = time.perf_counter() - t0
    return {"first_load_s": round(first, 1), "cached_load_s": round(again, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def worker(backend: str, lang: str, data: Path, n: int, threads: int, en_model: str | None,
           multi_model: str | None = None) -> dict[str, object]:
    from monitor.nlp.sentiment import SentimentConfig, load_scorer

    t0 = time.perf_counter()
    routes = {"en": en_model} if en_model else {}
    if multi_model:
        routes["*"] = multi_model
    scorer = load_scorer(SentimentConfig(backend=backend, threads=threads, routes=routes))  # type: ignore[arg-type]
    load_s = time.perf_counter() - t0
    texts = _texts(data, lang, n)
    langs = [lang] * len(texts)
    scorer.score(texts[:128], langs[:128])  # warm-up
    rates = []
    for _ in range(REPEATS):  # a shared machine's noise is +-10% on one pass; the median of three is steadier
        t0 = time.perf_counter()
        scorer.score(texts, langs)
        rates.append(n / (time.perf_counter() - t0))
    chars = sum(len(t) for t in texts) / len(texts)
    return {"backend": backend, "lang": lang, "threads": threads, "posts": n, "mean_chars": round(chars, 1),
            "posts_per_s": round(statistics.median(rates), 1), "best_posts_per_s": round(max(rates), 1),
            "load_s": round(load_s, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--langs", default="en,zh")
    parser.add_argument("--backends", default="onnx,torch")
    parser.add_argument("--cold", action="store_true", help="also time a first load into an empty cache")
    parser.add_argument("--en-model", help="the English route's model, e.g. builtin:en-fast (default: the shipped one)")
    parser.add_argument("--multi-model", help="every other language's model, e.g. builtin:multi (the 12-layer one)")
    parser.add_argument("--worker", nargs=2, metavar=("BACKEND", "LANG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        result = cold_load(args.threads) if args.worker[0] == "cold" else \
            worker(args.worker[0], args.worker[1], args.data, args.n, args.threads, args.en_model, args.multi_model)
        print(json.dumps(result))
        return
    results = []
    env = dict(os.environ, OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "PASSIVE"))
    if args.cold:
        out = subprocess.run([sys.executable, __file__, "--worker", "cold", "-", "--threads", str(args.threads)],
                             capture_output=True, text=True, env=env, check=True)
        print(out.stdout.strip().splitlines()[-1], flush=True)
    for lang in args.langs.split(","):
        for backend in args.backends.split(","):
            n = args.n if backend == "onnx" else max(200, args.n // 4)
            out = subprocess.run([sys.executable, __file__, "--worker", backend, lang, "--data", str(args.data),
                                  "--n", str(n), "--threads", str(args.threads),
                                  *(["--en-model", args.en_model] if args.en_model else []),
                                  *(["--multi-model", args.multi_model] if args.multi_model else [])],
                                 capture_output=True, text=True, env=env, check=True)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            print(json.dumps(row), flush=True)
            results.append(row)
    for lang in args.langs.split(","):
        rows = {r["backend"]: r for r in results if r["lang"] == lang}
        if {"onnx", "torch"} <= rows.keys():
            ratio = float(rows["onnx"]["posts_per_s"]) / float(rows["torch"]["posts_per_s"])  # type: ignore[arg-type]
            print(json.dumps({"lang": lang, "onnx_over_torch_fp32": round(ratio, 2)}))
    onnx = {r["lang"]: float(r["posts_per_s"]) for r in results if r["backend"] == "onnx"}  # type: ignore[arg-type]
    if {"en", "zh"} <= onnx.keys():  # issue 13's target: Chinese at >= 60% of English's posts/s, same run
        print(json.dumps({"zh_over_en_onnx": round(onnx["zh"] / onnx["en"], 2)}))


if __name__ == "__main__":
    main()
