"""Trending lists as ``trend`` events: Google Trends, Weibo hot search, Baidu hot list.

One kind, ``trends``, with a ``provider`` field; each provider's source is named after
its list (``google_trends``, ``weibo_hot``, ``baidu_hot``) unless ``name`` says
otherwise, so blind-spot alerts read "no posts from weibo_hot for 45 min".

A trend event is an observation: its ``ts`` is the poll time, its ``rank`` the position
on the list. A word is emitted when it enters the list and again every ``reemit_after``
while it stays there, so the alert engine sees a brand that is still trending without
being flooded every poll. The cursor is the list as last seen (word -> rank and when it
was last emitted), so a restart neither repeats nor forgets; a word that drops off and
comes back counts as entering again. Google's feed is fetched with a conditional GET;
a 304 means the list is unchanged.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from monitor.durations import Duration
from monitor.models import Trend, format_ts
from monitor.sources.base import Batch, register_source
from monitor.sources.http import HttpSource, HttpSourceConfig, Validators
from monitor.sources.text import parse_time
from monitor.sources.trendlists import TrendEntry, baidu_hot, google_trends, weibo_hot

Provider = Literal["google", "weibo", "baidu"]

NAMES: dict[str, str] = {"google": "google_trends", "weibo": "weibo_hot", "baidu": "baidu_hot"}
HOSTS: dict[str, str] = {"google": "https://trends.google.com", "weibo": "https://weibo.com",
                         "baidu": "https://top.baidu.com"}
PATHS: dict[str, str] = {"google": "/trending/rss", "weibo": "/ajax/side/hotSearch", "baidu": "/api/board"}


class TrendsConfig(HttpSourceConfig):
    kind: str = "trends"
    provider: Provider = Field(description="google (Trends daily RSS), weibo (hot search) or baidu (hot list)")
    base_url: str = Field(
        default=HOSTS["google"],
        description="root of the list's host; when not set, the provider's own: https://trends.google.com, "
        "https://weibo.com or https://top.baidu.com (tests point it elsewhere)",
    )
    geo: str = Field(default="US", description="Google Trends region (geo=US, GB, JP, ...); ignored by weibo/baidu")
    top: int = Field(default=50, ge=1, description="only the first N entries of the list count")
    reemit_after: Duration = Field(
        default=timedelta(minutes=30), description="re-emit a word still on the list after this long"
    )
    interval: Duration = Field(default=timedelta(minutes=10), description="how often to poll")
    expected_update_period: Duration | None = Field(
        default=timedelta(minutes=45), description="a list that yields nothing for this long is a blind spot"
    )

    @model_validator(mode="before")
    @classmethod
    def _provider_host(cls, data: Any) -> Any:
        if isinstance(data, dict) and "base_url" not in data and data.get("provider") in HOSTS:
            return {**data, "base_url": HOSTS[data["provider"]]}
        return data

    def display_name(self) -> str:
        return self.name or NAMES[self.provider]


@register_source
class TrendsSource(HttpSource[TrendsConfig]):
    """Trending lists as trend events: Google Trends RSS, Weibo hot search, Baidu hot list."""

    kind: ClassVar[str] = "trends"
    requests_per_minute: ClassVar[float] = 6.0

    def channel_key(self) -> str:
        return f"trends:{self.cfg.provider}"  # separate sites, separate budgets

    def list_url(self) -> str:
        return self.cfg.base_url.rstrip("/") + PATHS[self.cfg.provider]

    async def poll(self, cursor: Any) -> Batch:
        cur = cursor if isinstance(cursor, dict) else {}
        previous = _words_from_cursor(cur.get("words"))
        batch = Batch()
        entries, validators = await self._fetch(cur, batch)
        now = self.ctx.clock.now().replace(microsecond=0)
        current: dict[str, dict[str, Any]] = {}
        if entries is None:  # 304: the list has not changed since last time
            entries = [TrendEntry(w, int(v["rank"])) for w, v in previous.items()]
        for entry in entries[: self.cfg.top]:
            if entry.word in current:
                continue  # a list that names a word twice: the higher place counts
            last = previous.get(entry.word, {}).get("emitted_at")
            due = last is None or now - last >= self.cfg.reemit_after
            if due:
                extra = {**entry.extra, "provider": self.cfg.provider,
                         "new": entry.word not in previous}
                batch.events.append(Trend(ts=now, source=self.name, word=entry.word, rank=entry.rank, extra=extra))
            current[entry.word] = {"rank": entry.rank, "emitted_at": now if due else last}
        out: dict[str, Any] = {
            "words": {w: {"rank": v["rank"], "emitted_at": format_ts(v["emitted_at"])} for w, v in current.items()}
        }
        if validators is not None:
            out["validators"] = validators
        batch.cursor = out
        return batch

    async def _fetch(self, cur: dict[str, Any], batch: Batch) -> tuple[list[TrendEntry] | None, dict[str, str] | None]:
        """The list (None when a conditional GET says unchanged) and the validators to keep."""
        provider = self.cfg.provider
        skipped: Counter[str] = Counter()
        validators = None
        if provider == "google":
            sent = Validators.from_cursor(cur.get("validators"))
            resp = await self.http.get(self.list_url(), params={"geo": self.cfg.geo}, validators=sent)
            validators = resp.validators.to_cursor()
            if resp.not_modified:
                return None, validators
            entries = google_trends(resp.body, self.name, skipped)
        elif provider == "weibo":
            data = await self.http.get_json(self.list_url(), headers={"Referer": "https://weibo.com/"})
            entries = weibo_hot(data, self.name, skipped)
        else:
            data = await self.http.get_json(self.list_url(), params={"platform": "wise", "tab": "realtime"})
            entries = baidu_hot(data, self.name, skipped)
        batch.skipped.update(skipped)
        return entries, validators


def _words_from_cursor(data: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if not isinstance(data, dict):
        return out
    for word, value in data.items():
        if not isinstance(value, dict) or not isinstance(value.get("rank"), int):
            continue
        emitted = parse_time(value.get("emitted_at"))
        out[str(word)] = {"rank": value["rank"], "emitted_at": emitted if isinstance(emitted, datetime) else None}
    return out
