"""English adapters side by side on the slices that say which is better, and by how much they flatter.

    python -m monitor.nlp.sentiment.training.compare ADAPTER_DIR [ADAPTER_DIR ...] --data ../shared/data

A model trained on the random split (the shipped English adapter) and one trained on the
file's first nine tenths (the ``*_t`` recipes) have each seen most of the other's validation
rows, so only the later tweets held out by *both* splits are a fair comparison; the two
report halves are printed too, each clean for one model and flattering the other (MODEL.md,
"Held out by time"). Scores run on the int8 path that production runs, each adapter with its
own offsets. Prints one JSON line per adapter and slice.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from monitor.nlp.sentiment.training.calibrate import halves
from monitor.nlp.sentiment.training.data import GENRES, LABELS, read_tsv, split_indices
from monitor.nlp.sentiment.training.metrics import evaluate


def slices(n: int) -> dict[str, list[int]]:
    """Row indices of the SemEval file (``n`` rows) per slice, in file order."""
    _, random_val = split_indices(n, GENRES["en_tweets"])
    _, time_val = split_indices(n, GENRES["en_tweets_time"])
    held_by_random = set(random_val)
    time_cal, time_rep = halves(time_val)
    _, random_rep = halves(random_val)
    return {
        "later_report_half": time_rep,  # clean for the time-split models
        "random_report_half": random_rep,  # clean for the random-split models
        "later_report_half_unseen_by_both": [i for i in time_rep if i in held_by_random],
        "later_calibration_half_unseen_by_both": [i for i in time_cal if i in held_by_random],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("adapters", nargs="+", type=Path)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    from monitor.nlp.sentiment.config import SentimentConfig
    from monitor.nlp.sentiment.loading import load_builtin

    rows, _ = read_tsv(args.data / GENRES["en_tweets"].train)
    parts = slices(len(rows))
    wanted = sorted({i for idx in parts.values() for i in idx})
    for folder in args.adapters:
        clf = load_builtin("compare", SentimentConfig(threads=args.threads), folder=folder)
        best = clf.probabilities([rows[i].text for i in wanted]).argmax(axis=1)
        label = {i: LABELS[int(k)] for i, k in zip(wanted, best, strict=True)}
        for name, idx in parts.items():
            m = evaluate([rows[i].label for i in idx], [label[i] for i in idx])
            neg = m["per_class"]["negative"]
            print(json.dumps({"adapter": str(folder), "model": clf.model_id, "slice": name, "n": len(idx),
                              "macro_f1": round(m["macro_f1"], 4), "macro_recall": round(m["macro_recall"], 4),
                              "negative_precision": round(neg["precision"], 4),
                              "negative_recall": round(neg["recall"], 4)}), flush=True)


if __name__ == "__main__":
    main()
