"""The shared HTTP plumbing: Retry-After parsing and the status mapping."""

from __future__ import annotations

from monitor.alerts.notifiers.httpbase import dumps, retry_after, retryable_status


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after({"Retry-After": "30"}) == 30
    assert retry_after({"retry-after": "1.5"}) == 1.5
    assert retry_after({"Retry-After": "Sun, 01 Mar 2026 08:02:00 GMT", "Date": "Sun, 01 Mar 2026 08:00:00 GMT"}) == 120
    assert retry_after({"Retry-After": "Sun, 01 Mar 2026 08:02:00 GMT"}) is None  # no Date to compare with
    assert retry_after({"Retry-After": "soon"}) is None
    assert retry_after({}) is None


def test_status_mapping() -> None:
    assert [s for s in (200, 400, 401, 403, 404, 408, 410, 413, 425, 429, 500, 503) if retryable_status(s)] == [
        408, 425, 429, 500, 503]


def test_dumps_is_compact_utf8() -> None:
    assert dumps({"a": "电池", "b": [1, 2]}) == '{"a":"电池","b":[1,2]}'.encode()
