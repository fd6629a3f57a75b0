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
