from __future__ import annotations

import pytest

from monitor.errors import ModelError
from monitor.nlp.sentiment.labels import map_labels


@pytest.mark.parametrize(("names", "expected"), [
    (["negative", "neutral", "positive"], ["negative", "neutral", "positive"]),
    (["POS", "NEG"], ["positive", "negative"]),
    (["Negative", "Positive"], ["negative", "positive"]),
    (["LABEL_0", "LABEL_1", "LABEL_2"], ["negative", "neutral", "positive"]),
    (["LABEL_0", "LABEL_1"], ["negative", "positive"]),
    (["1 star", "2 stars", "3 stars", "4 stars", "5 stars"],
     ["negative", "negative", "neutral", "positive", "positive"]),
])
def test_common_conventions_are_mapped(names: list[str], expected: list[str]) -> None:
    assert map_labels(dict(enumerate(names)), "m") == expected


def test_unknown_labels_fail_with_the_fix() -> None:
    with pytest.raises(ModelError) as err:
        map_labels({0: "joy", 1: "anger"}, "some/model")
    assert str(err.value) == (
        "sentiment model some/model: cannot map its labels ['joy', 'anger'] to negative/neutral/positive; "
        "add a label_map to the sentiment config, e.g. label_map: {joy: negative, ...}")


def test_explicit_label_map_wins_and_must_cover_every_label() -> None:
    assert map_labels({0: "joy", 1: "anger"}, "m", {"Joy": "positive", "anger": "negative"}) == ["positive", "negative"]
    with pytest.raises(ModelError, match=r"label_map does not cover its labels \['anger'\]"):
        map_labels({0: "joy", 1: "anger"}, "m", {"joy": "positive"})
