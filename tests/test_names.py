"""Level and label names are defined once (monitor.names) and every other module imports them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

from monitor import names
from monitor.alerts.notifiers.base import NotifierConfig
from monitor.config import ROUTING_LEVELS
from monitor.store_actions import LEVELS as SILENCE_LEVELS

PACKAGE = Path(__file__).resolve().parents[1] / "monitor"
# a second spelling of the whole list, in either quoting, as a tuple, list, set or Literal
LEVEL_LIST = re.compile(r"""["']blue["'],\s*["']yellow["'],\s*["']red["']""")
LABEL_LIST = re.compile(r"""["']negative["'],\s*["']neutral["'],\s*["']positive["']""")
# http_api.py is being rewritten on another branch; its LABELS tuple goes when that lands
PENDING: set[str] = set()


def test_levels_order_rank_and_literal_agree() -> None:
    assert names.LEVELS == ("blue", "yellow", "red") == get_args(names.Level)
    assert [names.RANK[x] for x in names.LEVELS] == [1, 2, 3]
    assert names.ROUTING_LEVELS == (*names.LEVELS, "system") == ROUTING_LEVELS == SILENCE_LEVELS
    assert NotifierConfig(kind="x").levels == list(names.LEVELS)


def test_labels_follow_the_model_column_order() -> None:
    assert names.LABELS == ("negative", "neutral", "positive") == get_args(names.Label)
    assert names.LABEL_ID == {"negative": 0, "neutral": 1, "positive": 2}


def test_peak_is_the_most_severe() -> None:
    assert names.peak(["blue", "red", "yellow"]) == "red"
    assert names.peak(["yellow", "blue"]) == "yellow"
    assert names.peak([]) is None


def test_no_other_module_spells_the_lists_again() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "names.py" or path.relative_to(PACKAGE).as_posix() in PENDING:
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in (LEVEL_LIST, LABEL_LIST):
            for m in pattern.finditer(text):
                offenders.append(f"{path.relative_to(PACKAGE)}:{text.count(chr(10), 0, m.start()) + 1}")
    assert offenders == [], f"import the names from monitor.names instead: {offenders}"
