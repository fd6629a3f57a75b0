"""App Store review collector against a local fake of the customer-review JSON feed."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import pytest
from pydantic import ValidationError

from monitor.errors import SourceError
from monitor.sources.appstore import AppStoreConfig, AppStoreSource
from tests.sources.conftest import FakeChannel, FakeClock, clocked_source, fixture_json, json_reply, text_reply

APP = "1234567890"


def fx(name: str) -> dict:
    return fixture_json("appstore", name)


def path(country: str, page: int, app: str = APP) -> str:
    return f"/{country}/rss/customerreviews/page={page}/id={app}/sortby=mostrecent/json"


def make(channel: FakeChannel, session: aiohttp.ClientSession, **cfg: object) -> tuple[AppStoreSource, FakeClock]:
    return clocked_source(AppStoreSource, channel, session, **{"apps": [APP], **cfg})


async def test_walks_pages_until_older_reviews_and_keeps_ratings(channel, session) -> None:
    channel.script(path("us", 1), json_reply(fx("us_page1.json")))
    channel.script(path("us", 2), json_reply(fx("us_page2.json")))
    channel.script(path("cn", 1), json_reply(fx("cn_page1.json")))
    channel.script(path("cn", 2), json_reply(fx("empty.json")))
    source, _ = make(channel, session, countries=["us", "CN"])
    batch = await source.poll(None)
    assert [e.id for e in batch.events] == ["11000000003", "11000000002", "11000000001", "10999999999",
                                            "22000000001"]
    assert dict(batch.skipped) == {"review without a 1-5 star rating": 1}
    assert channel.requests(path("us", 3)) == []  # page 2 reached reviews older than the lookback
    first = batch.events[0]
    assert first.text == "Left earbud died after a week & support won't reply."
    assert (first.title, first.author, first.kind, first.lang) == ("Left bud died", "kim_r", "review", "en")
    assert first.ts == datetime(2026, 3, 1, 7, 50, tzinfo=UTC)
    assert first.extra["rating"] == 1 and first.likes == 12
    assert first.extra["app_id"] == APP and first.extra["country"] == "us" and first.extra["version"] == "4.2.0"
    assert first.url == "https://itunes.apple.com/us/review?id=1234567890&type=Purple%20Software"
    cn = batch.events[-1]
    assert (cn.text, cn.lang, cn.extra["rating"]) == ("耳机经常断连，客服也不回复。", "zh", 1)
    assert batch.cursor["us/1234567890"] == {"since": "2026-03-01T07:50:00Z", "ids": {"11000000003": 1772351400.0}}
    assert batch.cursor["cn/1234567890"]["since"] == "2026-03-01T07:45:00Z"


async def test_second_poll_stops_at_the_first_known_review(channel, session) -> None:
    channel.script(path("us", 1), json_reply(fx("us_page1.json")), json_reply(fx("us_next.json")))
    channel.script(path("us", 2), json_reply(fx("us_page2.json")))
    source, _ = make(channel, session)
    first = await source.poll(None)
    second = await source.poll(first.cursor)
    assert [e.id for e in second.events] == ["11000000004"]
    assert len(channel.requests(path("us", 2))) == 1  # only the first poll went to page 2
    assert second.cursor["us/1234567890"]["since"] == "2026-03-01T07:58:00Z"


async def test_app_without_reviews_is_empty_not_an_error(channel, session) -> None:
    channel.script(path("us", 1, "999"), json_reply(fx("empty.json")))
    source, _ = make(channel, session, apps=["id999"])
    batch = await source.poll(None)
    assert batch.events == [] and batch.cursor == {"us/999": {"since": "2026-02-22T08:00:00Z", "ids": {}}}


async def test_another_changed_shape_names_the_field(channel, session) -> None:
    """(the common changed shape, 429, 5xx and timeouts: tests/sources/test_faults_table.py)"""
    channel.script(path("us", 1), json_reply({"data": []}))
    source, _ = make(channel, session)
    with pytest.raises(SourceError) as exc:
        await source.poll(None)
    assert str(exc.value) == ("appstore: response shape changed: expected feed to be an object (dict), "
                              "got missing (no field 'feed' in the response)")


async def test_unknown_app_404_is_not_retryable(channel, session) -> None:
    channel.script(path("us", 1, "42"), text_reply("Not Found", 404))
    source, _ = make(channel, session, apps=["42"])
    with pytest.raises(SourceError) as exc:
        await source.poll(None)
    assert not exc.value.retryable and "HTTP 404" in str(exc.value)


def test_config_errors() -> None:
    with pytest.raises(ValidationError) as exc:
        AppStoreConfig(apps=["acme-earbuds"])
    assert exc.value.errors()[0]["msg"] == (
        "Value error, app id 'acme-earbuds' is not a number (take it from the App Store URL: .../id1234567890)")
    with pytest.raises(ValidationError) as exc:
        AppStoreConfig(apps=[APP], countries=["china"])
    assert exc.value.errors()[0]["msg"] == (
        "Value error, storefront 'china' is not a two-letter country code such as us, cn or jp")
    with pytest.raises(ValidationError) as exc:
        AppStoreConfig(apps=[])
    assert exc.value.errors()[0]["type"] == "too_short"
    assert AppStoreConfig(apps=["id42"], countries=["CN"]).model_dump()["apps"] == ["42"]
