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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from monitor.nlp.sentiment.training.data import GENRES, LABEL_ID, Example, load_genre
from monitor.nlp.sentiment.training.metrics import evaluate

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


def _macro(gold: np.ndarray, pred: np.ndarray, classes: list[int]) -> tuple[float, float, float, float]:
    """(macro-F1, macro-recall, negative F1, negative precision) over ``classes`` (gold classes)."""
    f1s, recalls = [], []
    neg_f1 = neg_p = 0.0
    for c in classes:
        tp = float(np.sum((gold == c) & (pred == c)))
        n_pred = float(np.sum(pred == c))
        support = float(np.sum(gold == c))
        p = tp / n_pred if n_pred else 0.0
        r = tp / support if support else 0.0
        f1s.append(2 * p * r / (p + r) if p + r else 0.0)
        recalls.append(r)
        if c == 0:
            neg_f1, neg_p = f1s[-1], p
    return float(np.mean(f1s)), float(np.mean(recalls)), neg_f1, neg_p


@dataclass(frozen=True)
class Objective:
    """What the offsets are chosen for: ``(1 - w_r - w_n) * macro-F1 + w_r * macro-recall + w_n * negative F1``,
    among the offsets whose negative precision (weighted mean over the sets) is at least ``negative_precision``
    (alerts count negative posts: a model that buys negative recall with wrong negatives inflates every
    count). When no offsets reach the floor, the best objective among all of them wins."""

    weight_recall: float = 0.0
    weight_negative: float = 0.0
    negative_precision: float = 0.0


def choose_bias(sets: dict[str, tuple[np.ndarray, list[str]]], weight_recall: float | Objective,
                weights: dict[str, float] | None = None) -> tuple[list[float], float]:
    """Offsets (negative fixed at 0) maximising the weighted mean over sets of the objective (a float:
    ``(1 - w) * macro_f1 + w * macro_recall``); ``sets`` maps name -> (log-probs, gold labels).
    ``weights`` weighs the sets (default 1 each): the two binary review sets share one genre.
    Returns the offsets and the objective they reach (used to compare training stages)."""
    obj = weight_recall if isinstance(weight_recall, Objective) else Objective(weight_recall=weight_recall)
    w_f1 = 1.0 - obj.weight_recall - obj.weight_negative
    prepared = []
    for name, (logp, gold) in sets.items():
        g = np.array([LABEL_ID[x] for x in gold])
        prepared.append((logp, g, sorted(set(g.tolist())), (weights or {}).get(name, 1.0)))
    norm = sum(w for *_, w in prepared)
    best, best_key, best_bias = -1.0, (False, -1.0), [0.0, 0.0, 0.0]
    for b_neu, b_pos in itertools.product(GRID, GRID):
        bias = np.array([0.0, b_neu, b_pos], dtype=np.float32)
        total = precision = 0.0
        for logp, g, classes, w in prepared:
            f1, rec, neg_f1, neg_p = _macro(g, (logp + bias).argmax(axis=1), classes)
            total += w * (w_f1 * f1 + obj.weight_recall * rec + obj.weight_negative * neg_f1)
            precision += w * neg_p
        score = total / norm
        key = (precision / norm >= obj.negative_precision - 1e-9, score)
        if key > (best_key[0], best_key[1] + 1e-9) or (
                key[0] == best_key[0] and abs(score - best) <= 1e-9
                and float(np.abs(bias).sum()) < sum(map(abs, best_bias))):
            best, best_key, best_bias = score, key, [0.0, float(b_neu), float(b_pos)]
    return best_bias, best


def report(logp: np.ndarray, gold: list[str], bias: Sequence[float]) -> dict[str, object]:
    from monitor.nlp.sentiment.training.data import LABELS

    pred = (logp + np.asarray(bias, dtype=np.float32)).argmax(axis=1)
    return evaluate(gold, [LABELS[i] for i in pred])
