"""One HTTP policy for collectors and notifiers: the Retry-After parser's edges, the retryable set,
the session slot, and both layers reading the same server answer the same way."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import aiohttp
import pytest
from aiohttp import web

from monitor.alerts.notifiers.base import NotifierContext
from monitor.alerts.notifiers.httpbase import HttpNotifier, HttpNotifierConfig
from monitor.clock import VirtualClock
from monitor.errors import SourceError
from monitor.httpclient import (
    MAX_RETRY_AFTER,
    RETRYABLE_STATUS,
    SessionSlot,
    clamp_wait,
    parse_retry_after,
    retry_after_header,
    retryable_status,
)
from monitor.sources.base import SourceContext
from monitor.sources.http import HttpClient, RetryPolicy

NOW = datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)


def http_date(seconds: float) -> str:
    return format_datetime(NOW + timedelta(seconds=seconds), usegmt=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("1.5", 1.5),  # not RFC, but servers send it
        (" 30 ", 30.0),
        ("-5", None),  # negative: unreadable, not "retry at once"
        ("-0.1", None),
        ("99999999999", MAX_RETRY_AFTER),  # huge: capped
        ("1e300", MAX_RETRY_AFTER),
        ("inf", None),
        ("nan", None),
        (http_date(90), 90.0),
        (http_date(-3600), 0.0),  # a date in the past: now
        (http_date(10 * 86400), MAX_RETRY_AFTER),
        ("Sun, 01 Mar 2026 08:01:00", 60.0),  # no zone: GMT, as HTTP dates are
        ("soon", None),
        ("Sun, 99 Foo 2026", None),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_parse_retry_after_edges(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_the_date_is_read_against_the_passed_clock_and_the_cap_is_the_callers() -> None:
    assert parse_retry_after(http_date(90), NOW + timedelta(seconds=60)) == 30.0
    assert parse_retry_after("500", NOW, cap=60) == 60
    assert retry_after_header({"RETRY-AFTER": "12"}, NOW) == 12
    assert retry_after_header({"Date": http_date(0)}, NOW) is None
    assert clamp_wait(None) is None and clamp_wait(-1) == 0 and clamp_wait(1e9) == MAX_RETRY_AFTER


def test_one_retryable_set() -> None:
    assert {s for s in range(100, 600) if retryable_status(s)} == RETRYABLE_STATUS | set(range(500, 600))
    assert not any(retryable_status(s) for s in (200, 304, 400, 401, 403, 404, 410, 413, 422))


async def test_session_slot_lends_the_shared_session_and_owns_only_its_own() -> None:
    async with aiohttp.ClientSession() as shared:
        slot = SessionSlot(shared)
        assert slot.get() is shared and not slot.owns
        await slot.close()
        assert not shared.closed  # never closes the runtime's session
    own = SessionSlot(None, "probe/1")
    session = own.get()
    assert own.owns and own.get() is session and session.headers["User-Agent"] == "probe/1"
    await own.close()
    assert session.closed and not own.owns


# --------------------------------------------------------------------------- both layers, one answer


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[tuple[int, dict[str, str]]]]]:
    """Answers every request with the next scripted (status, headers)."""
    script: list[tuple[int, dict[str, str]]] = []

    async def handle(request: web.Request) -> web.Response:
        status, headers = script.pop(0)
        return web.json_response({"error": "busy"}, status=status, headers=headers)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}", script
    await runner.cleanup()


class Probe(HttpNotifier):
    kind = "probe"


async def source_wait(url: str, session: aiohttp.ClientSession) -> tuple[bool, float | None]:
    async def no_sleep(_: float) -> None:
        return None

    ctx = SourceContext(clock=VirtualClock(NOW), session=session, user_agent="test")
    client = HttpClient("probe", ctx, channel="probe", requests_per_minute=6e6, sleep=no_sleep, rng=random.Random(1),
                        retry=RetryPolicy(max_retries=0, backoff=0.01, max_wait=1.0))
    with pytest.raises(SourceError) as exc:
        await client.get(f"{url}/api")
    return exc.value.retryable, exc.value.retry_after


async def notifier_wait(url: str, session: aiohttp.ClientSession) -> tuple[bool, float | None]:
    n = Probe(HttpNotifierConfig(kind="probe", url=f"{url}/hook"), NotifierContext(clock=VirtualClock(NOW),
                                                                                  session=session))
    n.wall_clock = VirtualClock(NOW)
    return (e := n.status_error(await n.post(b"{}"))).retryable, e.retry_after


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (429, {"Retry-After": "45"}, (True, 45.0)),
        (503, {"Retry-After": http_date(20)}, (True, 20.0)),
        (429, {"Retry-After": "99999999"}, (True, MAX_RETRY_AFTER)),
        (429, {"Retry-After": http_date(-60)}, (True, 0.0)),
        (503, {"Retry-After": "-3"}, (True, None)),
        (500, {"Retry-After": "garbage"}, (True, None)),
        (501, {}, (True, None)),
        (425, {}, (True, None)),
        (404, {"Retry-After": "30"}, (False, None)),  # not retryable: the header is ignored
    ],
)
async def test_sources_and_notifiers_read_an_answer_alike(server, status: int, headers: dict[str, str],
                                                          expected: tuple[bool, float | None]) -> None:
    url, script = server
    script.extend([(status, headers), (status, headers)])
    async with aiohttp.ClientSession() as session:
        from_source = await source_wait(url, session)
        from_notifier = await notifier_wait(url, session)
    assert from_source == from_notifier == expected
