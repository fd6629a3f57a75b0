"""Names that mean the same thing everywhere: alert levels and sentiment labels, defined once.

Everything else imports them from here (models, config, engine, notifiers, store actions, the
sentiment scorer and its training tools), so adding a level or renaming a label is one edit.
This module imports nothing from the package: any layer may use it.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

Level = Literal["blue", "yellow", "red"]
LEVELS: Final[tuple[Level, ...]] = get_args(Level)
"""Crisis levels, mildest first."""

RANK: Final[dict[str, int]] = {name: i + 1 for i, name in enumerate(LEVELS)}
"""Severity of a level: a larger number is more severe (blue 1, yellow 2, red 3)."""

SYSTEM: Final = "system"
"""The level of alerts about the monitor itself (a blind spot, a recovery), not about the brand."""

ROUTING_LEVELS: Final[tuple[str, ...]] = (*LEVELS, SYSTEM)
"""Levels a notifier's ``levels:`` routing, a silence or a query may name."""

Label = Literal["negative", "neutral", "positive"]
LABELS: Final[tuple[Label, ...]] = get_args(Label)
"""Sentiment labels in the order of a model's output columns."""

LABEL_ID: Final[dict[str, int]] = {name: i for i, name in enumerate(LABELS)}
"""Label -> output column."""


def peak(levels: list[str] | tuple[str, ...]) -> str | None:
    """The most severe of ``levels`` (None when empty)."""
    return max(levels, key=RANK.__getitem__, default=None)
