from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.durations import format_duration, parse_duration


@pytest.mark.parametrize(("text", "td"), [
    ("30s", timedelta(seconds=30)), ("15m", timedelta(minutes=15)), ("1h30m", timedelta(minutes=90)),
    ("3d", timedelta(days=3)), ("7w", timedelta(weeks=7)), (90, timedelta(seconds=90)), ("1.5h", timedelta(hours=1.5)),
])
def test_parse(text: object, td: timedelta) -> None:
    assert parse_duration(text) == td


@pytest.mark.parametrize("bad", ["", "ten minutes", "5x", "1h 30", -5, True, None])
def test_parse_rejects_with_a_hint(bad: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


def test_format_reads_like_the_manual() -> None:
    assert [format_duration(timedelta(days=d)) for d in (3, 21, 49)] == ["3d", "21d", "7w"]
    assert format_duration(timedelta(minutes=90)) == "1h30m"
    assert format_duration(timedelta(0)) == "0s"
