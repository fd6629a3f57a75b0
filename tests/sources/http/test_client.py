"""HttpClient against a scripted server on 127.0.0.1: retries, 429, 304, timeouts, errors."""

from __future__ import annotations

import asyncio
import contextlib
import random
from email.utils import format_datetime

import aiohttp
import pytest
from aiohttp import web

from monitor.clock import SystemClock, VirtualClock
from monitor.errors import SourceError
from monitor.sources.base import SourceContext
from monitor.sources.http import HttpClient, RetryPolicy, Validators
from tests.sources.conftest import FakeChannel, SleepRecorder, json_reply, text_reply


def make_client(session: aiohttp.ClientSession, sleep: SleepRecorder, **kwargs) -> HttpClient:
    ctx = SourceContext(clock=kwargs.pop("clock", None) or SystemClock(), session=session,
                        user_agent="BrandMonitorTest/1.0 (+tests)")
    kwargs.setdefault("retry", RetryPolicy(max_retries=3, backoff=0.01, backoff_max=1.0, max_wait=60))
    kwargs.setdefault("requests_per_minute", 6_000_000)
    return HttpClient("probe", ctx, channel=kwargs.pop("channel", "probe"), sleep=sleep,
                      rng=random.Random(7), **kwargs)


async def test_sends_user_agent_and_params(channel: FakeChannel, session) -> None:
    channel.script("/api", json_reply({"ok": True}))
    client = make_client(session, SleepRecorder())
    data = await client.get_json(f"{channel.url}/api", params={"q": "acme battery", "skip": None, "new": True})
    assert data == {"ok": True}
    seen = channel.requests("/api")[0]
    assert seen.headers["User-Agent"] == "BrandMonitorTest/1.0 (+tests)"
    assert seen.query == {"q": "acme battery", "new": "true"}


async def test_429_with_retry_after_seconds_waits_then_succeeds(channel: FakeChannel, session) -> None:
    channel.script("/api", json_reply({"error": "slow down"}, 429, {"Retry-After": "7"}), json_reply({"n": 1}))
    sleep = SleepRecorder()
    client = make_client(session, sleep)
    assert await client.get_json(f"{channel.url}/api") == {"n": 1}
    assert len(channel.requests("/api")) == 2
    assert len(sleep.calls) == 1 and 6.5 <= sleep.calls[0] <= 7.0


async def test_429_with_retry_after_http_date(channel: FakeChannel, session) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 3, 2, 8, 0, 0, tzinfo=UTC)  # the client reads the date against its injected clock
    when = format_datetime(now + timedelta(seconds=30), usegmt=True)
    channel.script("/api", json_reply({}, 429, {"Retry-After": when}), json_reply({"n": 2}))
    sleep = SleepRecorder()
    client = make_client(session, sleep, clock=VirtualClock(now))
    assert await client.get_json(f"{channel.url}/api") == {"n": 2}
    assert sleep.calls == [pytest.approx(30, abs=0.5)]


async def test_429_longer_than_max_wait_fails_fast_with_retry_after(channel: FakeChannel, session) -> None:
    channel.script("/api", json_reply({}, 429, {"Retry-After": "900"}))
    with pytest.raises(SourceError) as info:
        await make_client(session, SleepRecorder()).get(f"{channel.url}/api")
    assert info.value.retryable and info.value.retry_after == pytest.approx(900, abs=1)
    assert "rate limited (HTTP 429); retry after 900s" in str(info.value)
    assert len(channel.requests("/api")) == 1


async def test_500_then_recovery_backs_off_with_jitter(channel: FakeChannel, session) -> None:
    channel.script("/api", text_reply("boom", 500), text_reply("boom", 502), json_reply({"ok": 1}))
    sleep = SleepRecorder()
    client = make_client(session, sleep, retry=RetryPolicy(max_retries=3, backoff=0.1, backoff_max=5))
    assert await client.get_json(f"{channel.url}/api") == {"ok": 1}
    assert len(sleep.calls) == 2
    assert 0.05 <= sleep.calls[0] <= 0.1  # first delay: backoff, jittered down by at most half
    assert 0.1 <= sleep.calls[1] <= 0.2  # doubled


