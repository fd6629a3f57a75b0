"""The trends source (google / weibo / baidu providers) against local fakes of each list."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web
from pydantic import ValidationError

from monitor.errors import SourceError
from monitor.models import Trend
from monitor.sources.trends import TrendsConfig, TrendsSource
from tests.sources.conftest import (
    FIXTURES,
    NOW,
    FakeChannel,
    FakeClock,
    clocked_source,
    fixture_json,
    json_reply,
    text_reply,
)

GOOGLE, WEIBO, BAIDU = "/trending/rss", "/ajax/side/hotSearch", "/api/board"


def make(channel: FakeChannel, session: aiohttp.ClientSession, provider: str, path: str,
         **cfg: object) -> tuple[TrendsSource, FakeClock]:
    source, clock = clocked_source(TrendsSource, channel, session, provider=provider, **cfg)
    assert source.list_url() == channel.url + path
    return source, clock


def google_xml(request: web.Request) -> web.Response:
    if request.headers.get("If-None-Match") == '"v1"':
        return web.Response(status=304, headers={"ETag": '"v1"'})
    body = (FIXTURES / "trends" / "google_trends.xml").read_bytes()
    return web.Response(body=body, content_type="application/rss+xml", headers={"ETag": '"v1"'})


async def test_weibo_emits_trend_events_named_weibo_hot(channel, session) -> None:
    channel.script(WEIBO, json_reply(fixture_json("trends", "weibo.json")))
    source, _ = make(channel, session, "weibo", WEIBO)
    assert source.name == "weibo_hot"
    batch = await source.poll(None)
    assert all(isinstance(e, Trend) for e in batch.events)
    assert [(e.word, e.rank) for e in batch.events] == [("Acme耳机电池鼓包", 1), ("春节档票房", 2), ("天气预报", 5)]
    first = batch.events[0]
    assert (first.source, first.ts) == ("weibo_hot", NOW)
    assert first.extra["provider"] == "weibo" and first.extra["new"] is True and first.extra["heat"] == 1893456
    assert dict(batch.skipped) == {"hot-search item without word": 1}
    assert channel.requests(WEIBO)[0].headers["Referer"] == "https://weibo.com/"
    assert batch.cursor["words"]["春节档票房"] == {"rank": 2, "emitted_at": "2026-03-01T08:00:00Z"}


async def test_words_still_trending_are_re_emitted_only_after_reemit_after(channel, session) -> None:
    channel.script(WEIBO, json_reply(fixture_json("trends", "weibo.json")))
    source, clock = make(channel, session, "weibo", WEIBO, reemit_after="30m")
    first = await source.poll(None)
    clock.t += timedelta(minutes=10)
    second = await source.poll(first.cursor)
    assert second.events == []  # same list ten minutes later: nothing new
    clock.t += timedelta(minutes=25)
    third = await source.poll(second.cursor)
    assert [e.word for e in third.events] == ["Acme耳机电池鼓包", "春节档票房", "天气预报"]
    assert all(e.extra["new"] is False for e in third.events)
    assert third.events[0].ts == NOW + timedelta(minutes=35)


async def test_a_word_entering_the_list_is_emitted_at_once(channel, session) -> None:
    data = fixture_json("trends", "weibo.json")
    later = fixture_json("trends", "weibo.json")
    later["data"]["realtime"].insert(0, {"word": "Acme回应", "num": 2000000, "rank": 0, "realpos": 1})
    channel.script(WEIBO, json_reply(data), json_reply(later))
    source, clock = make(channel, session, "weibo", WEIBO)
    first = await source.poll(None)
    clock.t += timedelta(minutes=10)
    second = await source.poll(first.cursor)
    assert [(e.word, e.rank, e.extra["new"]) for e in second.events] == [("Acme回应", 1, True)]


async def test_baidu_nested_shape(channel, session) -> None:
    channel.script(BAIDU, json_reply(fixture_json("trends", "baidu_nested.json")))
    source, _ = make(channel, session, "baidu", BAIDU, top=2)
    batch = await source.poll(None)
    assert source.name == "baidu_hot"
    assert [(e.word, e.rank) for e in batch.events] == [("Acme耳机召回", 1), ("中星19号卫星成功发射", 2)]
    assert channel.requests(BAIDU)[0].query == {"platform": "wise", "tab": "realtime"}


async def test_google_conditional_get_and_304(channel, session) -> None:
    channel.script(GOOGLE, google_xml)
    source, clock = make(channel, session, "google", GOOGLE, geo="GB", name="trends_gb")
    first = await source.poll(None)
    assert source.name == "trends_gb"
    assert [e.word for e in first.events] == ["acme recall", "super bowl halftime", "weather tomorrow"]
    assert len(first.events[0].extra["news"]) == 2
    assert first.cursor["validators"] == {"etag": '"v1"'}
    assert channel.requests(GOOGLE)[0].query == {"geo": "GB"}
    clock.t += timedelta(minutes=10)
    second = await source.poll(first.cursor)
    assert channel.requests(GOOGLE)[1].headers["If-None-Match"] == '"v1"'
    assert second.events == [] and second.cursor["words"] == first.cursor["words"]
    clock.t += timedelta(minutes=30)
    third = await source.poll(second.cursor)  # 304 again, but the list is still up: re-emitted from the cursor
    assert [(e.word, e.rank) for e in third.events] == [("acme recall", 1), ("super bowl halftime", 2),
                                                        ("weather tomorrow", 3)]


async def test_html_instead_of_json_is_an_error(channel, session) -> None:
    channel.script(BAIDU, text_reply("<html><body>安全验证</body></html>", 200, "text/html"))
    source, _ = make(channel, session, "baidu", BAIDU)
    with pytest.raises(SourceError) as exc:
        await source.poll(None)
    assert "returned text/html instead of JSON" in str(exc.value) and "安全验证" in str(exc.value)


def test_config() -> None:
    with pytest.raises(ValidationError) as exc:
        TrendsConfig(provider="douyin")
    assert exc.value.errors()[0]["msg"] == "Input should be 'google', 'weibo' or 'baidu'"
    assert TrendsConfig(provider="google").display_name() == "google_trends"
    assert TrendsConfig(provider="baidu").base_url == "https://top.baidu.com"
    assert TrendsConfig(provider="weibo", base_url="http://127.0.0.1:9").base_url == "http://127.0.0.1:9"
    assert TrendsConfig(provider="weibo").silence_limit() == timedelta(minutes=45)
