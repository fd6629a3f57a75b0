"""The at-or-after time cursor: nothing lost at the boundary second, nothing taken twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.sources.watermark import Watermark

T = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def test_first_run_takes_everything_and_starts_at_default() -> None:
    mark = Watermark()
    assert mark.is_new(T, "a")
    assert mark.start(T - timedelta(hours=1)) == T - timedelta(hours=1)


def test_boundary_second_keeps_ids_and_later_times_reset_them() -> None:
    mark = Watermark()
    mark.take(T, "a")
    mark.take(T, "b")
    assert not mark.is_new(T, "a") and mark.is_new(T, "c")
    assert not mark.is_new(T - timedelta(seconds=1), "z")
    mark.take(T + timedelta(seconds=1), "d")
    assert mark.seen == {"d"} and mark.start(T) == T + timedelta(seconds=1)


def test_round_trips_through_the_cursor_and_ignores_garbage() -> None:
    mark = Watermark()
    mark.take(T, "b")
    mark.take(T, "a")
    data = mark.to_cursor()
    assert data == {"since": "2026-03-01T08:00:00Z", "seen": ["a", "b"]}
    back = Watermark.from_cursor(data)
    assert back.since == T and back.seen == {"a", "b"}
    assert Watermark.from_cursor("nonsense") == Watermark()
    assert Watermark.from_cursor({"since": "not a time", "seen": ["x"]}) == Watermark()
