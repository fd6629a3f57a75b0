"""Train a route's n-gram model and choose how it mixes with the route's transformer.

    python -m monitor.nlp.sentiment.training.stacking multi --data ../shared/data --adapter /tmp/sent/multi3

Fits the character n-gram logistic regression of ngram.py on the training splits of the
genres the adapter's route covers (each genre weighted equally, whatever its size, so the
60k e-commerce reviews do not drown the 11k Weibo posts), writes it beside the adapter as
``ngram.safetensors``, then picks the mix ``a * transformer + b * n-gram`` (a = 1, b on a
grid) and the per-class logit offsets that maximise the adapter's calibration objective on
the calibration halves. The report halves are scored once, with the choice made, and
recorded in ``adapter.json``; they take no part in any choice. Needs scikit-learn (the
``train`` extra).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np

from monitor.nlp.sentiment.ngram import NgramModel, analyze
from monitor.nlp.sentiment.spec import AdapterSpec
from monitor.nlp.sentiment.training import calibrate as cal
from monitor.nlp.sentiment.training.data import GENRES, LABEL_ID, load_genre
from monitor.nlp.sentiment.training.recipes import RECIPES

log = logging.getLogger("monitor.sentiment.train")

# route -> the recipe whose genres and calibration objective (recall weight, genre weights) the mix is chosen by
ROUTES = {"en": RECIPES["en"], "multi": RECIPES["multi"]}
# b; 0 = the transformer alone. Up to 3: a small student leans on the n-gram model more than its teacher does
# (the 3-layer student's best b sat at the old grid's edge, 1.5)
MIX_GRID = (0.0, 0.25, 0.5, 0.625, 0.75, 0.875, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0)
SEED = 13


def fit_ngram(texts: list[str], labels: list[int], weights: np.ndarray, max_features: int, c: float) -> NgramModel:
    """TF-IDF (sublinear, smoothed idf, L2) over :func:`analyze`'s features, the ``max_features``
    most frequent with df >= 2; multinomial logistic regression, classes balanced on top of ``weights``."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(analyzer=analyze, min_df=2, sublinear_tf=True, max_features=max_features, dtype=np.float32)
    x = vec.fit_transform(texts)
    y = np.asarray(labels)
    w = weights.astype(np.float64).copy()
    for k in range(3):  # each class the same total weight
        members = y == k
        if members.any():
            w[members] *= weights.sum() / (3 * w[members].sum())
    clf = LogisticRegression(C=c, max_iter=3000, random_state=SEED).fit(x, y, sample_weight=w / w.mean())
    if list(clf.classes_) != [0, 1, 2]:
        raise ValueError(f"the n-gram model needs all three classes in its training data, got {clf.classes_}")
    vocab = {f: int(i) for f, i in vec.vocabulary_.items()}
    return NgramModel(vocab, vec.idf_.astype(np.float32), clf.coef_.T.astype(np.float32).copy(),
                      clf.intercept_.astype(np.float32))


def train_route_ngram(route: str, data_dir: Path, max_features: int, c: float) -> NgramModel:
    texts: list[str] = []
    labels: list[int] = []
    weights: list[float] = []
    for name in ROUTES[route].calibrate_on:
        train, _ = load_genre(data_dir, GENRES[name])
        texts += [e.text for e in train]
        labels += [LABEL_ID[e.label] for e in train]
        weights += [1.0 / len(train)] * len(train)  # every genre the same total weight
    started = time.time()
    model = fit_ngram(texts, labels, np.asarray(weights), max_features, c)
    log.info("n-gram model for %s: %d features from %d training texts in %.0f s", route, len(model.vocab),
             len(texts), time.time() - started)
    return model


def choose_mix(sets: dict[str, tuple[np.ndarray, np.ndarray, list[str]]], weight_recall: float | cal.Objective,
               weights: dict[str, float]) -> tuple[float, list[float], float]:
    """(b, offsets, objective): ``sets`` maps genre -> (transformer logits, n-gram logits, gold) of
    the calibration halves. The smallest b wins a tie."""
    best: tuple[float, list[float], float] = (0.0, [0.0, 0.0, 0.0], -1.0)
    for b in MIX_GRID:
        mixed = {name: (t + b * g, gold) for name, (t, g, gold) in sets.items()}
        bias, objective = cal.choose_bias(mixed, weight_recall, weights)
        log.info("mix b=%.3f: calibration objective %.4f, offsets %s", b, objective, bias)
        if objective > best[2] + 1e-9:
            best = (b, bias, objective)
    return best


