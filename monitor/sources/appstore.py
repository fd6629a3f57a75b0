"""App Store customer reviews per app and storefront (``us``, ``cn``, ``jp``, ...).

Reads Apple's customer-review RSS in JSON form,
``/{country}/rss/customerreviews/page={n}/id={app}/sortby=mostrecent/json``, newest
first, walking pages until one reaches reviews older than the newest it has taken (older
than ``lookback`` on a first run); Apple serves at most 10 pages of 50. Each review keeps its
star rating as the post's ``rating`` field (1-5), which the team uses to spot a flood of
one-star reviews. The feed gives one entry as an object instead of a list, and some
storefronts still open page 1 with an app-metadata entry; both are handled.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, ClassVar

from pydantic import Field, field_validator

from monitor.durations import Duration
from monitor.models import Post
from monitor.sources.base import Batch, register_source
from monitor.sources.http import HttpSource, HttpSourceConfig, require, shape_error
from monitor.sources.text import html_to_text, parse_time
from monitor.sources.watermark import Watermark

# The storefront's language where one dominates; multilingual storefronts (ca, ch, be, ...) stay unknown.
STOREFRONT_LANG = {
    "us": "en", "gb": "en", "au": "en", "nz": "en", "ie": "en", "sg": "en", "in": "en",
    "cn": "zh", "tw": "zh", "hk": "zh", "mo": "zh", "jp": "ja", "kr": "ko",
    "de": "de", "at": "de", "fr": "fr", "es": "es", "mx": "es", "ar": "es", "it": "it",
    "br": "pt", "pt": "pt", "ru": "ru", "nl": "nl", "se": "sv", "dk": "da", "fi": "fi",
    "pl": "pl", "tr": "tr", "th": "th", "vn": "vi", "id": "id",
}
_COUNTRY = re.compile(r"^[a-z]{2}$")
_APP = re.compile(r"^(?:id)?(\d+)$")


class AppStoreConfig(HttpSourceConfig):
    kind: str = "appstore"
    base_url: str = Field(default="https://itunes.apple.com", description="feed root (tests point it elsewhere)")
    apps: list[str] = Field(min_length=1, description="App Store app ids (the digits in .../id1234567890)")
    countries: list[str] = Field(default_factory=lambda: ["us"], min_length=1,
                                 description="storefront codes, e.g. us, gb, cn, jp")
    max_pages: int = Field(default=10, ge=1, le=10, description="pages of 50 reviews per feed (Apple serves 10)")
    lookback: Duration = Field(default=timedelta(days=7), description="how far back the first poll reaches")
    interval: Duration = Field(default=timedelta(minutes=30), description="how often to poll")
    expected_update_period: Duration | None = Field(
        default=timedelta(days=2), description="no new review in any storefront for this long is a blind spot"
    )

    @field_validator("apps")
    @classmethod
    def _apps(cls, v: list[str]) -> list[str]:
        out = []
        for app in v:
            m = _APP.match(str(app).strip())
            if not m:
                raise ValueError(f"app id {app!r} is not a number (take it from the App Store URL: .../id1234567890)")
            out.append(m.group(1))
        return out

    @field_validator("countries")
    @classmethod
    def _countries(cls, v: list[str]) -> list[str]:
        out = []
        for country in v:
            code = country.strip().lower()
            if not _COUNTRY.match(code):
                raise ValueError(f"storefront {country!r} is not a two-letter country code such as us, cn or jp")
            out.append(code)
        return out


@register_source
class AppStoreSource(HttpSource[AppStoreConfig]):
    """App Store customer reviews per app and storefront (incl. cn), star rating kept on each post."""

    kind: ClassVar[str] = "appstore"
    requests_per_minute: ClassVar[float] = 20.0

    def feed_url(self, country: str, app: str, page: int) -> str:
        root = self.cfg.base_url.rstrip("/")
        return f"{root}/{country}/rss/customerreviews/page={page}/id={app}/sortby=mostrecent/json"

    async def poll(self, cursor: Any) -> Batch:
        stored = cursor if isinstance(cursor, dict) else {}
        batch = Batch()
        out: dict[str, Any] = {}
        floor = self.ctx.clock.now() - self.cfg.lookback
        for app in self.cfg.apps:
            for country in self.cfg.countries:
                key = f"{country}/{app}"
                mark = Watermark.from_cursor(stored.get(key), first_run=floor)  # first run: back to the lookback
                await self._walk(country, app, mark, batch)
                out[key] = mark.to_cursor()
        batch.cursor = out
        return batch

    async def _walk(self, country: str, app: str, mark: Watermark, batch: Batch) -> None:
        """Newest first: emit new reviews until a page reaches the cursor's time, then stop."""
        start = mark.start(self.ctx.clock.now() - self.cfg.lookback)
        for page in range(1, self.cfg.max_pages + 1):
            data = await self.http.get_json(self.feed_url(country, app, page))
            feed = require(data, "feed", dict, source=self.name)
            entries = feed.get("entry", [])
            if isinstance(entries, dict):
                entries = [entries]
            if not isinstance(entries, list):
                raise shape_error(self.name, "feed.entry", "a list", entries)
            # skip the app's own metadata entry: it is not a review
            reviews = [e for e in entries if not (isinstance(e, dict) and "im:name" in e and "im:rating" not in e)]
            reached_old = mark.take_page(reviews, lambda e: self.map_entry(e, country, app, batch), batch, start)
            if reached_old or not reviews:
                return

    def map_entry(self, entry: Any, country: str, app: str, batch: Batch) -> Post | None:
        """One feed entry -> a review post; malformed entries are counted in ``batch`` and skipped."""
        if not isinstance(entry, dict):
            batch.skip("review entry is not an object")
            return None
        rid = _label(entry.get("id"))
        if not rid:
            batch.skip("review without id")
            return None
        ts = parse_time(_label(entry.get("updated")))
        if ts is None:
            batch.skip("review without a readable updated time")
            return None
        rating_text = _label(entry.get("im:rating"))
        if rating_text not in ("1", "2", "3", "4", "5"):
            batch.skip("review without a 1-5 star rating")
            return None
        title = html_to_text(_label(entry.get("title")))
        text = html_to_text(_label(entry.get("content")))
        if not (text or title):
            batch.skip("review without title or text")
            return None
        author = entry.get("author") if isinstance(entry.get("author"), dict) else {}
        link = entry.get("link")
        attrs = link.get("attributes") if isinstance(link, dict) else None
        url = attrs.get("href") if isinstance(attrs, dict) and isinstance(attrs.get("href"), str) else None
        votes = _label(entry.get("im:voteSum"))
        return Post(
            ts=ts, source=self.name, id=rid, text=text or title, title=title or None,
            author=html_to_text(_label(author.get("name"))) or None, url=url,
            lang=STOREFRONT_LANG.get(country), kind="review",
            likes=int(votes) if votes.isdigit() else 0,
            extra={"rating": int(rating_text), "app_id": app, "country": country,
                   "version": _label(entry.get("im:version")) or None},
        )


def _label(node: Any) -> str:
    """Apple wraps every value as ``{"label": "..."}``."""
    if isinstance(node, dict) and isinstance(node.get("label"), str):
        return node["label"].strip()
    return ""
