"""The rss collector against a feed served on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiohttp import web

from monitor.errors import SourceError
from monitor.sources.rss import RssSource
from tests.sources.conftest import FakeChannel, fixture_text, make_source, stored, text_reply

RSS = "application/rss+xml"


def feed_with_etag(name: str, etag: str):
    body = fixture_text("rss", name)

    def handler(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return text_reply(body, content_type=RSS, headers={"ETag": etag})

    return handler


async def test_first_poll_maps_entries_and_keeps_the_unidentified_under_a_content_id(channel: FakeChannel,
                                                                                    ctx) -> None:
    channel.script("/feed.xml", text_reply(fixture_text("rss", "feed1.xml"), content_type=RSS))
    source = make_source(RssSource, ctx, url=f"{channel.url}/feed.xml", name="techwire")
    batch = await source.poll(None)
    ids = [p.id for p in batch.events]
    assert ids[0] == "dtw-1002" and ids[2] == "https://www.dailytechwire.example/2026/03/01/acme-shares"
    assert ids[1].startswith("content-sha1:") and len(ids[1]) == len("content-sha1:") + 20
    assert (batch.events[1].title, batch.events[1].url) == ("Item without any identity", None)
    assert not batch.skipped
    first = batch.events[0]
    assert first.source == "techwire"
    assert first.title == "Acme recalls X2 power banks after fires"
    assert first.text == ("Acme Corp. said on Sunday it will recall 120,000 X2 power banks & refund buyers.\n"
                          "Owners should stop using them.")
    assert first.author == "Jane Reporter"
    assert first.url == "https://www.dailytechwire.example/2026/03/01/acme-recall"
    assert first.ts == datetime(2026, 3, 1, 7, 45, tzinfo=UTC)
    assert (first.lang, first.kind, first.outlet) == ("en", "news", "dailytechwire.example")
    assert batch.events[2].text == "Markets react to the recall news."
    assert channel.requests("/feed.xml")[0].headers["User-Agent"] == "BrandMonitorTest/1.0"


async def test_304_emits_nothing_and_keeps_the_cursor(channel: FakeChannel, ctx) -> None:
    channel.script("/feed.xml", feed_with_etag("feed1.xml", '"abc"'))
    source = make_source(RssSource, ctx, url=f"{channel.url}/feed.xml")
    first = await source.poll(None)
    assert first.cursor["etag"] == '"abc"'
    second = await source.poll(stored(first.cursor))
    assert second.events == [] and not second.skipped
    assert second.cursor == first.cursor
    assert channel.requests("/feed.xml")[1].headers["If-None-Match"] == '"abc"'


async def test_changed_feed_emits_only_new_entries_even_after_restart(channel: FakeChannel, ctx) -> None:
    channel.script("/feed.xml", feed_with_etag("feed1.xml", '"v1"'), feed_with_etag("feed2.xml", '"v2"'))
    first = await make_source(RssSource, ctx, url=f"{channel.url}/feed.xml").poll(None)
    restarted = make_source(RssSource, ctx, url=f"{channel.url}/feed.xml")  # a new process, cursor from the store
    second = await restarted.poll(stored(first.cursor))
    assert [p.id for p in second.events] == ["dtw-1003"]  # the updated dtw-1002 is not emitted again
    assert second.cursor["etag"] == '"v2"'
    third = await restarted.poll(stored(second.cursor))
    assert third.events == []


async def test_atom_feed_with_language_and_zone(channel: FakeChannel, ctx) -> None:
    channel.script("/atom", text_reply(fixture_text("rss", "atom.xml"), content_type="application/atom+xml"))
    batch = await make_source(RssSource, ctx, url=f"{channel.url}/atom").poll(None)
    (post,) = batch.events
    assert post.text == "多名用户反映 Acme X2 充电宝起火。"
    assert (post.author, post.lang, post.outlet) == ("李记者", "zh", "tech.example.cn")
    assert post.ts == datetime(2026, 3, 1, 7, 30, tzinfo=UTC)


async def test_bozo_feed_is_used_and_counted(channel: FakeChannel, ctx) -> None:
    channel.script("/bozo", text_reply(fixture_text("rss", "bozo.xml"), content_type=RSS))
    batch = await make_source(RssSource, ctx, url=f"{channel.url}/bozo", post_kind="forum").poll(None)
    assert [p.title for p in batch.events] == ["Acme X2 & the charger problem"]
    assert batch.events[0].outlet is None  # only news posts carry an outlet
    reason = "feed not well-formed, parsed anyway: <unknown>:4:23: not well-formed (invalid token)"
    assert dict(batch.skipped) == {reason: 1}


async def test_html_instead_of_a_feed_is_a_clear_error(channel: FakeChannel, ctx) -> None:
    channel.script("/feed", text_reply(fixture_text("rss", "not_a_feed.html"), content_type="text/html"))
    with pytest.raises(SourceError) as info:
        await make_source(RssSource, ctx, url=f"{channel.url}/feed").poll(None)
    assert str(info.value) == (
        f"rss: {channel.url}/feed is not an RSS, Atom or JSON feed (text/html): Before you continue We use "
        "cookies & data to deliver our services.; check the feed URL"
    )
    assert not info.value.retryable


async def test_429_then_500_then_recovery(channel: FakeChannel, ctx) -> None:
    channel.script("/feed.xml", text_reply("slow down", 429, headers={"Retry-After": "3"}),
                   text_reply("oops", 500), text_reply(fixture_text("rss", "feed1.xml"), content_type=RSS))
    batch = await make_source(RssSource, ctx, url=f"{channel.url}/feed.xml").poll(None)
    assert len(batch.events) == 3
    assert len(channel.requests("/feed.xml")) == 3
    waits = ctx.extra["http_options"]["sleep"].calls
    assert any(2.5 <= w <= 3 for w in waits)  # Retry-After honoured


async def test_outlet_and_language_overrides(channel: FakeChannel, ctx) -> None:
    channel.script("/bozo", text_reply(fixture_text("rss", "bozo.xml"), content_type=RSS))
    batch = await make_source(RssSource, ctx, url=f"{channel.url}/bozo", outlet="forum.example.org",
                              lang="en-GB").poll(None)
    assert (batch.events[0].outlet, batch.events[0].lang) == ("forum.example.org", "en")


def test_unknown_post_kind_is_rejected() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="Input should be 'social', 'news', 'forum', 'review' or 'video'"):
        RssSource.Config.model_validate({"kind": "rss", "url": "https://x.example/feed", "post_kind": "blog"})
