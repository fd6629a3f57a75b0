"""GDELT DOC 2.0 collector against a local fake of /api/v2/doc/doc (ArtList JSON)."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import pytest
from pydantic import ValidationError

from monitor.errors import SourceError
from monitor.sources.gdelt import GdeltConfig, GdeltSource
from tests.sources.conftest import (
    FakeChannel,
    FakeClock,
    clocked_source,
    fixture_json,
    fixture_text,
    json_reply,
    text_reply,
)

DOC = "/api/v2/doc/doc"


def make(channel: FakeChannel, session: aiohttp.ClientSession, **cfg: object) -> tuple[GdeltSource, FakeClock]:
    return clocked_source(GdeltSource, channel, session, query='"acme" (earbuds OR K5)', **cfg)


async def test_maps_articles_in_many_languages(channel, session) -> None:
    channel.script(DOC, json_reply(fixture_json("gdelt", "artlist.json")))
    source, _ = make(channel, session)
    batch = await source.poll(None)
    assert [e.outlet for e in batch.events] == ["reuters.com", "tech.sina.com.cn", "lemonde.fr", "heise.de"]
    assert [e.lang for e in batch.events] == ["en", "zh", "fr", None]  # an unknown language name stays unknown
    assert dict(batch.skipped) == {"article without url": 1}
    q = channel.requests(DOC)[0].query
    assert (q["mode"], q["format"], q["sort"], q["maxrecords"]) == ("ArtList", "json", "DateAsc", "250")
    assert (q["startdatetime"], q["enddatetime"]) == ("20260301070000", "20260301080000")
    assert q["query"] == '"acme" (earbuds OR K5)'
    art = batch.events[2]
    assert (art.id, art.url) == ("https://www.lemonde.fr/economie/article/2026/03/01/acme-rappel_123.html",) * 2
    assert art.text == art.title == "Acme rappelle ses écouteurs K5"
    assert (art.kind, art.ts) == ("news", datetime(2026, 3, 1, 7, 30, tzinfo=UTC))
    assert art.extra["source_country"] == "France"
    assert batch.cursor["since"] == "2026-03-01T07:30:00Z" and len(batch.cursor["ids"]) == 2


async def test_second_poll_emits_only_new_and_keeps_five_seconds_apart(channel, session) -> None:
    channel.script(DOC, json_reply(fixture_json("gdelt", "artlist.json")),
                   json_reply(fixture_json("gdelt", "artlist_next.json")))
    source, clock = make(channel, session)
    first = await source.poll(None)
    second = await source.poll(first.cursor)
    assert [e.outlet for e in second.events] == ["nhk.or.jp"]
    assert second.events[0].lang == "ja"
    assert channel.requests(DOC)[1].query["startdatetime"] == "20260301073000"
    assert clock.sleeps == [5.0]  # the clock did not move between polls: the limiter spaced them


async def test_watermark_older_than_three_months_is_clamped(channel, session) -> None:
    channel.script(DOC, json_reply({}))
    source, _ = make(channel, session)
    old = {"since": "2025-06-01T00:00:00Z", "ids": {"https://old.example/a": 1748736000.0}}
    batch = await source.poll(old)
    assert channel.requests(DOC)[0].query["startdatetime"] == "20251202080000"  # 89 days before NOW
    assert batch.cursor == old


async def test_empty_object_means_no_articles(channel, session) -> None:
    channel.script(DOC, json_reply({}))
    source, _ = make(channel, session)
    batch = await source.poll(None)
    assert batch.events == [] and batch.cursor == {"since": None, "ids": {}}


async def test_rate_limit_text_is_retryable(channel, session) -> None:
    channel.script(DOC, text_reply(fixture_text("gdelt", "rate_limit.txt")))
    source, _ = make(channel, session)
    with pytest.raises(SourceError) as exc:
        await source.poll(None)
    assert str(exc.value) == ("gdelt: GDELT rate limit: Please limit requests to one every 5 seconds or contact "
                              "kalev.leetaru5@gmail.com for larger queries.")
    assert exc.value.retryable and exc.value.retry_after == 5.0


async def test_query_error_text_is_a_config_error(channel, session) -> None:
    channel.script(DOC, text_reply(fixture_text("gdelt", "query_error.txt")))
    source, _ = make(channel, session)
    with pytest.raises(SourceError) as exc:
        await source.poll(None)
    assert str(exc.value) == ("gdelt: GDELT rejected the query: The specified phrase is too short.; "
                              "check 'query' in the source's config")
    assert not exc.value.retryable


async def test_another_changed_shape_names_the_field(channel, session) -> None:
    """(the common changed shape, 429, 5xx and timeouts: tests/sources/test_faults_table.py)"""
    channel.script(DOC, json_reply(fixture_json("gdelt", "changed_type.json")))
    source, _ = make(channel, session)
    with pytest.raises(SourceError) as exc:
        await source.poll(None)
    assert str(exc.value) == "gdelt: response shape changed: expected articles to be a list, got dict"


async def test_full_page_at_one_stamp_steps_past_it(channel, session) -> None:
    same = {"articles": [{"url": f"https://news.example/{i}", "title": f"Acme {i}", "seendate": "20260301T071500Z",
                          "domain": "news.example", "language": "English"} for i in range(3)]}
    channel.script(DOC, json_reply(same))
    source, _ = make(channel, session, max_records=3)
    first = await source.poll(None)
    assert len(first.events) == 3
    second = await source.poll(first.cursor)
    assert second.events == [] and second.cursor == {"since": "2026-03-01T07:15:01Z", "ids": {}}


def test_config_refuses_to_be_impolite() -> None:
    with pytest.raises(ValidationError) as exc:
        GdeltConfig(query="acme", requests_per_minute=60)
    assert exc.value.errors()[0]["msg"] == "Value error, GDELT allows one request every 5 s (12 a minute); got 60"
    with pytest.raises(ValidationError) as exc:
        GdeltConfig(query="acme", max_records=500)
    assert exc.value.errors()[0]["msg"] == "Input should be less than or equal to 250"
