"""The event contract: required fields, unknown fields kept, clear messages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.errors import EventFormatError
from monitor.models import Post, Quote, Trend, event_to_dict, format_ts, parse_event, parse_ts


def test_post_round_trips_and_keeps_unknown_fields() -> None:
    raw = {"type": "post", "ts": "2026-03-01T08:00:00Z", "source": "reddit", "id": "t3_abc", "text": "hi",
           "kind": "forum", "reposts": 12, "likes": 40, "replies": 3, "rating": 2, "lang": "en"}
    e = parse_event(raw)
    assert isinstance(e, Post)
    assert e.ts == datetime(2026, 3, 1, 8, tzinfo=UTC)
    assert e.key == "reddit:t3_abc" and e.extra == {"rating": 2}
    out = event_to_dict(e)
    assert out["rating"] == 2 and out["ts"] == "2026-03-01T08:00:00Z" and out["kind"] == "forum"
    assert parse_event(out) == e


def test_offsets_are_normalised_to_utc() -> None:
    assert parse_ts("2026-03-01T16:00:00+08:00") == datetime(2026, 3, 1, 8, tzinfo=UTC)
    assert format_ts(parse_ts("2026-03-01T08:00:00.250Z")) == "2026-03-01T08:00:00.250Z"


def test_quote_and_trend() -> None:
    q = parse_event({"type": "quote", "ts": "2026-03-01T08:00:00Z", "source": "market", "symbol": "ACME",
                     "price": 94.1, "prev_close": 100.0})
    assert isinstance(q, Quote) and round(q.change_pct, 1) == -5.9
    t = parse_event({"type": "trend", "ts": "2026-03-01T08:00:00Z", "source": "weibo_hot", "word": "ACME 电池",
                     "rank": 3})
    assert isinstance(t, Trend) and t.rank == 3


@pytest.mark.parametrize(("raw", "message"), [
    ({"ts": "2026-03-01T08:00:00Z", "source": "x"}, "field 'type' must be one of post, quote, trend, got None"),
    ({"type": "post", "source": "x", "id": "1", "text": "t"}, "missing required field 'ts'"),
    ({"type": "post", "ts": "2026-03-01T08:00:00", "source": "x", "id": "1", "text": "t"},
     "field 'ts' has no time zone: '2026-03-01T08:00:00' (append Z for UTC)"),
    ({"type": "post", "ts": "soon", "source": "x", "id": "1", "text": "t"},
     "field 'ts' is not an ISO 8601 time: 'soon' (write e.g. 2026-03-01T08:00:00Z)"),
    ({"type": "post", "ts": "2026-03-01T08:00:00Z", "id": "1", "text": "t"}, "missing required field 'source'"),
    ({"type": "post", "ts": "2026-03-01T08:00:00Z", "source": "x", "text": "t"}, "missing required field 'id'"),
    ({"type": "post", "ts": "2026-03-01T08:00:00Z", "source": "x", "id": "1"}, "missing required field 'text'"),
    ({"type": "post", "ts": "2026-03-01T08:00:00Z", "source": "x", "id": "1", "text": "t", "kind": "blog"},
     "field 'kind' must be one of social, news, forum, review, video, got 'blog'"),
    ({"type": "post", "ts": "2026-03-01T08:00:00Z", "source": "x", "id": "1", "text": "t", "reposts": -1},
     "field 'reposts' must be a non-negative number, got -1"),
    ({"type": "quote", "ts": "2026-03-01T08:00:00Z", "source": "m", "symbol": "A", "price": 1, "prev_close": 0},
     "field 'prev_close' must be positive, got 0.0"),
    ([1, 2], "an event must be a JSON object, got list"),
])
def test_contract_violations_name_the_field(raw: object, message: str) -> None:
    with pytest.raises(EventFormatError) as info:
        parse_event(raw)
    assert str(info.value) == message
