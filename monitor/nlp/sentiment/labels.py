"""Map a user-supplied model's output labels onto negative / neutral / positive.

Hub sentiment models label their outputs in a handful of conventions: the words
themselves, abbreviations (neg/neu/pos), bare ``LABEL_0..LABEL_2`` (cardiffnlp order:
negative, neutral, positive; two labels: negative, positive) and review stars
(1-2 negative, 3 neutral, 4-5 positive). Anything else needs an explicit ``label_map``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from monitor.errors import ModelError
from monitor.names import LABELS, Label

_WORDS: dict[str, Label] = {
    "negative": "negative", "neg": "negative", "bad": "negative",
    "neutral": "neutral", "neu": "neutral", "none": "neutral", "mixed": "neutral",
    "positive": "positive", "pos": "positive", "good": "positive",
}
_STAR = re.compile(r"^([1-5])\s*stars?$")
_GENERIC = re.compile(r"^label_(\d+)$")


def map_labels(id2label: Mapping[int, str], model: str, explicit: Mapping[str, Label] | None = None) -> list[Label]:
    """For each output index (0..n-1), the label it votes for."""
    n = len(id2label)
    names = [str(id2label[i]) for i in range(n)]
    if explicit:
        lowered = {k.lower(): v for k, v in explicit.items()}
        missing = [name for name in names if name.lower() not in lowered]
        if missing:
            raise ModelError(f"sentiment model {model}: label_map does not cover its labels {missing}")
        return [lowered[name.lower()] for name in names]
    keys = [name.strip().lower() for name in names]
    if all(k in _WORDS for k in keys):
        return [_WORDS[k] for k in keys]
    if all(_STAR.match(k) for k in keys):
        stars = [int(_STAR.match(k).group(1)) for k in keys]  # type: ignore[union-attr]
        return ["negative" if s <= 2 else "neutral" if s == 3 else "positive" for s in stars]
    if all(_GENERIC.match(k) for k in keys) and n in (2, 3):
        return ["negative", "positive"] if n == 2 else list(LABELS)
    raise ModelError(
        f"sentiment model {model}: cannot map its labels {names} to negative/neutral/positive; "
        f"add a label_map to the sentiment config, e.g. label_map: {{{names[0]}: negative, ...}}"
    )
