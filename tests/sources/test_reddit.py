"""reddit: search sort=new paging, overlap cursor, OAuth client credentials, rate-limit headers."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from aiohttp import web
from pydantic import ValidationError

from monitor.errors import SourceError
from monitor.sources.reddit import RedditConfig, RedditSource
from tests.sources.conftest import FakeChannel, fixture_json, json_reply, make_source, stored, waits


def page(name: str, **headers: str) -> web.Response:
    return json_reply(fixture_json("reddit", name), headers=headers or None)


async def test_search_pages_until_older_than_lookback(channel: FakeChannel, fixed_ctx) -> None:
    channel.script("/search.json", page("search_page1.json"), page("search_page2.json"))
    source = make_source(RedditSource, fixed_ctx, base_url=channel.url, query="acme x2")
    batch = await source.poll(None)
    assert [p.id for p in batch.events] == ["t3_p1", "t3_p2", "t3_p3"]  # t3_old is older than the 1h lookback
    assert dict(batch.skipped) == {"t3_bad: created_utc missing or not a number": 1,
                                   "t3_rm: no text (removed, deleted or empty)": 1}
    first, second = channel.requests("/search.json")
    assert first.query == {"q": "acme x2", "sort": "new", "type": "link", "limit": "100", "raw_json": "1"}
    assert second.query["after"] == "t3_bad"
    p1, p2, _ = batch.events
    assert p1.title == "Acme X2 caught fire on my desk"
    assert p1.text == "Posting pics soon. It smelled like burnt plastic & the case bulged.\nAnyone else?"
    assert (p1.author, p1.kind, p1.likes, p1.replies, p1.reposts) == ("burnt_fingers", "forum", 154, 38, 2)
    assert p1.url == "https://www.reddit.com/r/gadgets/comments/p1/acme_x2_caught_fire_on_my_desk/"
    assert p1.ts == datetime(2026, 3, 1, 7, 58, tzinfo=UTC)
    assert p1.extra == {"subreddit": "gadgets"}
    assert (p2.text, p2.likes) == ("Acme recall announced for X2 power banks", 0)  # link post; negative score
    assert p2.extra == {"subreddit": "technews", "link": "https://www.dailytechwire.example/2026/03/01/acme-recall"}


async def test_second_poll_emits_only_new_posts(channel: FakeChannel, fixed_ctx) -> None:
    channel.script("/search.json", page("search_page1.json"), page("search_page2.json"), page("search_later.json"))
    first = await make_source(RedditSource, fixed_ctx, base_url=channel.url, query="acme").poll(None)
    restarted = make_source(RedditSource, fixed_ctx, base_url=channel.url, query="acme")
    second = await restarted.poll(stored(first.cursor))
    assert [p.id for p in second.events] == ["t3_p4"]  # p1 and p2 are in the overlap and were taken
    assert "after" not in channel.requests("/search.json")[-1].query


async def test_exhausted_ratelimit_window_delays_the_next_request(channel: FakeChannel, fixed_ctx) -> None:
    limits = {"X-Ratelimit-Used": "10", "X-Ratelimit-Remaining": "0.0", "X-Ratelimit-Reset": "37"}
    channel.script("/search.json", page("search_later.json", **limits))
    source = make_source(RedditSource, fixed_ctx, base_url=channel.url, query="acme")
    first = await source.poll(None)
    await source.poll(stored(first.cursor))
    assert any(36.9 <= w <= 37.0 for w in waits(fixed_ctx))


async def test_oauth_client_credentials(channel: FakeChannel, fixed_ctx) -> None:
    channel.script("/api/v1/access_token", json_reply(fixture_json("reddit", "token.json")), method="POST")
    channel.script("/r/gadgets+AcmeUsers/search", page("search_later.json"))
    source = make_source(RedditSource, fixed_ctx, base_url=channel.url, oauth_url=channel.url, query="acme",
                         subreddits=["gadgets", "AcmeUsers"], client_id="app-id", client_secret="s3cret")
    assert source.http.limiter.per_minute == 100 and source.http.channel == "reddit:oauth"
    batch = await source.poll(None)
    await source.poll(stored(batch.cursor))
    (token_req,) = channel.requests("/api/v1/access_token")  # the token is reused
    assert token_req.headers["Authorization"] == "Basic " + base64.b64encode(b"app-id:s3cret").decode()
    assert token_req.body == b"grant_type=client_credentials"
    search = channel.requests("/r/gadgets+AcmeUsers/search")[0]
    assert search.headers["Authorization"].startswith("bearer eyJ")
    assert search.query["restrict_sr"] == "on"


async def test_oauth_token_rejected_midway_is_renewed_once(channel: FakeChannel, fixed_ctx) -> None:
    channel.script("/api/v1/access_token", json_reply(fixture_json("reddit", "token.json")), method="POST")
    channel.script("/search", json_reply({"message": "Unauthorized", "error": 401}, 401), page("search_later.json"))
    source = make_source(RedditSource, fixed_ctx, base_url=channel.url, oauth_url=channel.url, query="acme",
                         client_id="app-id", client_secret="s3cret")
    batch = await source.poll(None)
    assert len(batch.events) == 3
    assert len(channel.requests("/api/v1/access_token")) == 2


async def test_bad_client_credentials_are_a_clear_error(channel: FakeChannel, fixed_ctx) -> None:
    channel.script("/api/v1/access_token", json_reply({"message": "Unauthorized", "error": 401}, 401), method="POST")
    source = make_source(RedditSource, fixed_ctx, base_url=channel.url, oauth_url=channel.url, query="acme",
                         client_id="app-id", client_secret="wrong")
    with pytest.raises(SourceError, match="HTTP 401 Unauthorized: check the credentials") as info:
        await source.poll(None)
    assert not info.value.retryable and "wrong" not in str(info.value)


async def test_subreddit_comments(channel: FakeChannel, fixed_ctx) -> None:
    channel.script("/search.json", json_reply({"kind": "Listing", "data": {"after": None, "children": []}}))
    channel.script("/r/gadgets/comments.json", page("comments.json"))
    source = make_source(RedditSource, fixed_ctx, base_url=channel.url, query="acme", comments_in=["gadgets"],
                         post_kind="social")
    batch = await source.poll(None)
    (comment,) = batch.events  # c2 is older than the lookback: paging stops there
    assert comment.id == "t1_c1"
    assert comment.text == "Acme's support told me to \"wait\" & do nothing. Useless."
    assert (comment.title, comment.kind, comment.likes) == ("Acme X2 caught fire on my desk", "social", 57)
    assert comment.url == "https://www.reddit.com/r/gadgets/comments/p1/acme_x2_caught_fire_on_my_desk/c1/"
    assert comment.extra == {"subreddit": "gadgets", "link_id": "t3_p1"}
    assert set(batch.cursor["comments"]) == {"gadgets"}


def test_half_credentials_are_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        RedditConfig.model_validate({"kind": "reddit", "query": "acme", "client_id": "x"})
    assert info.value.errors()[0]["msg"] == "Value error, give both client_id and client_secret for OAuth, or neither"


def test_logged_out_budget_is_ten_a_minute(fixed_ctx) -> None:
    source = make_source(RedditSource, fixed_ctx, query="acme")
    assert source.http.limiter.per_minute == 10 and source.http.channel == "reddit:anon"
