"""Watermark: nothing lost at the boundary second or to late indexing, nothing taken twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.models import Post
from monitor.sources.base import Batch
from monitor.sources.watermark import MAX_IDS, Watermark

T = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
FIVE = timedelta(minutes=5)


def test_first_run_takes_everything_and_starts_at_the_default() -> None:
    for mark in (Watermark(), Watermark.from_cursor(None, FIVE)):
        assert mark.is_new(T, "a")
        assert mark.is_new(T - timedelta(days=3), "x")  # the collector applies its own lookback
        assert mark.start(T - timedelta(hours=1)) == T - timedelta(hours=1)


def test_first_run_time_is_the_floor_and_is_stored() -> None:
    mark = Watermark.from_cursor(None, first_run=T - timedelta(days=7))
    assert mark.start(T) == T - timedelta(days=7)
    assert not mark.is_new(T - timedelta(days=8), "older-than-the-lookback")
    assert mark.to_cursor() == {"since": "2026-02-22T08:00:00Z", "ids": {}}
    stored = Watermark.from_cursor({"since": "2026-03-01T07:00:00Z", "ids": {}}, first_run=T - timedelta(days=7))
    assert stored.since == T - timedelta(hours=1)  # a stored time wins


def test_boundary_second_keeps_ids_and_later_times_reset_them() -> None:
    mark = Watermark()
    mark.take(T, "a")
    mark.take(T, "b")
    assert not mark.is_new(T, "a")
    nxt = Watermark.from_cursor(mark.to_cursor())  # the next poll
    assert not nxt.is_new(T, "a") and nxt.is_new(T, "c")
    assert not nxt.is_new(T - timedelta(seconds=1), "z")
    nxt.take(T + timedelta(seconds=1), "d")
    assert set(nxt.to_cursor()["ids"]) == {"d"}
    assert Watermark.from_cursor(nxt.to_cursor()).start(T) == T + timedelta(seconds=1)


def test_newer_then_older_in_one_poll_are_both_taken() -> None:
    cur = Watermark.from_cursor({"since": "2026-03-01T07:00:00Z", "ids": {}}, FIVE)
    assert cur.is_new(T, "new")
    cur.take(T, "new")
    assert cur.is_new(T - timedelta(minutes=30), "older-but-unseen")  # the poll's floor does not move mid-poll
    assert not cur.is_new(T, "new")


def test_round_trips_through_the_cursor() -> None:
    mark = Watermark()
    mark.take(T, "b")
    mark.take(T, "a")
    data = mark.to_cursor()
    assert data == {"since": "2026-03-01T08:00:00Z", "ids": {"a": T.timestamp(), "b": T.timestamp()}}
    back = Watermark.from_cursor(data)
    assert back.since == T and set(back.ids) == {"a", "b"}


def test_round_trip_keeps_only_ids_inside_the_overlap() -> None:
    cur = Watermark(FIVE)
    cur.take(T - timedelta(minutes=20), "old")
    cur.take(T - timedelta(minutes=4), "recent")
    cur.take(T, "newest")
    data = json.loads(json.dumps(cur.to_cursor()))
    assert data["since"] == "2026-03-01T08:00:00Z"
    assert set(data["ids"]) == {"recent", "newest"}
    again = Watermark.from_cursor(data, FIVE)
    assert again.start(T - timedelta(hours=1)) == T - FIVE
    assert not again.is_new(T - timedelta(minutes=4), "recent")
    assert again.is_new(T - timedelta(minutes=3), "late-indexed")  # appeared after we passed its time
    assert not again.is_new(T - timedelta(minutes=6), "behind-the-floor")


def test_garbage_cursor_starts_afresh() -> None:
    assert Watermark.from_cursor("nonsense") == Watermark()
    assert Watermark.from_cursor({"since": "not a time", "ids": {"x": 1}}) == Watermark()
    for junk in ("x", 3, {"since": "yesterday", "ids": {"a": 1}}, {"since": "2026-03-01T08:00:00Z", "ids": ["a"]},
                 {"since": "2026-03-01T08:00:00Z", "ids": {"a": True}}):
        cur = Watermark.from_cursor(junk, FIVE)
        assert cur.is_new(T, "a")


def test_cursor_size_is_bounded() -> None:
    cur = Watermark(timedelta(days=1))
    for i in range(MAX_IDS + 10):
        cur.take(T + timedelta(seconds=i), f"id{i}")
    kept = cur.to_cursor()["ids"]
    assert len(kept) == MAX_IDS and "id0" not in kept and f"id{MAX_IDS + 9}" in kept


def post(item_id: str, ts: datetime) -> Post:
    return Post(ts=ts, source="test", id=item_id, text=f"text of {item_id}")


def test_take_page_skips_malformed_and_taken_and_flags_items_older_than_start() -> None:
    mark = Watermark.from_cursor({"since": "2026-03-01T07:58:00Z", "ids": {"seen": T.timestamp() - 120}}, FIVE)
    start = mark.start(T - timedelta(hours=1))
    batch = Batch()

    def to_post(raw: Any) -> Post | None:
        if raw is None:
            batch.skip("malformed")
            return None
        return post(*raw)

    page = [("new", T), None, ("seen", T - timedelta(minutes=2)), ("late", T - timedelta(minutes=4))]
    assert mark.take_page(page, to_post, batch, start) is False
    assert [p.id for p in batch.events] == ["new", "late"] and dict(batch.skipped) == {"malformed": 1}
    older = [("also-new", T - timedelta(minutes=1)), ("old", T - timedelta(minutes=9)), ("after-old", T)]
    assert mark.take_page(older, to_post, batch, start) is True
    assert [p.id for p in batch.events] == ["new", "late", "also-new", "after-old"]  # the page is still read
    assert mark.take_page([("old", T - timedelta(minutes=9))], to_post, batch) is False  # no start: no flag
    assert len(batch.events) == 4  # but the floor still keeps it out
    assert set(mark.to_cursor()["ids"]) == {"seen", "new", "late", "also-new", "after-old"}
