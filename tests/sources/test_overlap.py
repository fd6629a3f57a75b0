"""OverlapCursor: late-indexed items are taken once; nothing in the overlap twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from monitor.sources.overlap import MAX_IDS, OverlapCursor

T = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
FIVE = timedelta(minutes=5)


def test_first_run_starts_at_the_default() -> None:
    cur = OverlapCursor.from_cursor(None, FIVE)
    assert cur.start(T - timedelta(hours=1)) == T - timedelta(hours=1)
    assert cur.is_new(T - timedelta(days=3), "x")  # the collector applies its own lookback


def test_newer_then_older_in_one_poll_are_both_taken() -> None:
    cur = OverlapCursor.from_cursor({"since": "2026-03-01T07:00:00Z", "ids": {}}, FIVE)
    assert cur.is_new(T, "new")
    cur.take(T, "new")
    assert cur.is_new(T - timedelta(minutes=30), "older-but-unseen")  # the poll's floor does not move mid-poll
    assert not cur.is_new(T, "new")


def test_round_trip_keeps_only_ids_inside_the_overlap() -> None:
    cur = OverlapCursor(FIVE)
    cur.take(T - timedelta(minutes=20), "old")
    cur.take(T - timedelta(minutes=4), "recent")
    cur.take(T, "newest")
    data = json.loads(json.dumps(cur.to_cursor()))
    assert data["since"] == "2026-03-01T08:00:00Z"
    assert set(data["ids"]) == {"recent", "newest"}
    again = OverlapCursor.from_cursor(data, FIVE)
    assert again.start(T - timedelta(hours=1)) == T - FIVE
    assert not again.is_new(T - timedelta(minutes=4), "recent")
    assert again.is_new(T - timedelta(minutes=3), "late-indexed")  # appeared after we passed its time
    assert not again.is_new(T - timedelta(minutes=6), "behind-the-floor")


def test_garbage_cursor_starts_afresh() -> None:
    for junk in ("x", 3, {"since": "yesterday", "ids": {"a": 1}}, {"since": "2026-03-01T08:00:00Z", "ids": ["a"]}):
        cur = OverlapCursor.from_cursor(junk, FIVE)
        assert cur.is_new(T, "a")


def test_cursor_size_is_bounded() -> None:
    cur = OverlapCursor(timedelta(days=1))
    for i in range(MAX_IDS + 10):
        cur.take(T + timedelta(seconds=i), f"id{i}")
    kept = cur.to_cursor()["ids"]
    assert len(kept) == MAX_IDS and "id0" not in kept and f"id{MAX_IDS + 9}" in kept
