"""Classification scores the way sentiment papers report them (SemEval: macro-averaged recall).

For binary gold sets (no neutral in the gold labels) a neutral prediction is simply wrong,
and macro averages run over the gold classes only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from monitor.nlp.sentiment.training.data import LABELS


def evaluate(gold: Sequence[str], pred: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro F1/recall/precision and per-class precision, recall, f1, support."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold labels but {len(pred)} predictions")
    classes = [c for c in LABELS if c in set(gold)]
    per_class: dict[str, dict[str, float | int]] = {}
    for c in classes:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == c and p == c)
        n_pred = sum(1 for p in pred if p == c)
        support = sum(1 for g in gold if g == c)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[c] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    n = len(gold)
    k = len(classes) or 1
    out: dict[str, Any] = {
        "n": n,
        "accuracy": sum(1 for g, p in zip(gold, pred, strict=True) if g == p) / n if n else 0.0,
        "macro_f1": sum(float(s["f1"]) for s in per_class.values()) / k,
        "macro_recall": sum(float(s["recall"]) for s in per_class.values()) / k,
        "macro_precision": sum(float(s["precision"]) for s in per_class.values()) / k,
        "classes": classes,
        "per_class": per_class,
        # gold class -> predicted label -> count (every predicted label, so neutral guesses on a binary set show)
        "confusion": {g: {p: sum(1 for x, y in zip(gold, pred, strict=True) if x == g and y == p) for p in LABELS}
                      for g in classes},
    }
    return out


def format_report(report: dict[str, Any]) -> str:
    """Per-class precision / recall / F1 / support and the confusion matrix, as a small text table."""
    lines = [f"{'class':<10}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}"]
    for c, s in report["per_class"].items():
        lines.append(f"{c:<10}{s['precision']:>10.3f}{s['recall']:>8.3f}{s['f1']:>8.3f}{s['support']:>9d}")
    lines.append("confusion (rows: gold, columns: predicted)")
    lines.append(f"{'':<10}" + "".join(f"{p:>10}" for p in LABELS))
    for g, row in report["confusion"].items():
        lines.append(f"{g:<10}" + "".join(f"{row[p]:>10d}" for p in LABELS))
    return "\n".join(lines)
