"""The numbers of MODEL.md: the shipped scorer on every genre's report half, routed as in production.

    python -m monitor.nlp.sentiment.training.validate --data ../shared/data [--backend onnx|torch] [--baseline]

Each genre's validation part is halved (calibrate.halves); the report half, which no
training run and no choice of offsets or mixing weights has seen, is scored through
``load_scorer(cfg).score(texts)`` with languages detected, exactly as posts are scored in
production (a binary set, with no neutral gold label, is asked the two-sided question, as
``monitor sentiment eval`` asks it). ``--baseline`` adds the character n-gram baseline (baseline.py) on the same half.
Prints one JSON line per genre.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from monitor.nlp.sentiment.training.calibrate import halves
from monitor.nlp.sentiment.training.data import GENRES, load_genre
from monitor.nlp.sentiment.training.metrics import evaluate

KEEP = ("n", "accuracy", "macro_f1", "macro_recall")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--backend", choices=["onnx", "torch"], default="onnx")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--genre", action="append", choices=sorted(GENRES))
    parser.add_argument("--baseline", action="store_true", help="also train and score the n-gram baseline")
    args = parser.parse_args()
    from monitor.nlp.sentiment import SentimentConfig, load_scorer

    scorer = load_scorer(SentimentConfig(backend=args.backend, threads=args.threads))
    for name in args.genre or list(GENRES):
        _, val = load_genre(args.data, GENRES[name])
        _, report = halves(val)
        started = time.perf_counter()
        binary = all(e.label != "neutral" for e in report)  # as `monitor sentiment eval` asks a binary set
        out = scorer.score([e.text for e in report], None, [binary] * len(report))
        elapsed = time.perf_counter() - started
        scores = evaluate([e.label for e in report], [s.label for s in out])
        routes = Counter(s.model for s in out)
        row: dict[str, object] = {"genre": name, "backend": args.backend, **{k: scores[k] for k in KEEP},
                                  "binary": binary, "negative": {k: round(v, 4) for k, v in
                                                                 scores["per_class"]["negative"].items()},
                                  "routes": dict(sorted(routes.items())), "seconds": round(elapsed, 1)}
        if args.baseline:
            from monitor.nlp.sentiment.training.baseline import run_baseline

            row["baseline"] = run_baseline(args.data, name)["report_half"]
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
