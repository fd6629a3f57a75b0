from __future__ import annotations

import pytest

from monitor.nlp.sentiment.training.metrics import evaluate


def test_three_class_scores_match_hand_computation() -> None:
    gold = ["negative", "negative", "neutral", "positive", "positive", "positive"]
    pred = ["negative", "positive", "neutral", "positive", "neutral", "negative"]
    r = evaluate(gold, pred)
    assert r["n"] == 6
    assert r["accuracy"] == pytest.approx(0.5)
    assert r["per_class"]["negative"] == pytest.approx({"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2})
    assert r["per_class"]["neutral"] == pytest.approx({"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 1})
    assert r["per_class"]["positive"] == pytest.approx({"precision": 0.5, "recall": 1 / 3, "f1": 0.4, "support": 3})
    assert r["macro_f1"] == pytest.approx((0.5 + 2 / 3 + 0.4) / 3)
    assert r["macro_recall"] == pytest.approx((0.5 + 1.0 + 1 / 3) / 3)
    assert r["classes"] == ["negative", "neutral", "positive"]


def test_binary_gold_counts_neutral_predictions_as_errors_and_averages_over_two_classes() -> None:
    gold = ["negative", "negative", "positive", "positive"]
    pred = ["negative", "neutral", "positive", "negative"]
    r = evaluate(gold, pred)
    assert r["classes"] == ["negative", "positive"]
    assert "neutral" not in r["per_class"]
    assert r["accuracy"] == pytest.approx(0.5)
    assert r["per_class"]["negative"]["precision"] == pytest.approx(0.5)
    assert r["per_class"]["positive"] == pytest.approx({"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2})
    assert r["macro_f1"] == pytest.approx((0.5 + 2 / 3) / 2)
    assert r["macro_recall"] == pytest.approx(0.5)


def test_a_class_never_predicted_has_zero_precision_not_a_crash() -> None:
    r = evaluate(["negative", "positive"], ["positive", "positive"])
    assert r["per_class"]["negative"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert r["macro_recall"] == pytest.approx(0.5)


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="2 gold labels but 1 predictions"):
        evaluate(["negative", "positive"], ["positive"])


def test_confusion_counts_every_predicted_label_per_gold_class() -> None:
    r = evaluate(["negative", "negative", "positive"], ["neutral", "negative", "negative"])
    assert r["confusion"] == {"negative": {"negative": 1, "neutral": 1, "positive": 0},
                              "positive": {"negative": 1, "neutral": 0, "positive": 0}}
