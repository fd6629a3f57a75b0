"""Class-prior correction of a trained adapter: per-class logit offsets chosen on held-out data.

Cross-entropy training on SemEval's label mix (negative is the rarest class) under-predicts
negatives, which costs macro-recall, the metric the field reports. Adding an offset to each
class's logit fixes the operating point without retraining. The offsets are chosen on one
half of each validation split (``CAL``) and the scores reported on the other half
(``REPORT``), so the reported numbers come from examples that neither training nor this
choice has seen.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from monitor.nlp.sentiment.data import GENRES, LABEL_ID, Example, load_genre
from monitor.nlp.sentiment.metrics import evaluate

GRID = np.round(np.arange(-1.5, 1.51, 0.1), 2)


def halves(examples: Sequence[Example]) -> tuple[list[Example], list[Example]]:
    """(calibration half, report half): alternate examples, so both keep the label mix."""
    return list(examples[0::2]), list(examples[1::2])


HalfSet = tuple[np.ndarray, list[str], list[str]]  # log-probabilities, gold labels, texts


def score_halves(probabilities: Callable[[list[str]], np.ndarray], data_dir: Path,
                 genres: Sequence[str]) -> tuple[dict[str, HalfSet], dict[str, HalfSet]]:
    """(calibration halves, report halves): per genre, the model's log-probabilities, the gold
    labels and the texts (so a caller can add other features of the same texts)."""
    out: tuple[dict[str, HalfSet], dict[str, HalfSet]] = ({}, {})
    for name in genres:
        _, val = load_genre(data_dir, GENRES[name])
        for half, into in zip(halves(val), out, strict=True):
            texts = [e.text for e in half]
            into[name] = (np.log(probabilities(texts) + 1e-9), [e.label for e in half], texts)
    return out


def _macro(gold: np.ndarray, pred: np.ndarray, classes: list[int]) -> tuple[float, float]:
    f1s, recalls = [], []
    for c in classes:
        tp = float(np.sum((gold == c) & (pred == c)))
        n_pred = float(np.sum(pred == c))
        support = float(np.sum(gold == c))
        p = tp / n_pred if n_pred else 0.0
        r = tp / support if support else 0.0
        f1s.append(2 * p * r / (p + r) if p + r else 0.0)
        recalls.append(r)
    return float(np.mean(f1s)), float(np.mean(recalls))


def choose_bias(sets: dict[str, tuple[np.ndarray, list[str]]], weight_recall: float,
                weights: dict[str, float] | None = None) -> tuple[list[float], float]:
    """Offsets (negative fixed at 0) maximising the mean over sets of
    ``(1 - w) * macro_f1 + w * macro_recall``; ``sets`` maps name -> (log-probs, gold labels).
    ``weights`` weighs the sets (default 1 each): the two binary review sets share one genre.
    Returns the offsets and the objective they reach (used to compare training stages)."""
    prepared = []
    for name, (logp, gold) in sets.items():
        g = np.array([LABEL_ID[x] for x in gold])
        prepared.append((logp, g, sorted(set(g.tolist())), (weights or {}).get(name, 1.0)))
    norm = sum(w for *_, w in prepared)
    best, best_bias = -1.0, [0.0, 0.0, 0.0]
    for b_neu, b_pos in itertools.product(GRID, GRID):
        bias = np.array([0.0, b_neu, b_pos], dtype=np.float32)
        total = 0.0
        for logp, g, classes, w in prepared:
            f1, rec = _macro(g, (logp + bias).argmax(axis=1), classes)
            total += w * ((1 - weight_recall) * f1 + weight_recall * rec)
        score = total / norm
        if score > best + 1e-9 or (abs(score - best) <= 1e-9 and float(np.abs(bias).sum()) < sum(map(abs, best_bias))):
            best, best_bias = score, [0.0, float(b_neu), float(b_pos)]
    return best_bias, best


def report(logp: np.ndarray, gold: list[str], bias: Sequence[float]) -> dict[str, object]:
    from monitor.nlp.sentiment.data import LABELS

    pred = (logp + np.asarray(bias, dtype=np.float32)).argmax(axis=1)
    return evaluate(gold, [LABELS[i] for i in pred])
