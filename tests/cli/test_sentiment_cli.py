"""`monitor sentiment score|eval` through the real command line, on a tiny local model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.nlp.sentiment.testing import make_tiny_model


@pytest.fixture(scope="module")
def always_positive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("m") / "always-positive", constant=2)


def test_eval_prints_metrics_json_last_and_reports_bad_lines(tmp_path: Path, always_positive: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    tsv = tmp_path / "set.tsv"
    tsv.write_text("label\ttext\nnegative\tbad service\nnegative\tawful phone\nneutral\tthe phone\n"
                   "positive\tgood day\npositive\tlove it\npositive\tgreat\nno tab on this line\n"
                   "maybe\tthe day\n", encoding="utf-8")
    code = main(["sentiment", "eval", str(tsv), "--model", str(always_positive), "--backend", "torch"])
    out, err = capsys.readouterr()
    assert code == 0
    report = json.loads(out.strip().splitlines()[-1])
    # every prediction is "positive": 3 of 6 right; positive P=3/6 R=1; the other classes score 0
    assert report["n"] == 6 and report["skipped"] == 2
    assert report["accuracy"] == pytest.approx(0.5)
    assert report["macro_f1"] == pytest.approx((2 / 3) / 3)
    assert report["macro_recall"] == pytest.approx(1 / 3)
    assert report["per_class"]["positive"] == pytest.approx({"precision": 0.5, "recall": 1.0, "f1": 2 / 3,
                                                             "support": 3})
    assert report["per_class"]["negative"]["support"] == 2
    assert f"{tsv}: line 8: no tab between label and text (line skipped)" in err
    assert f"{tsv}: line 9: label 'maybe' is not one of negative, neutral, positive (line skipped)" in err


def test_eval_on_a_binary_set_averages_over_its_two_classes(tmp_path: Path, always_positive: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    tsv = tmp_path / "binary.tsv"
    tsv.write_text("label\ttext\nnegative\tbad\npositive\tgood\npositive\tgreat\npositive\tlove it\n", encoding="utf-8")
    assert main(["sentiment", "eval", str(tsv), "--model", str(always_positive), "--backend", "torch"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["classes"] == ["negative", "positive"]
    assert report["macro_recall"] == pytest.approx(0.5)
    assert report["macro_f1"] == pytest.approx((0 + 2 * 0.75 / 1.75) / 2)


def test_score_json_gives_one_object_per_text(always_positive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sentiment", "score", "good day", "很 好", "--json", "--model", str(always_positive),
                 "--backend", "torch"])
    assert code == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["text"], r["label"], r["lang"]) for r in rows] == [("good day", "positive", "en"),
                                                                  ("很 好", "positive", "zh")]
    assert all(r["model"] == str(always_positive) and 0.99 < r["score"] <= 1 for r in rows)


def test_score_with_lang_and_plain_output(always_positive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sentiment", "score", "good day", "--lang", "de", "--model", str(always_positive),
                 "--backend", "torch"]) == 0
    assert capsys.readouterr().out == "positive 1.00  [de]  good day\n"


def test_bad_model_path_exits_non_zero_with_the_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sentiment", "score", "x", "--model", str(tmp_path / "missing"), "--backend", "torch"])
    assert code == 1
    assert "no such directory" in capsys.readouterr().err


def test_eval_of_a_file_without_examples_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tsv = tmp_path / "empty.tsv"
    tsv.write_text("label\ttext\nbroken line\n", encoding="utf-8")
    assert main(["sentiment", "eval", str(tsv), "--backend", "torch"]) == 1
    assert f"error: {tsv}: no valid examples to evaluate" in capsys.readouterr().err


def test_settings_come_from_monitor_yaml_and_flags_override_them(tmp_path: Path, always_positive: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from tests.support import write_config

    config = write_config(tmp_path, f"""\
        store: {{path: unused.db}}
        keywords: keywords.yaml
        playbooks: @PLAYBOOKS@
        sentiment:
          model: {always_positive}
          backend: torch
        """)
    assert main(["sentiment", "score", "bad day", "--json", "--config", str(config)]) == 0
    row = json.loads(capsys.readouterr().out)
    assert (row["label"], row["model"]) == ("positive", str(always_positive))
    assert main(["sentiment", "score", "bad day", "--config", str(config), "--model", str(tmp_path / "nope")]) == 1
    assert "no such directory" in capsys.readouterr().err


@pytest.fixture(scope="module")
def leans_neutral_then_positive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # probabilities for every text: softmax(0, 2, 1) = negative 0.09, neutral 0.67, positive 0.24
    return make_tiny_model(tmp_path_factory.mktemp("m") / "neutral-then-positive", bias=(0.0, 2.0, 1.0))


def test_eval_on_a_binary_set_asks_the_two_sided_question_by_default(
        tmp_path: Path, leans_neutral_then_positive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tsv = tmp_path / "reviews.tsv"
    tsv.write_text("label\ttext\nnegative\tbad\npositive\tgood\npositive\tgreat\n", encoding="utf-8")
    args = ["sentiment", "eval", str(tsv), "--model", str(leans_neutral_then_positive), "--backend", "torch"]
    assert main(args) == 0
    out, err = capsys.readouterr()
    report = json.loads(out.strip().splitlines()[-1])
    # neutral is set aside: every text is positive (0.24 > 0.09), 2 of 3 right
    assert report["binary"] is True
    assert report["confusion"] == {"negative": {"negative": 0, "neutral": 0, "positive": 1},
                                   "positive": {"negative": 0, "neutral": 0, "positive": 2}}
    assert report["accuracy"] == pytest.approx(2 / 3)
    assert "a binary set (no neutral gold labels)" in err
    assert main([*args, "--binary", "off"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    # the same model asked the three-sided question: every text neutral, every one an error
    assert report["binary"] is False and report["accuracy"] == 0.0
    assert report["confusion"]["positive"] == {"negative": 0, "neutral": 2, "positive": 0}


def test_eval_prints_per_class_scores_and_the_confusion_matrix(tmp_path: Path, always_positive: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    tsv = tmp_path / "set.tsv"
    tsv.write_text("label\ttext\nnegative\tbad\nneutral\tthe phone\npositive\tgood\npositive\tlove it\n",
                   encoding="utf-8")
    assert main(["sentiment", "eval", str(tsv), "--model", str(always_positive), "--backend", "torch"]) == 0
    out, err = capsys.readouterr()
    report = json.loads(out.strip().splitlines()[-1])
    assert {"n", "accuracy", "macro_f1", "macro_recall", "per_class", "confusion"} <= set(report)
    assert report["binary"] is False  # a neutral gold label: the three-sided question
    assert report["confusion"]["neutral"] == {"negative": 0, "neutral": 0, "positive": 1}
    lines = err.splitlines()
    assert "positive       0.500   1.000   0.667        2" in lines
    assert "negative           0         0         1" in lines
    assert "confusion (rows: gold, columns: predicted)" in lines
