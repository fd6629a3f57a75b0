"""Stack Exchange collector against a local fake of /2.3/search/advanced."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp import web
from pydantic import ValidationError

from monitor.errors import SourceError
from monitor.models import Post
from monitor.sources.stackexchange import StackExchangeConfig, StackExchangeSource
from tests.sources.conftest import NOW, FakeChannel, FakeClock, clocked_source, fixture_json, json_reply

SEARCH = "/2.3/search/advanced"


def fx(name: str) -> dict:
    return fixture_json("stackexchange", name)


def make(channel: FakeChannel, session: aiohttp.ClientSession, **cfg: object) -> tuple[StackExchangeSource, FakeClock]:
    return clocked_source(StackExchangeSource, channel, session, query="acme sdk", **cfg)


def by_page(request: web.Request) -> web.Response:
    return json_reply(fx("search_page1.json") if request.query["page"] == "1" else fx("search_page2.json"))


async def test_pages_oldest_first_and_maps_questions(channel, session) -> None:
    channel.script(SEARCH, by_page)
    source, _ = make(channel, session, tagged=["acme-sdk"])
    batch = await source.poll(None)
    assert [e.id for e in batch.events] == ["79500001", "79500002", "79500003"]
    assert dict(batch.skipped) == {"question without question_id": 1}
    sent = channel.requests(SEARCH)
    assert [r.query["page"] for r in sent] == ["1", "2"]
    q = sent[0].query
    assert q["q"] == "acme sdk" and q["site"] == "stackoverflow" and q["tagged"] == "acme-sdk"
    assert (q["sort"], q["order"], q["filter"], q["pagesize"]) == ("creation", "asc", "withbody", "100")
    assert q["fromdate"] == str(int(NOW.timestamp()) - 86400)
    assert "key" not in q
    assert sent[0].headers["User-Agent"] == "BrandMonitorTest/1.0"
    first = batch.events[0]
    assert isinstance(first, Post)
    assert first.title == 'Acme SDK 2.3 crashes on start with "segfault"'
    assert first.text == ("Since upgrading to acme-sdk 2.3 the client crashes & burns:\n"
                          "Segmentation fault (core dumped)\nAnyone else?")
    assert first.author == "José & Co"
    assert first.url == "https://stackoverflow.com/questions/79500001/acme-sdk-crashes-on-start"
    assert first.ts == datetime(2026, 3, 1, 7, 10, tzinfo=UTC)
    assert (first.kind, first.lang, first.likes, first.replies, first.source) == ("forum", "en", 3, 2, "stackexchange")
    assert first.extra["tags"] == ["python", "acme-sdk"] and first.extra["views"] == 41
    assert batch.events[1].likes == 0  # negative score is not a like
    assert batch.cursor["questions"] == {"since": "2026-03-01T07:30:00Z", "ids": {"79500003": 1772350200.0}}


async def test_second_poll_emits_only_new_and_waits_out_backoff(channel, session) -> None:
    channel.script(SEARCH, by_page, by_page, json_reply(fx("search_next.json")))
    source, clock = make(channel, session)
    first = await source.poll(None)
    assert clock.sleeps == [2.0]  # 30 requests a minute between the two pages
    second = await source.poll(first.cursor)
    assert [e.id for e in second.events] == ["79500004"]
    assert channel.requests(SEARCH)[-1].query["fromdate"] == "1772350200"  # 07:30, the watermark
    assert clock.sleeps == [2.0, pytest.approx(10.0)]  # page 2 said backoff: 10


async def test_restart_from_stored_cursor(channel, session) -> None:
    channel.script(SEARCH, json_reply(fx("search_next.json")))
    source, _ = make(channel, session)
    cursor = {"questions": {"since": "2026-03-01T07:30:00Z", "ids": {"79500003": 1772350200.0}}}
    batch = await source.poll(cursor)
    assert [e.id for e in batch.events] == ["79500004"]


async def test_spent_quota_blocks_until_midnight_utc(channel, session) -> None:
    channel.script(SEARCH, json_reply(fx("search_next.json")))
    source, _ = make(channel, session)
    batch = await source.poll(None)
    assert len(batch.events) == 2  # the data that came with the last quota unit is kept
    with pytest.raises(SourceError) as exc:
        await source.poll(batch.cursor)
    assert exc.value.retryable and exc.value.retry_after == pytest.approx(16 * 3600)
    assert len(channel.requests(SEARCH)) == 1


async def test_throttle_violation_is_retryable_with_the_named_wait(channel, session) -> None:
    channel.script(SEARCH, json_reply(fx("error_throttle.json"), 400))
    source, _ = make(channel, session)
    with pytest.raises(SourceError) as exc:
        await source.poll(None)
    assert str(exc.value) == ("stackexchange: Stack Exchange API error 502 throttle_violation: "
                              "too many requests from this IP, more requests available in 3600 seconds")
    assert exc.value.retryable and exc.value.retry_after == 3600


async def test_bad_parameter_is_not_retryable(channel, session) -> None:
    channel.script(SEARCH, json_reply(fx("error_bad_parameter.json"), 400))
    source, _ = make(channel, session)
    with pytest.raises(SourceError) as exc:
        await source.poll(None)
    assert str(exc.value) == "stackexchange: Stack Exchange API error 400 bad_parameter: site is required"
    assert not exc.value.retryable


async def test_answers_to_found_questions(channel, session) -> None:
    channel.script(SEARCH, json_reply(fx("search_page1.json") | {"has_more": False}))
    answers_path = "/2.3/questions/79500002;79500001/answers"
    channel.script(answers_path, json_reply(fx("answers.json")))
    source, _ = make(channel, session, include_answers=True, key="k3y")
    batch = await source.poll(None)
    assert [e.id for e in batch.events] == ["79500001", "79500002", "79500101"]
    answer = batch.events[2]
    assert answer.text == "Downgrade to 2.2 – 2.3 has a known bug."
    assert answer.url == "https://stackoverflow.com/a/79500101"
    assert answer.extra["post_type"] == "answer" and answer.extra["accepted"] is True
    assert dict(batch.skipped) == {"answer without answer_id": 1}
    assert channel.requests(answers_path)[0].query["key"] == "k3y"
    assert set(batch.cursor["watch"]) == {"79500001", "79500002"}
    # next poll: no new questions, the watched ones are asked again from the answers watermark
    channel.script(SEARCH, json_reply({"items": [], "has_more": False, "quota_max": 300, "quota_remaining": 290}))
    again = await source.poll(batch.cursor)
    assert again.events == []
    assert channel.requests(answers_path)[-1].query["fromdate"] == "1772350500"


async def test_localised_site_language(channel, session) -> None:
    channel.script(SEARCH, json_reply(fx("search_page2.json")))
    source, _ = make(channel, session, site="ru.stackoverflow")
    batch = await source.poll(None)
    assert batch.events[0].lang == "ru"


def test_config_errors() -> None:
    with pytest.raises(ValidationError) as exc:
        StackExchangeConfig()
    assert exc.value.errors()[0]["loc"] == ("query",) and exc.value.errors()[0]["type"] == "missing"
    with pytest.raises(ValidationError) as exc:
        StackExchangeConfig(query="x", page_size=500)
    assert exc.value.errors()[0]["msg"] == "Input should be less than or equal to 100"
    assert "k3y" not in repr(StackExchangeConfig(query="x", key="k3y"))