async def test_persistent_500_gives_up_after_bounded_retries(channel: FakeChannel, session) -> None:
    channel.script("/api", text_reply("<html><body><h1>Internal error</h1></body></html>", 500, "text/html"))
    client = make_client(session, SleepRecorder(), retry=RetryPolicy(max_retries=2, backoff=0.001))
    with pytest.raises(SourceError) as info:
        await client.get(f"{channel.url}/api")
    assert len(channel.requests("/api")) == 3
    assert info.value.retryable
    assert str(info.value) == (
        f"probe: GET {channel.url}/api failed after 3 attempt(s): HTTP 500 Internal Server Error: Internal error"
    )


async def test_503_retry_after_wins_over_backoff(channel: FakeChannel, session) -> None:
    channel.script("/api", text_reply("busy", 503, headers={"Retry-After": "4"}), json_reply([]))
    sleep = SleepRecorder()
    assert await make_client(session, sleep).get_json(f"{channel.url}/api") == []
    assert len(sleep.calls) == 1 and 3.5 <= sleep.calls[0] <= 4


def held_reply(release: asyncio.Event):
    """A handler that answers only once ``release`` is set (or after a minute): a timeout always fires first."""
    async def slow(request: web.Request) -> web.Response:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(release.wait(), timeout=60)
        return json_reply({})
    return slow


async def test_timeout_is_retried_then_reported(channel: FakeChannel, session) -> None:
    release = asyncio.Event()
    channel.script("/slow", held_reply(release))
    client = make_client(session, SleepRecorder(), timeout=0.05, retry=RetryPolicy(max_retries=1, backoff=0.001))
    try:
        with pytest.raises(SourceError, match=r"failed after 2 attempt\(s\): timed out after 0.05s"):
            await client.get(f"{channel.url}/slow")
    finally:
        release.set()


async def test_timeout_then_recovery(channel: FakeChannel, session) -> None:
    release = asyncio.Event()
    channel.script("/api", held_reply(release), json_reply({"fast": True}))
    client = make_client(session, SleepRecorder(), timeout=1.0)  # room for the fast reply on a loaded machine
    try:
        assert await client.get_json(f"{channel.url}/api") == {"fast": True}
    finally:
        release.set()


async def test_connection_refused_is_a_retryable_source_error(session) -> None:
    client = make_client(session, SleepRecorder(), retry=RetryPolicy(max_retries=1, backoff=0.001))
    with pytest.raises(SourceError, match="connection failed") as info:
        await client.get("http://127.0.0.1:9/nothing")  # discard port: nothing listens
    assert info.value.retryable


async def test_conditional_get_and_304(channel: FakeChannel, session) -> None:
    def feed(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304)
        return text_reply("<rss/>", headers={"ETag": '"v1"', "Last-Modified": "Sun, 01 Mar 2026 08:00:00 GMT"})

    channel.script("/feed", feed)
    client = make_client(session, SleepRecorder())
    first = await client.get(f"{channel.url}/feed", validators=Validators())
    assert not first.not_modified
    assert first.validators == Validators('"v1"', "Sun, 01 Mar 2026 08:00:00 GMT")
    second = await client.get(f"{channel.url}/feed", validators=first.validators)
    assert second.not_modified and second.body == b""
    assert second.validators == first.validators  # a bare 304 keeps what we sent
    sent = channel.requests("/feed")[1].headers
    assert sent["If-None-Match"] == '"v1"' and sent["If-Modified-Since"] == "Sun, 01 Mar 2026 08:00:00 GMT"
    assert Validators.from_cursor(first.validators.to_cursor()) == first.validators


