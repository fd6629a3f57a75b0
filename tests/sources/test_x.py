"""X recent-search collector against a local fake of /2/tweets/search/recent."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp import web
from pydantic import ValidationError

from monitor.errors import SourceError
from monitor.sources.x import XConfig, XSource
from tests.sources.conftest import NOW, FakeChannel, FakeClock, clocked_source, fixture_json, json_reply

SEARCH = "/2/tweets/search/recent"
TOKEN1 = "b26v89c19zqg8o3fr5qzbmmzgwb7nbb7l3ykiij86ncal"


def fx(name: str) -> dict:
    return fixture_json("x", name)


def make(channel: FakeChannel, session: aiohttp.ClientSession, **cfg: object) -> tuple[XSource, FakeClock]:
    return clocked_source(XSource, channel, session, bearer_token="AAAA-test-token",
                          query="(acme OR #acme) -is:retweet", **cfg)


def by_token(request: web.Request) -> web.Response:
    return json_reply(fx("page2.json") if request.query.get("next_token") == TOKEN1 else fx("page1.json"))


async def test_walks_pages_and_maps_posts(channel, session) -> None:
    channel.script(SEARCH, by_token)
    source, clock = make(channel, session)
    batch = await source.poll(None)
    assert [e.id for e in batch.events] == ["1896000000000000005", "1896000000000000004", "1896000000000000003",
                                            "1896000000000000002"]
    assert dict(batch.skipped) == {"post without a readable created_at (is tweet.fields=created_at sent?)": 1}
    first, second = channel.requests(SEARCH)
    assert first.headers["Authorization"] == "Bearer AAAA-test-token"
    assert first.query["start_time"] == "2026-03-01T07:00:00Z" and "since_id" not in first.query
    assert first.query["expansions"] == "author_id"
    assert first.query["tweet.fields"] == "created_at,lang,public_metrics,author_id,note_tweet"
    assert second.query["next_token"] == TOKEN1
    assert clock.sleeps == [15.0]  # 4 requests a minute by default
    post = batch.events[0]
    assert post.text == "My @acme K5 case is swelling & hot to the touch. Not OK. https://t.co/abc"
    assert (post.author, post.lang, post.kind) == ("kimreviews", "en", "social")
    assert post.url == "https://x.com/kimreviews/status/1896000000000000005"
    assert (post.reposts, post.likes, post.replies) == (47, 230, 12)
    assert post.ts == datetime(2026, 3, 1, 7, 55, tzinfo=UTC) and post.extra["impressions"] == 18000
    assert batch.events[1].lang == "zh" and batch.events[1].author == "xiaowang"
    assert batch.events[2].lang is None  # "und"
    assert batch.events[3].text.startswith("Long post, in full:")  # note_tweet wins over the truncated text
    assert batch.cursor == {"since_id": "1896000000000000005"}


async def test_second_poll_uses_since_id_and_emits_only_new(channel, session) -> None:
    channel.script(SEARCH, by_token, by_token, json_reply(fx("next.json")))
    source, _ = make(channel, session)
    first = await source.poll(None)
    second = await source.poll(first.cursor)
    assert [e.id for e in second.events] == ["1896000000000000009"]
    last = channel.requests(SEARCH)[-1].query
    assert last["since_id"] == "1896000000000000005" and "start_time" not in last
    assert second.events[0].reposts == 360
    assert second.cursor == {"since_id": "1896000000000000009"}


async def test_walk_cut_by_max_pages_resumes_next_poll(channel, session) -> None:
    channel.script(SEARCH, by_token)
    source, _ = make(channel, session, max_pages=1)
    first = await source.poll(None)
    assert len(first.events) == 3
    assert first.cursor == {"since_id": None,
                            "pending": {"next_token": TOKEN1, "newest_id": "1896000000000000005"}}
    second = await source.poll(first.cursor)
    assert [e.id for e in second.events] == ["1896000000000000002"]
    assert second.cursor == {"since_id": "1896000000000000005"}


async def test_no_results_keeps_since_id(channel, session) -> None:
    channel.script(SEARCH, json_reply(fx("empty.json")))
    source, _ = make(channel, session)
    batch = await source.poll({"since_id": "1896000000000000009"})
    assert batch.events == [] and batch.cursor == {"since_id": "1896000000000000009"}


async def test_stale_since_id_restarts_from_lookback(channel, session) -> None:
    channel.script(SEARCH, json_reply(fx("stale_since_id.json"), 400), json_reply(fx("next.json")))
    source, _ = make(channel, session)
    batch = await source.poll({"since_id": "1700000000000000000"})
    assert [e.id for e in batch.events] == ["1896000000000000009"]
    retry = channel.requests(SEARCH)[1].query
    assert "since_id" not in retry and retry["start_time"] == "2026-03-01T07:00:00Z"


async def test_bad_query_is_not_retryable(channel, session) -> None:
    channel.script(SEARCH, json_reply(fx("bad_query.json"), 400))
    source, _ = make(channel, session)
    with pytest.raises(SourceError) as exc:
        await source.poll(None)
    assert str(exc.value).startswith("x: X rejected the search: There were errors processing your request: "
                                     "Ambiguous use of or as a keyword.")
    assert not exc.value.retryable


async def test_bad_token_is_not_retryable(channel, session) -> None:
    channel.script(SEARCH, json_reply(fx("unauthorized.json"), 401))
    source, _ = make(channel, session)
    with pytest.raises(SourceError) as exc:
        await source.poll(None)
    assert not exc.value.retryable and "HTTP 401" in str(exc.value) and "check the credentials" in str(exc.value)
    assert "AAAA-test-token" not in str(exc.value)


async def test_429_waits_for_the_rate_limit_reset(channel, session) -> None:
    reset = str(int(NOW.timestamp()) + 40)
    channel.script(SEARCH, json_reply(fx("too_many.json"), 429, {"x-rate-limit-remaining": "0",
                                                                 "x-rate-limit-reset": reset}),
                   json_reply(fx("next.json")))
    source, clock = make(channel, session)
    batch = await source.poll(None)
    assert len(batch.events) == 1 and clock.sleeps == [pytest.approx(40.0)]


async def test_429_beyond_max_wait_fails_with_retry_after(channel, session) -> None:
    channel.script(SEARCH, json_reply(fx("too_many.json"), 429, {"Retry-After": "900"}))
    source, _ = make(channel, session)
    with pytest.raises(SourceError) as exc:
        await source.poll(None)
    assert exc.value.retryable and exc.value.retry_after == 900


def test_config_errors() -> None:
    with pytest.raises(ValidationError) as exc:
        XConfig(query="acme")
    assert exc.value.errors()[0]["loc"] == ("bearer_token",) and exc.value.errors()[0]["type"] == "missing"
    with pytest.raises(ValidationError) as exc:
        XConfig(query="acme", bearer_token="t", lookback="8d")
    assert exc.value.errors()[0]["msg"] == (
        "Value error, lookback must be at most 7d: recent search only reaches 7 days back")
    assert "secret-t0ken" not in repr(XConfig(query="acme", bearer_token="secret-t0ken"))
