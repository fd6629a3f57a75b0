"""bluesky: app-password session (create, refresh on expiry), searchPosts cursor paging, counts."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web

from monitor.errors import SourceError
from monitor.sources.bluesky import BlueskySource, jwt_expiry
from tests.sources.conftest import NOW, FakeChannel, fixture_json, json_reply, make_source, stored

SEARCH = "/xrpc/app.bsky.feed.searchPosts"
CREATE = "/xrpc/com.atproto.server.createSession"
REFRESH = "/xrpc/com.atproto.server.refreshSession"


def jwt(name: str, expires: datetime) -> str:
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'typ': 'at+jwt', 'alg': 'ES256K'})}.{part({'sub': name, 'exp': int(expires.timestamp())})}.sig"


def session_reply(access: str, refresh: str = "refresh-1") -> web.Response:
    return json_reply({"did": "did:plc:monitor", "handle": "acme-monitor.bsky.social", "accessJwt": access,
                       "refreshJwt": jwt(refresh, NOW + timedelta(days=60)), "active": True})


def source(channel: FakeChannel, ctx, **settings) -> BlueskySource:
    return make_source(BlueskySource, ctx, base_url=channel.url, identifier="acme-monitor.bsky.social",
                       app_password="abcd-efgh-ijkl-mnop", query="acme", **settings)


def search_by_cursor(request: web.Request) -> web.Response:
    name = "search_page2.json" if request.query.get("cursor") == "25" else "search_page1.json"
    return json_reply(fixture_json("bluesky", name))


async def test_signs_in_pages_with_cursor_and_maps_posts(channel: FakeChannel, fixed_ctx) -> None:
    channel.script(CREATE, session_reply(jwt("a1", NOW + timedelta(hours=2))), method="POST")
    channel.script(SEARCH, search_by_cursor)
    src = source(channel, fixed_ctx)
    batch = await src.poll(None)
    (create,) = channel.requests(CREATE)
    assert json.loads(create.body) == {"identifier": "acme-monitor.bsky.social", "password": "abcd-efgh-ijkl-mnop"}
    first, second = channel.requests(SEARCH)
    assert first.query == {"q": "acme", "sort": "latest", "limit": "100", "since": "2026-03-01T07:00:00Z"}
    assert first.headers["Authorization"].startswith("Bearer ") and second.query["cursor"] == "25"
    assert [p.author for p in batch.events] == ["sam.bsky.social", "yuki.bsky.social", "technews.bsky.social"]
    assert dict(batch.skipped) == {"at://did:plc:bad000/app.bsky.feed.post/3lbbroken01: record without text": 1}
    sam, yuki, news = batch.events
    assert sam.id == "at://did:plc:sam111/app.bsky.feed.post/3lbfire0001"
    assert sam.url == "https://bsky.app/profile/sam.bsky.social/post/3lbfire0001"
    assert (sam.reposts, sam.likes, sam.replies, sam.extra) == (13, 25, 4, {"quotes": 3})  # reposts + quotes
    assert (sam.ts, sam.lang, sam.kind) == (datetime(2026, 3, 1, 7, 59, tzinfo=UTC), "en", "social")
    assert (yuki.lang, yuki.text) == ("ja", "Acmeのモバイルバッテリーが膨らんだ")
    assert news.reposts == 52


async def test_second_poll_reuses_the_session_and_emits_only_new(channel: FakeChannel, fixed_ctx) -> None:
    channel.script(CREATE, session_reply(jwt("a1", NOW + timedelta(hours=2))), method="POST")
    channel.script(SEARCH, search_by_cursor)
    src = source(channel, fixed_ctx)
    first = await src.poll(None)
    channel.script(SEARCH, json_reply(fixture_json("bluesky", "search_later.json")))
    second = await src.poll(stored(first.cursor))
    assert [p.author for p in second.events] == ["amy.bsky.social"]
    assert src.sessions_created == 1
    assert channel.requests(SEARCH)[-1].query["since"] == "2026-03-01T07:54:00Z"  # newest 07:59 - 5 min overlap


async def test_access_token_near_expiry_is_refreshed_not_recreated(channel: FakeChannel, fixed_ctx) -> None:
    channel.script(CREATE, session_reply(jwt("a1", NOW + timedelta(seconds=30))), method="POST")
    channel.script(REFRESH, session_reply(jwt("a2", NOW + timedelta(hours=2)), "refresh-2"), method="POST")
    channel.script(SEARCH, json_reply(fixture_json("bluesky", "search_later.json")))
    src = source(channel, fixed_ctx)
    await src.poll(None)  # signs in; the token it gets expires within the refresh margin
    await src.poll(None)
    assert (src.sessions_created, src.refreshes) == (1, 1)
    (refresh,) = channel.requests(REFRESH)
    assert jwt_expiry(refresh.headers["Authorization"].removeprefix("Bearer ")) == NOW + timedelta(days=60)
    assert "a2" in base64.urlsafe_b64decode(channel.requests(SEARCH)[-1].headers["Authorization"].split(".")[1] + "==")\
        .decode()


async def test_expired_token_error_refreshes_and_retries(channel: FakeChannel, fixed_ctx) -> None:
    channel.script(CREATE, session_reply(jwt("a1", NOW + timedelta(hours=2))), method="POST")
    channel.script(REFRESH, session_reply(jwt("a2", NOW + timedelta(hours=2))), method="POST")
    channel.script(SEARCH, json_reply({"error": "ExpiredToken", "message": "Token has expired"}, 400),
                   json_reply(fixture_json("bluesky", "search_later.json")))
    batch = await source(channel, fixed_ctx).poll(None)
    assert len(batch.events) == 2 and len(channel.requests(REFRESH)) == 1


async def test_failed_refresh_signs_in_again(channel: FakeChannel, fixed_ctx) -> None:
    channel.script(CREATE, session_reply(jwt("a1", NOW + timedelta(seconds=10))), method="POST")
    channel.script(REFRESH, json_reply({"error": "ExpiredToken", "message": "Token has expired"}, 400), method="POST")
    channel.script(SEARCH, json_reply(fixture_json("bluesky", "search_later.json")))
    src = source(channel, fixed_ctx)
    await src.poll(None)
    await src.poll(None)
    assert (src.sessions_created, src.refreshes) == (2, 0)


async def test_wrong_app_password_is_a_clear_error(channel: FakeChannel, fixed_ctx) -> None:
    channel.script(CREATE, json_reply({"error": "AuthenticationRequired", "message": "Invalid identifier or password"},
                                      401), method="POST")
    with pytest.raises(SourceError) as info:
        await source(channel, fixed_ctx).poll(None)
    assert str(info.value) == ("bluesky: Bluesky sign-in failed (HTTP 401 AuthenticationRequired): "
                               '{"error": "AuthenticationRequired", "message": "Invalid identifier or password"}; '
                               "check identifier and app_password")
    assert not info.value.retryable


def test_jwt_expiry_tolerates_junk() -> None:
    assert jwt_expiry("not-a-jwt") is None
    assert jwt_expiry("a.!!!.c") is None
    assert jwt_expiry(jwt("x", NOW)) == NOW
