"""The rss collector against a feed served on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web

from monitor.errors import SourceError
from monitor.sources.rss import RssSource
from tests.sources.conftest import FIXTURES, FakeChannel, fixture_text, make_source, stored, text_reply

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


async def test_outlet_and_language_overrides(channel: FakeChannel, ctx) -> None:
    channel.script("/bozo", text_reply(fixture_text("rss", "bozo.xml"), content_type=RSS))
    batch = await make_source(RssSource, ctx, url=f"{channel.url}/bozo", outlet="forum.example.org",
                              lang="en-GB").poll(None)
    assert (batch.events[0].outlet, batch.events[0].lang) == ("forum.example.org", "en")


def test_unknown_post_kind_is_rejected() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="Input should be 'social', 'news', 'forum', 'review' or 'video'"):
        RssSource.Config.model_validate({"kind": "rss", "url": "https://x.example/feed", "post_kind": "blog"})


# --------------------------------------------------------------------------- feeds as they are in the wild

WILD = FIXTURES / "rss" / "wild"
EXPECTED = json.loads((WILD / "expected.json").read_text(encoding="utf-8"))
CODECS = sorted(EXPECTED)


def raw_reply(body: bytes, content_type: str, **headers: str):
    """A handler that sends ``body`` exactly, with exactly this Content-Type (no charset added)."""

    def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, headers={"Content-Type": content_type, **headers})

    return handler


# (file suffix, Content-Type header or None for "charset = the codec's label"): every way a publisher serves it
SERVED = {
    "bare": ("", "application/rss+xml"),  # no declaration, no charset: detection alone
    "declared": ("-declared", "application/rss+xml"),  # XML declaration only
    "header": ("", None),  # charset header only
    "both": ("-declared", None),
    "text/xml": ("", "text/xml"),  # RFC 3023's "us-ascii" default would be mojibake
}


@pytest.mark.parametrize("served", sorted(SERVED))
@pytest.mark.parametrize("codec", CODECS)
async def test_every_legacy_encoding_reads_back_served_every_way(channel: FakeChannel, ctx, codec: str,
                                                                 served: str) -> None:
    suffix, ctype = SERVED[served]
    body = (WILD / f"{codec}{suffix}.xml").read_bytes()
    channel.script("/feed", raw_reply(body, ctype or f"application/rss+xml; charset={EXPECTED[codec]['label']}"))
    batch = await make_source(RssSource, ctx, url=f"{channel.url}/feed").poll(None)
    want = EXPECTED[codec]["items"]
    assert [(p.title, p.text) for p in batch.events] == [(i["title"], i["text"]) for i in want]
    assert not batch.skipped  # nothing was wrong: nothing to report
    assert not any(p.extra for p in batch.events)


@pytest.mark.parametrize("wrong", ["utf-8", "iso-8859-1"])
@pytest.mark.parametrize("codec", CODECS)
async def test_a_wrong_charset_header_is_overruled_and_reported(channel: FakeChannel, ctx, codec: str,
                                                                wrong: str) -> None:
    body = (WILD / f"{codec}.xml").read_bytes()
    channel.script("/feed", raw_reply(body, f"application/rss+xml; charset={wrong}"))
    batch = await make_source(RssSource, ctx, url=f"{channel.url}/feed").poll(None)
    assert [p.title for p in batch.events] == [i["title"] for i in EXPECTED[codec]["items"]]
    (reason,) = batch.skipped
    assert reason.startswith(f"wrong charset declaration: declared {wrong} but ")


async def test_a_wrong_xml_declaration_is_overruled_and_reported(channel: FakeChannel, ctx) -> None:
    body = (WILD / "big5.xml").read_bytes().replace(b"<rss", b'<?xml version="1.0" encoding="GB2312"?>\n<rss', 1)
    channel.script("/feed", raw_reply(body, "application/rss+xml"))
    batch = await make_source(RssSource, ctx, url=f"{channel.url}/feed").poll(None)
    assert batch.events[0].title == "艾克美電水壺品質問題"
    assert dict(batch.skipped) == {
        "wrong charset declaration: declared gb2312 but the text reads as big5 (detected)": 1}


async def test_a_correct_single_byte_declaration_wins(channel: FakeChannel, ctx) -> None:
    text = ("<rss version='2.0'><channel><title>t</title><item><guid>1</guid>"
            "<title>Café crème brûlée chez Acme</title></item></channel></rss>")
    channel.script("/feed", raw_reply(text.encode("latin-1"), "application/rss+xml; charset=ISO-8859-1"))
    batch = await make_source(RssSource, ctx, url=f"{channel.url}/feed").poll(None)
    assert batch.events[0].title == "Café crème brûlée chez Acme" and not batch.skipped


async def test_undecodable_bytes_are_never_emitted_silently(channel: FakeChannel, ctx) -> None:
    body = (WILD / "gb18030-declared.xml").read_bytes()
    title = "艾克美电水壶质量问题引发投诉".encode("gb18030")
    damaged = body.replace(title, title[:6] + b"\xff" + title[6:], 1)  # 0xFF starts no GB18030 character
    garbage = b"<item><guid>g</guid><title>" + b"\x81\xff" * 20 + b"</title></item>"
    damaged = damaged.replace(b"</channel>", garbage + b"</channel>")
    channel.script("/feed", raw_reply(damaged, "application/rss+xml"))
    source = make_source(RssSource, ctx, url=f"{channel.url}/feed")
    batch = await source.poll(None)
    first, second = batch.events
    assert first.title == "艾克美\ufffd电水壶质量问题引发投诉" and first.extra == {"undecodable_text": True}
    assert second.extra == {}  # its own text decoded cleanly
    assert dict(batch.skipped) == {
        "undecodable text: 41 byte sequence(s) are not valid gb18030; shown as U+FFFD in the posts": 1,
        "entry text undecodable (mostly U+FFFD)": 1,
    }


async def test_items_with_neither_guid_nor_link_are_kept_and_dedup_on_repoll(channel: FakeChannel, ctx) -> None:
    body = (WILD / "idless.xml").read_bytes()
    channel.script("/feed", raw_reply(body, "application/rss+xml"))
    url = f"{channel.url}/feed"
    first = await make_source(RssSource, ctx, url=url).poll(None)
    assert [p.title for p in first.events] == ["关于艾克美电水壶的消费提示", "Acme kettle recall notice", None]
    assert first.events[2].text == "An undated notice with no title: only its text identifies it."
    assert all(p.id.startswith("content-sha1:") and p.url is None for p in first.events)
    assert len({p.id for p in first.events}) == 3 and not first.skipped
    restarted = await make_source(RssSource, ctx, url=url).poll(stored(first.cursor))  # a new process
    assert restarted.events == []
    again = await make_source(RssSource, ctx, url=url).poll(None)  # no cursor: the same ids are derived
    assert [p.id for p in again.events] == [p.id for p in first.events]
    edited = body.replace("请消费者暂停使用".encode(), "请消费者立即停止使用".encode())
    channel.script("/feed", raw_reply(edited, "application/rss+xml"))
    changed = await make_source(RssSource, ctx, url=url).poll(stored(first.cursor))
    assert [p.title for p in changed.events] == ["关于艾克美电水壶的消费提示"]  # an edited notice is a new one
    channel.script("/feed", raw_reply(body, "application/rss+xml"))
    other = await make_source(RssSource, ctx, url=f"{channel.url}/feed?page=2").poll(None)  # the same bytes
    assert {p.id for p in other.events}.isdisjoint(p.id for p in first.events)  # the feed URL is part of the id


async def test_atom_text_types_urn_ids_and_duplicate_ids(channel: FakeChannel, ctx) -> None:
    channel.script("/atom", raw_reply((WILD / "atom_wild.xml").read_bytes(), "application/atom+xml"))
    batch = await make_source(RssSource, ctx, url=f"{channel.url}/atom", post_kind="review").poll(None)
    plain, html_, xhtml = batch.events
    assert plain.title == "Why the Acme <K2> kettle leaks"
    assert plain.text == "Plain text: 1 < 2 and <b> is not bold here."
    assert (plain.id, plain.url, plain.author) == ("urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a", None,
                                                   "Kim Reviewer")
    assert (html_.title, html_.text, html_.url) == ("The Acme K2 & its lid", "The lid cracks after a month.",
                                                    "https://reviews.example/2")
    assert (xhtml.title, xhtml.text) == ("Acme K2 teardown", "The heating plate is thin.")
    assert dict(batch.skipped) == {"duplicate entry id in the feed (the first one kept)": 1}


async def test_content_language_sets_lang_only_where_the_feed_is_silent(channel: FakeChannel, ctx) -> None:
    body = (WILD / "idless.xml").read_bytes()
    channel.script("/silent", raw_reply(body, "application/rss+xml", **{"Content-Language": "zh-CN, en"}))
    batch = await make_source(RssSource, ctx, url=f"{channel.url}/silent", lang="fr").poll(None)
    assert {p.lang for p in batch.events} == {"zh"}  # the header wins over the configured fallback
    channel.script("/stated", raw_reply(fixture_text("rss", "feed1.xml").encode(), RSS,
                                        **{"Content-Language": "de"}))
    stated = await make_source(RssSource, ctx, url=f"{channel.url}/stated").poll(None)
    assert {p.lang for p in stated.events} == {"en"}  # <language>en-us</language> wins
    channel.script("/none", raw_reply(body, "application/rss+xml"))
    fallback = await make_source(RssSource, ctx, url=f"{channel.url}/none", lang="zh-Hans").poll(None)
    assert {p.lang for p in fallback.events} == {"zh"}


async def test_decoding_problems_show_on_the_sources_health(channel: FakeChannel, ctx) -> None:
    from monitor.health import HealthTracker
    from monitor.metrics import Metrics

    body = (WILD / "euc_kr.xml").read_bytes()
    channel.script("/feed", raw_reply(body, "application/rss+xml; charset=utf-8"))
    source = make_source(RssSource, ctx, url=f"{channel.url}/feed", name="kr")
    batch = await source.poll(None)
    metrics = Metrics()
    health = HealthTracker(metrics)
    now = datetime(2026, 3, 1, 8, tzinfo=UTC)
    health.register("kr", "rss", timedelta(hours=1), 3, now)
    health.success("kr", len(batch.events), batch.skipped, now)
    skipped = health.snapshot(now)["kr"]["skipped"]
    assert list(skipped) == ["wrong charset declaration: declared utf-8 but the bytes are not utf-8; "
                             "decoded as cp949 (detected)"]
    assert 'reason="wrong charset declaration"' in metrics.render()


async def test_items_sharing_one_link_are_not_lost(channel: FakeChannel, ctx) -> None:
    items = "".join(f"<item><title>Notice {i}</title><link>https://gov.example/notices</link>"
                    f"<description>Text {i}</description></item>" for i in (1, 2, 3))
    items += "<item><title>Notice 3</title><link>https://gov.example/notices</link><description>Text 3</description>" \
             "</item><item><guid>g1</guid><title>Own id</title></item><item><guid>g1</guid><title>Again</title></item>"
    body = f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>".encode()
    channel.script("/feed", raw_reply(body, RSS))
    source = make_source(RssSource, ctx, url=f"{channel.url}/feed")
    batch = await source.poll(None)
    assert [p.title for p in batch.events] == ["Notice 1", "Notice 2", "Notice 3", "Own id"]
    assert all(p.url == "https://gov.example/notices" for p in batch.events[:3])
    assert dict(batch.skipped) == {"duplicate entry id in the feed (the first one kept)": 2}
    assert (await source.poll(stored(batch.cursor))).events == []


async def test_a_page_that_is_no_feed_is_quoted_in_its_own_encoding(channel: FakeChannel, ctx) -> None:
    page = "<html><head><title>x</title></head><body><p>页面不存在，请检查网址。艾克美客服中心</p></body></html>"
    channel.script("/feed", raw_reply(page.encode("gb18030"), "text/html"))
    with pytest.raises(SourceError) as info:
        await make_source(RssSource, ctx, url=f"{channel.url}/feed").poll(None)
    assert str(info.value) == (f"rss: {channel.url}/feed is not an RSS, Atom or JSON feed (text/html): "
                               "页面不存在，请检查网址。艾克美客服中心; check the feed URL")


@pytest.mark.parametrize("body", [bytes(range(256)) * 40, b"\x00" * 1000, b"", b"   \n"])
async def test_garbage_bodies_are_a_clear_error_never_a_crash(channel: FakeChannel, ctx, body: bytes) -> None:
    channel.script("/feed", raw_reply(body, "application/rss+xml"))
    with pytest.raises(SourceError, match="is not an RSS, Atom or JSON feed"):
        await make_source(RssSource, ctx, url=f"{channel.url}/feed").poll(None)
