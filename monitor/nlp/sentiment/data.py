"""Labelled TSV files (the ../shared/data format) and the fixed train/validation splits.

Format: a header line ``label<TAB>text``, then one example per line; labels are
negative/neutral/positive (binary sets use only negative/positive). A malformed line is
reported with its line number and skipped, never fatal.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from monitor.errors import ModelError
from monitor.feed import BadLine

LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")
LABEL_ID = {name: i for i, name in enumerate(LABELS)}


@dataclass(frozen=True, slots=True)
class Example:
    label: str
    text: str


def iter_tsv(path: Path) -> Iterator[Example | BadLine]:
    """Yield examples and problems in file order (header checked, blank lines ignored)."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ModelError(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        for lineno, raw in enumerate(handle, start=1):
            line = raw.rstrip("\r\n")
            if lineno == 1:
                if line.split("\t")[:2] != ["label", "text"]:
                    raise ModelError(f"{path}: line 1: the header must be 'label<TAB>text', got {line[:60]!r}")
                continue
            if not line.strip():
                continue
            label, sep, text = line.partition("\t")
            label = label.strip().lower()
            if not sep:
                yield BadLine(str(path), lineno, "no tab between label and text")
            elif label not in LABEL_ID:
                yield BadLine(str(path), lineno, f"label {label!r} is not one of {', '.join(LABELS)}")
            elif not text.strip():
                yield BadLine(str(path), lineno, "empty text")
            else:
                yield Example(label, text.strip())


def read_tsv(path: Path) -> tuple[list[Example], list[BadLine]]:
    examples: list[Example] = []
    problems: list[BadLine] = []
    for item in iter_tsv(path):
        (examples if isinstance(item, Example) else problems).append(item)  # type: ignore[arg-type]
    return examples, problems


# The genres the shipped model is judged on, with the files they are trained and validated on.
# ``val`` is either a file or a held-out fraction (capped) of the training file, drawn with SPLIT_SEED.
SPLIT_SEED = 20260301


@dataclass(frozen=True, slots=True)
class Genre:
    name: str
    train: str
    val: str | None = None  # separate validation file, else a held-out part of ``train``
    val_fraction: float = 0.1
    val_cap: int = 3000


GENRES: dict[str, Genre] = {
    g.name: g
    for g in (
        Genre("en_tweets", "sentiment/en_semeval2013-2016_train.tsv"),
        Genre("zh_weibo", "sentiment/zh_smp2020_weibo_train.tsv"),
        Genre("zh_waimai", "sentiment/zh_waimai10k_reviews.tsv"),
        Genre("zh_shopping", "sentiment/zh_online_shopping_reviews.tsv"),
        Genre("multi_tweets", "sentiment/multi_xlmt_train.tsv", val="sentiment/multi_xlmt_val.tsv"),
    )
}


def load_genre(data_dir: Path, genre: Genre) -> tuple[list[Example], list[Example]]:
    """(train, validation) examples of one genre, split deterministically."""
    train, _ = read_tsv(data_dir / genre.train)
    if genre.val is not None:
        val, _ = read_tsv(data_dir / genre.val)
        return train, val
    order = list(range(len(train)))
    random.Random(f"{SPLIT_SEED}:{genre.name}").shuffle(order)
    n_val = min(genre.val_cap, int(len(train) * genre.val_fraction))
    held = set(order[:n_val])
    return [train[i] for i in order[n_val:]], [train[i] for i in sorted(held)]
