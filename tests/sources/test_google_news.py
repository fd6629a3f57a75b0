"""google_news: edition parameters that agree, headline-only posts with the publisher as outlet."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from monitor.errors import SourceError
from monitor.sources.google_news import GoogleNewsConfig, GoogleNewsSource
from tests.sources.conftest import FakeChannel, fixture_text, make_source, stored, text_reply

RSS = "application/rss+xml"


@pytest.mark.parametrize(
    ("settings", "edition"),
    [
        ({}, ("en-US", "US", "US:en")),
        ({"hl": "zh-CN"}, ("zh-CN", "CN", "CN:zh-Hans")),
        ({"hl": "zh-TW"}, ("zh-TW", "TW", "TW:zh-Hant")),
        ({"hl": "en-GB"}, ("en-GB", "GB", "GB:en")),
        ({"hl": "ja", "gl": "JP"}, ("ja", "JP", "JP:ja")),
        ({"hl": "es-419", "gl": "US"}, ("es-419", "US", "US:es-419")),
        ({"hl": "zh-CN", "gl": "CN", "ceid": "CN:zh-Hans"}, ("zh-CN", "CN", "CN:zh-Hans")),
    ],
)
def test_edition_is_derived(settings: dict, edition: tuple[str, str, str]) -> None:
    cfg = GoogleNewsConfig.model_validate({"kind": "google_news", "query": "acme", **settings})
    assert (cfg.hl, cfg.gl, cfg.ceid) == edition


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"hl": "zh-CN", "gl": "US"}, "gl 'US' does not agree with hl 'zh-CN': write gl: CN (or change hl)"),
        ({"hl": "zh-CN", "ceid": "US:en"}, "ceid 'US:en' does not agree with gl 'CN': write ceid: CN:zh-Hans"),
        ({"hl": "en-US", "ceid": "US:de"}, "ceid 'US:de' does not agree with hl 'en-US': write ceid: US:en"),
        ({"hl": "ja"}, "gl is required when hl ('ja') has no country, e.g. hl: ja, gl: JP"),
        ({"hl": "english"}, "hl 'english' is not a language tag like en-US, zh-CN, ja or es-419"),
        ({"ceid": "en"}, "ceid 'en' must look like COUNTRY:language, e.g. US:en"),
        ({"when": "2w"}, "when '2w' must be hours or days, e.g. 1h, 12h, 1d, 7d"),
    ],
)
def test_disagreeing_edition_is_rejected(settings: dict, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        GoogleNewsConfig.model_validate({"kind": "google_news", "query": "acme", **settings})
    assert info.value.errors()[0]["msg"] == f"Value error, {message}"


async def test_search_feed_maps_headlines_and_publishers(channel: FakeChannel, ctx) -> None:
    channel.script("/rss/search", text_reply(fixture_text("google_news", "search.xml"), content_type=RSS))
    source = make_source(GoogleNewsSource, ctx, base_url=channel.url, query='"Acme" battery', when="1d")
    batch = await source.poll(None)
    sent = channel.requests("/rss/search")[0].query
    assert sent == {"q": '"Acme" battery when:1d', "hl": "en-US", "gl": "US", "ceid": "US:en"}
    first, second = batch.events
    assert first.title == first.text == "Acme recalls 120,000 X2 power banks over fire risk"
    assert (first.outlet, first.kind, first.lang) == ("reuters.com", "news", "en")
    assert first.extra == {"publisher": "Reuters"}
    assert first.ts == datetime(2026, 3, 1, 7, 58, tzinfo=UTC)
    assert first.id == "CBMiWkFVX3lxTE1hY21lLXJlY2FsbC0xMjAwMDAteDItcG93ZXItYmFua3M"
    assert "Unrelated gadget roundup" not in first.text  # the cluster's other articles are not this post
    assert (second.title, second.outlet) == ("Acme battery fires: what owners should do", "bbc.co.uk")
    again = await source.poll(stored(batch.cursor))
    assert again.events == []


async def test_chinese_edition_request(channel: FakeChannel, ctx) -> None:
    channel.script("/rss/search", text_reply(fixture_text("google_news", "search.xml"), content_type=RSS))
    await make_source(GoogleNewsSource, ctx, base_url=channel.url, query="艾克美 电池", hl="zh-CN").poll(None)
    assert channel.requests("/rss/search")[0].query == {"q": "艾克美 电池", "hl": "zh-CN", "gl": "CN",
                                                        "ceid": "CN:zh-Hans"}


async def test_blocked_by_google_is_a_clear_error(channel: FakeChannel, ctx) -> None:
    channel.script("/rss/search", text_reply("<html><body>Our systems have detected unusual traffic</body></html>",
                                             503, "text/html"))
    source = make_source(GoogleNewsSource, ctx, base_url=channel.url, query="acme", max_retries=1)
    with pytest.raises(SourceError, match="HTTP 503 Service Unavailable: Our systems have detected unusual traffic"):
        await source.poll(None)
    assert len(channel.requests("/rss/search")) == 2
