"""Market quotes collector against a local fake of Yahoo's /v8/finance/chart/{symbol}."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from pydantic import ValidationError

from monitor.errors import SourceError
from monitor.models import Quote
from monitor.sources.market import MarketConfig, MarketSource
from tests.sources.conftest import (
    FakeChannel,
    FakeClock,
    clocked_source,
    fixture_json,
    fixture_text,
    json_reply,
    text_reply,
)

NOW = datetime(2026, 3, 1, 8, 0, 12, tzinfo=UTC)
ACME, HK = "/v8/finance/chart/ACME", "/v8/finance/chart/0700.HK"


def make(channel: FakeChannel, session: aiohttp.ClientSession, **cfg: object) -> tuple[MarketSource, FakeClock]:
    return clocked_source(MarketSource, channel, session, NOW, **{"symbols": ["acme"], **cfg})


async def test_quote_from_chart_meta(channel, session) -> None:
    channel.script(ACME, json_reply(fixture_json("market", "chart_acme.json")))
    channel.script(HK, json_reply(fixture_json("market", "chart_hk.json")))
    source, _ = make(channel, session, symbols=["ACME", "0700.hk"])
    batch = await source.poll(None)
    acme, hk = batch.events
    assert isinstance(acme, Quote)
    assert (acme.symbol, acme.price, acme.prev_close, acme.source) == ("ACME", 94.1, 100.0, "market")
    assert acme.change_pct == pytest.approx(-5.9)
    assert acme.ts == NOW and acme.extra["currency"] == "USD" and acme.extra["market_time"] == "2026-03-01T16:00:00Z"
    assert (hk.symbol, hk.price, hk.prev_close) == ("0700.HK", 512.5, 505.0)  # previousClose as the fallback
    assert channel.requests(ACME)[0].query == {"range": "1d", "interval": "1d"}
    assert batch.cursor == {"ACME": [94.1, "2026-03-01T08:00Z"], "0700.HK": [512.5, "2026-03-01T08:00Z"]}


async def test_same_price_same_minute_is_not_emitted_twice_but_every_new_minute_is(channel, session) -> None:
    channel.script(ACME, json_reply(fixture_json("market", "chart_acme.json")))
    source, clock = make(channel, session)
    first = await source.poll(None)
    clock.t += timedelta(seconds=20)
    second = await source.poll(first.cursor)
    assert second.events == [] and second.cursor == first.cursor
    clock.t += timedelta(minutes=1)
    third = await source.poll(second.cursor)
    assert len(third.events) == 1 and third.events[0].ts == NOW + timedelta(seconds=80)
    assert third.events[0].key != first.events[0].key


async def test_html_instead_of_data_is_an_error_not_a_price(channel, session) -> None:
    channel.script(ACME, text_reply(fixture_text("market", "consent.html"), 200, "text/html"))
    source, _ = make(channel, session)
    with pytest.raises(SourceError) as exc:
        await source.poll(None)
    assert "returned text/html instead of JSON" in str(exc.value)
    assert "Yahoo is part of the Yahoo family of brands" in str(exc.value)


async def test_unknown_symbol_is_skipped_while_others_go_on(channel, session) -> None:
    channel.script(ACME, json_reply(fixture_json("market", "chart_acme.json")))
    channel.script("/v8/finance/chart/NOPE", json_reply(fixture_json("market", "chart_not_found.json"), 404))
    source, _ = make(channel, session, symbols=["NOPE", "ACME"])
    batch = await source.poll(None)
    assert [e.symbol for e in batch.events] == ["ACME"]
    assert dict(batch.skipped) == {
        "symbol NOPE: market: Yahoo has no data for NOPE: No data found, symbol may be delisted; "
        "check 'symbols' in the source's config": 1}


async def test_quote_without_previous_close_is_skipped(channel, session) -> None:
    data = fixture_json("market", "chart_acme.json")
    del data["chart"]["result"][0]["meta"]["chartPreviousClose"]
    channel.script(ACME, json_reply(data))
    channel.script(HK, json_reply(fixture_json("market", "chart_hk.json")))
    source, _ = make(channel, session, symbols=["ACME", "0700.HK"])
    batch = await source.poll(None)
    assert [e.symbol for e in batch.events] == ["0700.HK"]
    assert dict(batch.skipped) == {"symbol ACME: no previous close to compare with": 1}
    assert "ACME" not in batch.cursor


async def test_all_symbols_unknown_fails_the_poll(channel, session) -> None:
    channel.script("/v8/finance/chart/NOPE", json_reply(fixture_json("market", "chart_not_found.json"), 404))
    source, _ = make(channel, session, symbols=["NOPE"])
    with pytest.raises(SourceError) as exc:
        await source.poll(None)
    assert not exc.value.retryable and "Yahoo has no data for NOPE" in str(exc.value)


async def test_another_changed_shape_names_the_field(channel, session) -> None:
    """(the common changed shape, 429, 5xx and timeouts: tests/sources/test_faults_table.py)"""
    channel.script(ACME, json_reply({"finance": {"result": []}}))
    source, _ = make(channel, session)
    with pytest.raises(SourceError) as exc:
        await source.poll(None)
    assert str(exc.value) == ("market: response shape changed: expected chart to be an object (dict), "
                              "got missing (no field 'chart' in the response)")


def test_config() -> None:
    with pytest.raises(ValidationError) as exc:
        MarketConfig(symbols=["ACME CORP"])
    assert exc.value.errors()[0]["msg"] == (
        "Value error, ticker 'ACME CORP' is not a Yahoo symbol (letters, digits and . ^ = - only)")
    with pytest.raises(ValidationError) as exc:
        MarketConfig(symbols=[])
    assert exc.value.errors()[0]["type"] == "too_short"
    cfg = MarketConfig(symbols=["acme"], interval="30s")
    assert cfg.symbols == ["ACME"] and cfg.interval == timedelta(seconds=30)
