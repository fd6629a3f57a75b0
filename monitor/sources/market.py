"""Stock quotes for the brand's tickers, as ``quote`` events, from Yahoo's chart JSON.

``/v8/finance/chart/{symbol}`` carries ``meta.regularMarketPrice`` and
``meta.chartPreviousClose``; the engine turns a move of more than 5% against the
previous close into a red alert, so it needs a fresh quote every poll: each poll emits
one quote per symbol stamped with the poll time, except when the symbol already had the
same price in the same minute (the cursor remembers the last (price, minute)). A page
of HTML (a consent or error page) is an error, never a price; an unknown symbol is
skipped with its reason while the other symbols go on.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import quote as urlquote

from pydantic import Field, field_validator

from monitor.durations import Duration
from monitor.errors import SourceError
from monitor.models import Quote, format_ts
from monitor.sources.base import Batch, register_source
from monitor.sources.http import HttpSource, HttpSourceConfig, require, shape_error, type_name
from monitor.sources.text import from_epoch

log = logging.getLogger(__name__)

_SYMBOL = re.compile(r"^[A-Z0-9.^=&-]{1,20}$")


class MarketConfig(HttpSourceConfig):
    kind: str = "market"
    base_url: str = Field(default="https://query1.finance.yahoo.com", description="chart API root")
    symbols: list[str] = Field(min_length=1, description="tickers as Yahoo spells them: ACME, 0700.HK, 600519.SS")
    interval: Duration = Field(default=timedelta(minutes=1), description="how often to fetch a quote")
    expected_update_period: Duration | None = Field(
        default=timedelta(minutes=15), description="no quote for this long is a blind spot"
    )

    @field_validator("symbols")
    @classmethod
    def _symbols(cls, v: list[str]) -> list[str]:
        out = []
        for symbol in v:
            s = symbol.strip().upper()
            if not _SYMBOL.match(s):
                raise ValueError(f"ticker {symbol!r} is not a Yahoo symbol (letters, digits and . ^ = - only)")
            out.append(s)
        return out


@register_source
class MarketSource(HttpSource[MarketConfig]):
    """Stock quotes (Yahoo chart JSON: regularMarketPrice vs chartPreviousClose) as quote events."""

    kind: ClassVar[str] = "market"
    requests_per_minute: ClassVar[float] = 30.0

    async def poll(self, cursor: Any) -> Batch:
        last = cursor if isinstance(cursor, dict) else {}
        now = self.ctx.clock.now().replace(microsecond=0)
        minute = now.strftime("%Y-%m-%dT%H:%MZ")
        batch = Batch()
        out: dict[str, Any] = {}
        errors: list[SourceError] = []
        for symbol in self.cfg.symbols:
            try:
                quote = await self._quote(symbol, now)
            except SourceError as exc:
                if exc.retryable:
                    raise
                errors.append(exc)
                batch.skip(f"symbol {symbol}: {exc}")
                continue
            if quote is None:
                batch.skip(f"symbol {symbol}: no previous close to compare with")
                continue
            seen = [quote.price, minute]
            if last.get(symbol) != seen:
                batch.events.append(quote)
            out[symbol] = seen
        if errors and len(errors) == len(self.cfg.symbols):
            raise errors[0]
        batch.cursor = out
        return batch

    async def _quote(self, symbol: str, now: Any) -> Quote | None:
        url = f"{self.cfg.base_url.rstrip('/')}/v8/finance/chart/{urlquote(symbol, safe='')}"
        resp = await self.http.get(url, params={"range": "1d", "interval": "1d"}, accept=(404,))
        data = resp.json()  # HTML (a consent page) raises here: never read as a price
        error = require(data, "chart", dict, source=self.name).get("error")
        if error:
            description = error.get("description") if isinstance(error, dict) else str(error)
            raise SourceError(f"{self.name}: Yahoo has no data for {symbol}: {description}; "
                              f"check 'symbols' in the source's config", retryable=False)
        results = require(data, "chart.result", list, source=self.name)
        if not results or not isinstance(results[0], dict):
            raise shape_error(self.name, "chart.result[0]", "an object (dict)", results[0] if results else None)
        meta = results[0].get("meta")
        if not isinstance(meta, dict):
            raise shape_error(self.name, "chart.result[0].meta", "an object (dict)", meta)
        price = meta.get("regularMarketPrice")
        if isinstance(price, bool) or not isinstance(price, int | float) or price <= 0:
            raise SourceError(f"{self.name}: response shape changed: expected chart.result[0].meta.regularMarketPrice "
                              f"to be a positive number, got {type_name(price) if price is None else repr(price)}",
                              retryable=False)
        prev = meta.get("chartPreviousClose", meta.get("previousClose"))
        if isinstance(prev, bool) or not isinstance(prev, int | float) or prev <= 0:
            return None
        market_time = meta.get("regularMarketTime")
        return Quote(ts=now, source=self.name, symbol=symbol, price=float(price), prev_close=float(prev), extra={
            "currency": meta.get("currency"), "exchange": meta.get("exchangeName"),
            "market_time": format_ts(from_epoch(market_time)) if isinstance(market_time, int | float) else None,
        })
