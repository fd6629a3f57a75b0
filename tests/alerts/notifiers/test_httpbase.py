"""The notifiers' HTTP plumbing reads Retry-After and statuses through the shared policy (monitor.httpclient)."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.alerts.notifiers.httpbase import HttpNotifier, Reply, dumps
from monitor.clock import VirtualClock
from monitor.httpclient import MAX_RETRY_AFTER, retryable_status

NOW = datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)


class Probe(HttpNotifier):
    kind = "probe"

    def __init__(self) -> None:  # only the reply mapping is exercised: no config, no context
        self.wall_clock = VirtualClock(NOW)


def test_retry_after_in_seconds_or_as_a_date_against_the_wall_clock() -> None:
    n = Probe()
    assert n.retry_after(Reply(429, "", {"Retry-After": "30"})) == 30
    assert n.retry_after(Reply(429, "", {"retry-after": "1.5"})) == 1.5
    # a date is measured from the notifier's (injected) wall clock, not from the server's Date header
    assert n.retry_after(Reply(503, "", {"Retry-After": "Sun, 01 Mar 2026 08:02:00 GMT",
                                         "Date": "Sun, 01 Mar 2026 07:00:00 GMT"})) == 120
    assert n.retry_after(Reply(503, "", {"Retry-After": "Sun, 01 Mar 2026 07:00:00 GMT"})) == 0
    assert n.retry_after(Reply(429, "", {"Retry-After": "99999999"})) == MAX_RETRY_AFTER
    assert n.retry_after(Reply(429, "", {"Retry-After": "soon"})) is None
    assert n.retry_after(Reply(429, "", {})) is None


def test_status_mapping() -> None:
    assert [s for s in (200, 400, 401, 403, 404, 408, 410, 413, 425, 429, 500, 503) if retryable_status(s)] == [
        408, 425, 429, 500, 503]


def test_dumps_is_compact_utf8() -> None:
    assert dumps({"a": "电池", "b": [1, 2]}) == '{"a":"电池","b":[1,2]}'.encode()