async def test_html_instead_of_json_names_url_and_content_type(channel: FakeChannel, session) -> None:
    page = "<html><head><title>x</title></head><body><p>Service &amp; maintenance</p></body></html>"
    channel.script("/api", text_reply(page, content_type="text/html"))
    client = make_client(session, SleepRecorder())
    with pytest.raises(SourceError) as info:
        await client.get_json(f"{channel.url}/api", params={"q": "acme", "access_token": "s3cret"})
    assert str(info.value) == (
        f"probe: GET {channel.url}/api?q=acme&access_token=%2A%2A%2A returned text/html instead of JSON "
        "(HTTP 200): Service & maintenance"
    )
    assert "s3cret" not in str(info.value)


async def test_auth_failure_is_not_retried_and_says_what_to_check(channel: FakeChannel, session) -> None:
    channel.script("/api", json_reply({"message": "Bad credentials"}, 401))
    client = make_client(session, SleepRecorder())
    with pytest.raises(SourceError) as info:
        await client.get(f"{channel.url}/api")
    assert not info.value.retryable
    assert len(channel.requests("/api")) == 1
    assert str(info.value) == (
        f"probe: GET {channel.url}/api: HTTP 401 Unauthorized: check the credentials (token, client id/secret, "
        'app password) in the source\'s config; server said: {"message": "Bad credentials"}'
    )


async def test_accepted_status_is_returned_to_the_caller(channel: FakeChannel, session) -> None:
    channel.script("/api", json_reply({"error": "ExpiredToken"}, 400))
    resp = await make_client(session, SleepRecorder()).get(f"{channel.url}/api", accept=(400,))
    assert resp.status == 400 and resp.json() == {"error": "ExpiredToken"}


async def test_exhausted_rate_window_blocks_the_next_request(channel: FakeChannel, session) -> None:
    channel.script("/api", json_reply([], headers={"X-Ratelimit-Remaining": "0.0", "X-Ratelimit-Reset": "42"}),
                   json_reply([]))
    sleep = SleepRecorder()
    client = make_client(session, sleep)
    await client.get(f"{channel.url}/api")
    assert sleep.calls == []
    await client.get(f"{channel.url}/api")
    assert len(sleep.calls) == 1 and 41 <= sleep.calls[0] <= 42


async def test_rate_limit_spaces_requests(channel: FakeChannel, session) -> None:
    channel.script("/api", json_reply([]))
    sleep = SleepRecorder()
    client = make_client(session, sleep, requests_per_minute=30)  # one request every 2 s
    for _ in range(3):
        await client.get(f"{channel.url}/api")
    assert len(sleep.calls) == 2
    assert all(1.9 <= s <= 2.0 for s in sleep.calls[:1])
    assert 3.8 <= sleep.calls[1] <= 4.0  # the recorder does not really sleep: slots queue up


async def test_clients_of_one_channel_share_a_limiter(session) -> None:
    a = make_client(session, SleepRecorder(), channel="reddit:anon", requests_per_minute=10)
    b = make_client(session, SleepRecorder(), channel="reddit:anon", requests_per_minute=10)
    c = make_client(session, SleepRecorder(), channel="hackernews", requests_per_minute=10)
    assert a.limiter is b.limiter
    assert a.limiter is not c.limiter


async def test_oversized_body_is_refused(channel: FakeChannel, session) -> None:
    channel.script("/big", text_reply("x" * 5000))
    with pytest.raises(SourceError, match="response larger than 1000 bytes"):
        await make_client(session, SleepRecorder(), max_bytes=1000).get(f"{channel.url}/big")


async def test_own_session_when_the_runtime_lends_none(channel: FakeChannel) -> None:
    channel.script("/api", json_reply({"own": True}))
    client = HttpClient("probe", SourceContext(clock=SystemClock()), channel="own", requests_per_minute=6000)
    try:
        assert await client.get_json(f"{channel.url}/api") == {"own": True}
        assert client._session.owns
    finally:
        await client.close()
    assert not client._session.owns
