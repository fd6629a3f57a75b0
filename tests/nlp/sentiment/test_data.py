from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import ModelError
from monitor.feed import BadLine
from monitor.nlp.sentiment.training.data import GENRES, Example, iter_tsv, load_genre, read_tsv


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


def test_the_time_split_holds_out_the_files_last_tenth(tmp_path: Path) -> None:
    lines = "".join(f"{['negative', 'neutral', 'positive'][i % 3]}\ttweet {i}\n" for i in range(200))
    (tmp_path / "sentiment").mkdir()
    (tmp_path / GENRES["en_tweets_time"].train).write_text("label\ttext\n" + lines, encoding="utf-8")
    train, val = load_genre(tmp_path, GENRES["en_tweets_time"])
    assert [e.text for e in val] == [f"tweet {i}" for i in range(180, 200)]
    assert [e.text for e in train] == [f"tweet {i}" for i in range(180)]


def test_unseen_part_is_the_later_slice_minus_what_the_random_split_trained_on(tmp_path: Path) -> None:
    from monitor.nlp.sentiment.training.data import unseen_part

    lines = "".join(f"{['negative', 'neutral', 'positive'][i % 3]}\ttweet {i}\n" for i in range(1000))
    (tmp_path / "sentiment").mkdir()
    (tmp_path / GENRES["en_tweets"].train).write_text("label\ttext\n" + lines, encoding="utf-8")
    _, random_val = load_genre(tmp_path, GENRES["en_tweets"])
    unseen = unseen_part(tmp_path, GENRES["en_tweets_time"], GENRES["en_tweets"])
    later = {f"tweet {i}" for i in range(900, 1000)}
    assert [e.text for e in unseen] == [e.text for e in random_val if e.text in later]
    assert 0 < len(unseen) < 100
    with pytest.raises(ValueError, match="do not split the same file"):
        unseen_part(tmp_path, GENRES["en_tweets_time"], GENRES["zh_weibo"])
