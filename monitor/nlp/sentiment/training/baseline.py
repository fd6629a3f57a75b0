"""The bar to beat: a character n-gram logistic regression per genre (strong on Chinese).

``python -m monitor.nlp.sentiment.training.baseline --data ../shared/data`` trains one on each genre's
training split and prints its scores on the whole validation split and on its report half
(the half the shipped models' numbers in MODEL.md come from) as JSON lines.
Needs scikit-learn (the ``train`` extra).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from monitor.nlp.sentiment.training.data import GENRES, load_genre
from monitor.nlp.sentiment.training.metrics import evaluate


def run_baseline(data_dir: Path, genre_name: str) -> dict[str, object]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    train, val = load_genre(data_dir, GENRES[genre_name])
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), min_df=2, sublinear_tf=True, max_features=300_000)
    x = vec.fit_transform([e.text for e in train])
    clf = LogisticRegression(C=2.0, max_iter=2000, class_weight="balanced")
    clf.fit(x, [e.label for e in train])
    pred = list(clf.predict(vec.transform([e.text for e in val])))
    full = evaluate([e.label for e in val], pred)
    half = evaluate([e.label for e in val[1::2]], pred[1::2])  # the report half (see calibrate.halves)
    keep = ("n", "accuracy", "macro_f1", "macro_recall")
    return {"genre": genre_name, "validation": {k: full[k] for k in keep}, "report_half": {k: half[k] for k in keep}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--genre", action="append", choices=sorted(GENRES))
    args = parser.parse_args()
    for name in args.genre or list(GENRES):
        print(json.dumps(run_baseline(args.data, name)), flush=True)


if __name__ == "__main__":
    main()
