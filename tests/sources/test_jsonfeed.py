"""JSON Feed 1.0 / 1.1 through the rss collector, served on 127.0.0.1: same cursor, dedup and health rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web

from monitor.errors import SourceError
from monitor.sources.jsonfeed import looks_like_json
from monitor.sources.rss import RssSource
from tests.sources.conftest import FIXTURES, FakeChannel, make_source, stored

WILD = FIXTURES / "rss" / "wild"


def serve(channel: FakeChannel, path: str, body: bytes, content_type: str, etag: str | None = None) -> None:
    def handler(request: web.Request) -> web.Response:
        if etag and request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, headers={"Content-Type": content_type, **({"ETag": etag} if etag else {})})

    channel.script(path, handler)


@pytest.mark.parametrize("content_type", ["application/feed+json", "application/json; charset=utf-8", "text/plain"])
async def test_json_feed_1_1_maps_like_any_feed(channel: FakeChannel, ctx, content_type: str) -> None:
    serve(channel, "/feed.json", (WILD / "jsonfeed-1.1.json").read_bytes(), content_type)
    batch = await make_source(RssSource, ctx, url=f"{channel.url}/feed.json", name="newsroom").poll(None)
    recall, statement, micro = batch.events
    assert recall.id == "2026-03-01-recall"
    assert recall.title == "Acme recalls the <K2> kettle"  # JSON Feed titles are plain text
    assert recall.text == "Acme will recall 120,000 K2 kettles & refund buyers."
    assert (recall.url, recall.author, recall.lang, recall.outlet) == (
        "https://www.acme-news.example/2026/03/01/recall", "Jane Reporter", "en", "acme-news.example")
    assert recall.ts == datetime(2026, 3, 1, 7, 45, tzinfo=UTC)
    assert (statement.id, statement.text, statement.lang, statement.title) == (
        "1002", "艾克美发布声明：将为用户退款。", "zh", None)
    assert micro.id.startswith("content-sha1:") and micro.url is None
    assert not batch.skipped
    assert "application/feed+json" in channel.requests("/feed.json")[0].headers["Accept"]


async def test_json_feed_1_0_author_object_and_escaped_title(channel: FakeChannel, ctx) -> None:
    doc = json.loads((WILD / "jsonfeed-1.0.json").read_text(encoding="utf-8"))
    doc["items"].append({"id": "2", "content_text": "No author of its own.", "url": "/posts/2"})
    serve(channel, "/feed.json", json.dumps(doc).encode(), "application/json")
    post, second = (await make_source(RssSource, ctx, url=f"{channel.url}/feed.json", lang="en").poll(None)).events
    assert (post.title, post.text, post.author) == ("My Acme K2 broke & nobody answers",
                                                     "Three months in, the K2 leaks.", "Sam")
    assert second.author == "Blog Owner"  # an item's author defaults to the feed's
    assert second.url == f"{channel.url}/posts/2"  # resolved against the feed's URL
    assert post.ts == datetime(2026, 3, 1, 5, 0, tzinfo=UTC) and post.lang == "en"


async def test_json_feed_cursor_304_and_dedup_across_restarts(channel: FakeChannel, ctx) -> None:
    doc = json.loads((WILD / "jsonfeed-1.1.json").read_text(encoding="utf-8"))
    serve(channel, "/feed.json", json.dumps(doc).encode(), "application/feed+json", etag='"v1"')
    url = f"{channel.url}/feed.json"
    first = await make_source(RssSource, ctx, url=url).poll(None)
    assert len(first.events) == 3 and first.cursor["etag"] == '"v1"'
    not_modified = await make_source(RssSource, ctx, url=url).poll(stored(first.cursor))
    assert not_modified.events == [] and not_modified.cursor == first.cursor
    doc["items"].insert(0, {"id": "new", "content_text": "Acme: refunds start Monday."})
    serve(channel, "/feed.json", json.dumps(doc).encode(), "application/feed+json", etag='"v2"')
    second = await make_source(RssSource, ctx, url=url).poll(stored(first.cursor))
    assert [p.id for p in second.events] == ["new"]


async def test_malformed_items_are_skipped_and_counted_never_fatal(channel: FakeChannel, ctx) -> None:
    from monitor.health import HealthTracker
    from monitor.metrics import Metrics

    serve(channel, "/feed.json", (WILD / "jsonfeed-malformed.json").read_bytes(), "application/feed+json")
    batch = await make_source(RssSource, ctx, url=f"{channel.url}/feed.json").poll(None)
    assert [(p.id, p.text) for p in batch.events] == [("ok-1", "Acme answers the complaints.")]
    assert dict(batch.skipped) == {
        "malformed JSON Feed item: item 1: expected an object, got a string": 1,
        "malformed JSON Feed item: item 2: id is a list, expected a string": 1,
        "malformed JSON Feed item: item 3: title is a number, expected a string": 1,
        "entry has no title or text": 1,
        "duplicate entry id in the feed (the first one kept)": 1,
    }
    metrics = Metrics()
    health = HealthTracker(metrics)
    now = datetime(2026, 3, 1, 8, tzinfo=UTC)
    health.register("rss", "rss", timedelta(hours=1), 3, now)
    health.success("rss", len(batch.events), batch.skipped, now)
    assert health.snapshot(now)["rss"]["skipped"] == dict(batch.skipped)
    assert 'reason="malformed JSON Feed item"' in metrics.render()  # one label, whatever the item number


@pytest.mark.parametrize(("body", "message"), [
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "is not valid JSON: Expecting value: line 1"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "title": "no items"}',
     "is JSON but not a JSON Feed (expected an object with an items list, got an object without an items list)"),
    (b"[1, 2]", "is JSON but not a JSON Feed (expected an object with an items list, got a list): [1, 2]"),
])
async def test_json_that_is_no_feed_is_a_clear_error(channel: FakeChannel, ctx, body: bytes, message: str) -> None:
    serve(channel, "/feed.json", body, "application/json")
    with pytest.raises(SourceError) as info:
        await make_source(RssSource, ctx, url=f"{channel.url}/feed.json").poll(None)
    assert str(info.value).startswith(f"rss: {channel.url}/feed.json {message}")
    assert "check the feed URL" in str(info.value) and not info.value.retryable


async def test_a_json_feed_in_a_legacy_encoding_is_decoded(channel: FakeChannel, ctx) -> None:
    doc = {"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": "1", "title": "艾克美电水壶质量问题引发投诉",
         "content_text": "多名用户反映艾克美电水壶漏电，客服迟迟没有回应。"}]}
    body = json.dumps(doc, ensure_ascii=False).encode("gb18030")
    serve(channel, "/feed.json", body, "application/feed+json")
    batch = await make_source(RssSource, ctx, url=f"{channel.url}/feed.json").poll(None)
    assert batch.events[0].title == "艾克美电水壶质量问题引发投诉" and not batch.skipped


def test_json_is_recognised_by_its_first_character_whatever_the_label() -> None:
    assert looks_like_json('\ufeff  {"items": []}', "text/html")
    assert looks_like_json("[1]", "application/json")
    assert not looks_like_json("<rss/>", "application/json")
    assert not looks_like_json("plain", "text/plain")
