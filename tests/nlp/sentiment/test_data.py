from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import ModelError
from monitor.feed import BadLine
from monitor.nlp.sentiment.data import GENRES, Example, iter_tsv, load_genre, read_tsv


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "set.tsv"
    path.write_text(body, encoding="utf-8")
    return path


def test_reads_examples_and_reports_malformed_lines_with_numbers(tmp_path: Path) -> None:
    path = _write(tmp_path, "label\ttext\npositive\tgreat day\nno tab here\nhappy\tnice\n\nNegative\t  awful  \n"
                            "neutral\t   \n")
    examples, problems = read_tsv(path)
    assert examples == [Example("positive", "great day"), Example("negative", "awful")]
    assert [str(p) for p in problems] == [
        f"{path}: line 3: no tab between label and text (line skipped)",
        f"{path}: line 4: label 'happy' is not one of negative, neutral, positive (line skipped)",
        f"{path}: line 7: empty text (line skipped)",
    ]


def test_items_come_in_file_order(tmp_path: Path) -> None:
    path = _write(tmp_path, "label\ttext\nbroken\nnegative\tbad\n")
    kinds = [type(item) for item in iter_tsv(path)]
    assert kinds == [BadLine, Example]


def test_a_wrong_header_is_fatal_and_says_what_is_expected(tmp_path: Path) -> None:
    path = _write(tmp_path, "text\tlabel\nbad\tnegative\n")
    with pytest.raises(ModelError) as err:
        read_tsv(path)
    assert str(err.value) == f"{path}: line 1: the header must be 'label<TAB>text', got 'text\\tlabel'"


def test_missing_file_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="cannot read"):
        read_tsv(tmp_path / "nope.tsv")


def test_validation_split_is_deterministic_and_disjoint(tmp_path: Path) -> None:
    lines = "".join(f"{['negative', 'neutral', 'positive'][i % 3]}\ttext number {i}\n" for i in range(200))
    (tmp_path / "sentiment").mkdir()
    (tmp_path / GENRES["zh_weibo"].train).write_text("label\ttext\n" + lines, encoding="utf-8")
    train1, val1 = load_genre(tmp_path, GENRES["zh_weibo"])
    train2, val2 = load_genre(tmp_path, GENRES["zh_weibo"])
    assert val1 == val2 and train1 == train2
    assert len(val1) == 20 and len(train1) == 180
    assert not {e.text for e in val1} & {e.text for e in train1}
