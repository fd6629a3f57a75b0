"""mastodon: hashtag timeline and status search with a min_id cursor; HTML content to text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiohttp import web
from pydantic import ValidationError

from monitor.errors import SourceError
from monitor.sources.mastodon import MastodonConfig, MastodonSource
from tests.sources.conftest import FakeChannel, fixture_json, json_reply, make_source, stored, text_reply, waits

TAG = "/api/v1/timelines/tag/acme"


def timeline(request: web.Request) -> web.Response:
    min_id = request.query.get("min_id")
    if min_id is None:
        return json_reply(fixture_json("mastodon", "tag_first.json"))
    name = f"tag_after_{min_id[-2:]}.json"
    try:
        return json_reply(fixture_json("mastodon", name))
    except FileNotFoundError:
        return json_reply([])


async def test_first_poll_reads_the_newest_page_within_lookback(channel: FakeChannel, fixed_ctx) -> None:
    channel.script(TAG, timeline)
    source = make_source(MastodonSource, fixed_ctx, base_url=channel.url, hashtags=["#acme"])
    batch = await source.poll(None)
    assert [p.id for p in batch.events] == ["109000000000000030", "109000000000000025"]  # ...20 is too old
    assert dict(batch.skipped) == {"status 109000000000000022: created_at missing or unreadable": 1}
    assert batch.cursor == {"tag:acme": {"min_id": "109000000000000030"}}
    assert channel.requests(TAG)[0].query == {"limit": "40"}
    alice, bob = batch.events
    assert alice.text == "My #acme X2 just melted & nobody at support cares.\nDay 3 of waiting."
    assert (alice.author, alice.lang, alice.kind) == ("alice@127.0.0.1", "en", "social")  # local acct made global
    assert (alice.reposts, alice.likes, alice.replies) == (17, 42, 3)
    assert alice.url == "https://mastodon.social/@alice/109000000000000030"
    assert alice.ts == datetime(2026, 3, 1, 7, 58, 30, tzinfo=UTC)
    assert alice.extra == {"tags": ["acme"]}
    assert (bob.author, bob.title, bob.lang) == ("bob@fosstodon.org", "CW: fire", "zh")
    assert bob.text == "#acme 充电宝在充电时冒烟了"


async def test_min_id_walks_forward_page_by_page(channel: FakeChannel, fixed_ctx) -> None:
    channel.script(TAG, timeline)
    source = make_source(MastodonSource, fixed_ctx, base_url=channel.url, hashtags=["acme"], page_size=2)
    batch = await source.poll({"tag:acme": {"min_id": "109000000000000030"}})
    assert [p.id for p in batch.events] == ["109000000000000032", "109000000000000031", "109000000000000033"]
    # a short page means we reached the present: no third request
    assert [r.query.get("min_id") for r in channel.requests(TAG)] == ["109000000000000030", "109000000000000032"]
    assert batch.cursor == {"tag:acme": {"min_id": "109000000000000033"}}
    again = await source.poll(stored(batch.cursor))
    assert again.events == [] and again.cursor == batch.cursor


async def test_an_instance_ignoring_min_id_does_not_make_us_repeat(channel: FakeChannel, fixed_ctx) -> None:
    channel.script(TAG, json_reply(fixture_json("mastodon", "tag_first.json")))
    source = make_source(MastodonSource, fixed_ctx, base_url=channel.url, hashtags=["acme"])
    first = await source.poll(None)
    second = await source.poll(stored(first.cursor))
    assert second.events == []


async def test_search_needs_and_sends_the_token(channel: FakeChannel, fixed_ctx) -> None:
    channel.script("/api/v2/search", json_reply(fixture_json("mastodon", "search.json")))
    source = make_source(MastodonSource, fixed_ctx, base_url=channel.url, queries=["acme x2"], access_token="tok")
    batch = await source.poll(None)
    assert [p.author for p in batch.events] == ["frank@127.0.0.1"]
    seen = channel.requests("/api/v2/search")[0]
    assert seen.headers["Authorization"] == "Bearer tok"
    assert seen.query == {"q": "acme x2", "type": "statuses", "resolve": "false", "limit": "40"}
    assert batch.cursor == {"search:acme x2": {"min_id": "109000000000000040"}}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({}, "Value error, give at least one of hashtags or queries"),
        ({"queries": ["acme"]}, "Value error, queries need access_token: Mastodon only searches statuses for "
                                "signed-in apps"),
        ({"hashtags": ["#"]}, "Value error, a hashtag is empty"),
    ],
)
def test_bad_configs(settings: dict, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        MastodonConfig.model_validate({"kind": "mastodon", **settings})
    assert info.value.errors()[0]["msg"] == message


async def test_changed_shape_names_the_field(channel: FakeChannel, fixed_ctx) -> None:
    channel.script("/api/v2/search", json_reply({"accounts": [], "statuses": {"items": []}}))
    source = make_source(MastodonSource, fixed_ctx, base_url=channel.url, queries=["acme"], access_token="t")
    with pytest.raises(SourceError) as info:
        await source.poll(None)
    assert str(info.value) == "mastodon: response shape changed: expected statuses to be a list, got dict"


async def test_mastodon_rate_limit_reset_is_an_iso_time(channel: FakeChannel, fixed_ctx) -> None:
    reset = "2026-03-01T08:01:00.000Z"
    limited = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
    channel.script(TAG, json_reply({"error": "Too many requests"}, 429, limited), text_reply("oops", 503),
                   json_reply([]))
    await make_source(MastodonSource, fixed_ctx, base_url=channel.url, hashtags=["acme"]).poll(None)
    assert 60.0 in [round(w, 3) for w in waits(fixed_ctx)]  # waited until the reset the 429 named


async def test_nothing_new_is_asked_again_conditionally_and_304_emits_nothing(channel: FakeChannel,
                                                                              fixed_ctx) -> None:
    def rails(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == 'W/"e1"':
            return web.Response(status=304, headers={"ETag": 'W/"e1"'})
        return json_reply([], headers={"ETag": 'W/"e1"'})

    channel.script(TAG, rails)
    source = make_source(MastodonSource, fixed_ctx, base_url=channel.url, hashtags=["acme"])
    cursor = {"tag:acme": {"min_id": "109000000000000033"}}
    first = await source.poll(cursor)
    assert first.cursor == {"tag:acme": {"min_id": "109000000000000033", "etag": 'W/"e1"'}}
    second = await source.poll(stored(first.cursor))
    assert second.events == [] and second.cursor == first.cursor
    assert [r.headers.get("If-None-Match") for r in channel.requests(TAG)] == [None, 'W/"e1"']


async def test_validators_are_dropped_once_the_question_changes(channel: FakeChannel, fixed_ctx) -> None:
    channel.script(TAG, timeline)
    source = make_source(MastodonSource, fixed_ctx, base_url=channel.url, hashtags=["acme"])
    batch = await source.poll({"tag:acme": {"min_id": "109000000000000030", "etag": 'W/"old"'}})
    assert channel.requests(TAG)[0].headers["If-None-Match"] == 'W/"old"'
    assert batch.cursor == {"tag:acme": {"min_id": "109000000000000032"}}