def stack(route: str, data_dir: Path, adapter: Path, backend: str, threads: int, max_features: int,
          c: float, model_id: str | None, reuse: Path | None = None) -> dict[str, object]:
    from monitor.nlp.sentiment.config import SentimentConfig
    from monitor.nlp.sentiment.loading import load_builtin

    recipe = ROUTES[route]
    weight_recall, weights = recipe.weight_recall, recipe.calibrate_weights
    objective_spec = cal.Objective(recipe.weight_recall, recipe.weight_negative, recipe.negative_precision)
    if reuse is not None:  # another adapter's n-gram model, fitted on the same training splits (a student's)
        ngram = NgramModel.load(reuse)
        if reuse.resolve() != (adapter / "ngram.safetensors").resolve():
            ngram.save(adapter / "ngram.safetensors")
    else:
        ngram = train_route_ngram(route, data_dir, max_features, c)
        ngram.save(adapter / "ngram.safetensors")
    spec_file = adapter / "adapter.json"
    spec = AdapterSpec.read(spec_file)
    spec.ngram = None  # score with the transformer alone
    spec.logit_bias = [0.0, 0.0, 0.0]
    spec.write(spec_file)
    clf = load_builtin(route, SentimentConfig(backend=backend, threads=threads, batch_size=128), folder=adapter)
    cal_halves, rep_halves = cal.score_halves(clf.probabilities, data_dir, recipe.calibrate_on)
    cal_sets = {k: (logp, ngram.logits(texts), gold) for k, (logp, gold, texts) in cal_halves.items()}
    rep_sets = {k: (logp, ngram.logits(texts), gold) for k, (logp, gold, texts) in rep_halves.items()}
    b, bias, objective = choose_mix(cal_sets, objective_spec, weights)
    scores: dict[str, object] = {}
    for name, (t, g, gold) in rep_sets.items():
        mixed, alone = cal.report(t + b * g, gold, bias), cal.report(g, gold, [0.0, 0.0, 0.0])
        scores[name] = {"report_half": {m: round(float(mixed[m]), 4) for m in ("macro_f1", "macro_recall", "accuracy")},
                        "report_half_ngram_alone": {m: round(float(alone[m]), 4) for m in ("macro_f1", "macro_recall")},
                        "n": mixed["n"]}
        log.info("%s report half: macro_f1 %.4f macro_recall %.4f (n-gram alone %.4f)", name, mixed["macro_f1"],
                 mixed["macro_recall"], alone["macro_f1"])
    spec.ngram = {"file": "ngram.safetensors", "weights": [1.0, b], "features": len(ngram.vocab),
                  "max_features": max_features, "C": c}
    spec.logit_bias = bias
    if model_id:
        spec.model_id = model_id
    spec.train["stacking"] = {"mix_b": b, "bias": bias, "backend": backend, "weight_recall": weight_recall,
                              "weights": weights, "calibration_half_objective": round(objective, 4),
                              "scores": scores}
    spec.write(spec_file)
    log.info("mix b=%s, offsets %s written to %s", b, bias, spec_file)
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("route", choices=sorted(ROUTES))
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--adapter", type=Path, required=True, help="a trained adapter directory (changed in place)")
    parser.add_argument("--backend", choices=["onnx", "torch"], default="onnx",
                        help="which path scores the halves (default: the shipped fast path)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-features", type=int, default=200_000)
    parser.add_argument("--C", type=float, default=2.0)
    parser.add_argument("--model-id", help="the mixed model's id (default: keep the adapter's)")
    parser.add_argument("--ngram", type=Path, help="reuse this fitted n-gram model instead of fitting one")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    print(json.dumps(stack(args.route, args.data, args.adapter, args.backend, args.threads, args.max_features,
                           args.C, args.model_id, args.ngram)))


if __name__ == "__main__":
    main()
