"""Recorded feeds: broken lines reported with their line number and skipped."""

from __future__ import annotations

from pathlib import Path

from monitor.feed import BadLine, FeedWriter, read_feed
from monitor.models import Post, parse_event

GOOD = '{"type": "post", "ts": "2026-03-01T08:00:00Z", "source": "x", "id": "1", "text": "hello"}'


def test_broken_lines_are_reported_and_skipped(tmp_path: Path) -> None:
    feed = tmp_path / "f.jsonl"
    feed.write_text("\n".join([GOOD, "{not json", "", '{"type": "post", "ts": "x", "source": "s", "id": "2", '
                               '"text": "t"}', GOOD.replace('"1"', '"3"')]) + "\n")
    items = list(read_feed(feed))
    assert [n for n, _ in items] == [1, 2, 4, 5]
    bad = [i for _, i in items if isinstance(i, BadLine)]
    assert [str(b) for b in bad] == [
        "f.jsonl: line 2: not valid JSON (Expecting property name enclosed in double quotes at column 2) "
        "(line skipped)",
        "f.jsonl: line 4: field 'ts' is not an ISO 8601 time: 'x' (write e.g. 2026-03-01T08:00:00Z) (line skipped)",
    ]
    assert [i.id for _, i in items if isinstance(i, Post)] == ["1", "3"]
    assert [n for n, _ in read_feed(feed, start_line=4)] == [5]


def test_writer_appends_replayable_lines(tmp_path: Path) -> None:
    out = tmp_path / "rec" / "out.jsonl"
    w = FeedWriter(out)
    w.write(parse_event({"type": "post", "ts": "2026-03-01T08:00:00Z", "source": "x", "id": "1", "text": "中文",
                         "vendor_field": {"a": 1}}))
    w.close()
    ((_, event),) = list(read_feed(out))
    assert isinstance(event, Post) and event.text == "中文" and event.extra == {"vendor_field": {"a": 1}}


def test_a_byte_order_mark_does_not_cost_the_first_event(tmp_path: Path) -> None:
    feed = tmp_path / "f.jsonl"
    feed.write_bytes(b"\xef\xbb\xbf" + (GOOD + "\n" + GOOD.replace('"1"', '"2"') + "\n").encode())
    assert [(n, i.id) for n, i in read_feed(feed) if isinstance(i, Post)] == [(1, "1"), (2, "2")]


def test_reading_only_lines_that_mention_a_field(tmp_path: Path) -> None:
    feed = tmp_path / "f.jsonl"
    marked = GOOD.replace('"id": "1"', '"id": "2", "phase": "leak"')
    escaped = GOOD.replace('"id": "1"', '"id": "3", "\\u0070hase": "recall"')  # "phase" spelled with an escape
    feed.write_text("\n".join([GOOD, marked, escaped, GOOD.replace('"1"', '"4"')]) + "\n")
    items = list(read_feed(feed, mentioning="phase"))
    assert [(n, i.id, i.extra) for n, i in items] == [(2, "2", {"phase": "leak"}), (3, "3", {"phase": "recall"})]
    plain = tmp_path / "plain.jsonl"
    plain.write_text(GOOD + "\n{not json\n")
    assert list(read_feed(plain, mentioning="phase")) == []  # no line can carry it: nothing decoded
    # the raw search runs in 1 MiB blocks: a field name cut by a block boundary is still found
    big = tmp_path / "big.jsonl"
    filler = GOOD + "\n"
    head = filler * ((1 << 20) // len(filler) - 2)
    pad = (1 << 20) - len(head) - marked.index("phase") - 2  # "p" is the block's last byte, "hase" the next's
    big.write_text(head + " " * pad + "\n" + marked + "\n")
    assert big.read_bytes()[(1 << 20) - 1:(1 << 20) + 4] == b"phase"
    assert [i.id for _, i in read_feed(big, mentioning="phase")] == ["2"]
