"""Google News search as a feed: a query becomes ``/rss/search?q=...&hl=..&gl=..&ceid=..``.

Why a preset: the three edition parameters must agree (``hl=zh-CN&gl=CN&ceid=CN:zh-Hans``);
a mismatch silently returns another country's news, so they are derived and checked here.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, ClassVar

from pydantic import Field, model_validator

from monitor.durations import Duration
from monitor.models import Post
from monitor.sources.base import register_source
from monitor.sources.rss import FeedConfig, FeedSource
from monitor.sources.text import host_of, html_to_text

# Editions whose ceid language is not simply hl's base language.
_CEID_LANG = {
    "zh-cn": "zh-Hans", "zh-sg": "zh-Hans", "zh-tw": "zh-Hant", "zh-hk": "zh-Hant",
    "pt-br": "pt-419", "pt-pt": "pt-150", "es-419": "es-419",
}
_HL = re.compile(r"^[a-z]{2,3}(-([A-Z]{2}|[0-9]{3}))?$")
_CEID = re.compile(r"^([A-Z]{2}):([A-Za-z]{2,3}(-[A-Za-z0-9]+)?)$")


class GoogleNewsConfig(FeedConfig):
    kind: str = "google_news"
    base_url: str = Field(default="https://news.google.com", description="Google News root (tests point it elsewhere)")
    query: str = Field(
        min_length=1, description='search as typed in Google News, e.g. "Acme" battery OR recall; site: works'
    )
    hl: str = Field(default="en-US", description="edition language: en-US, en-GB, zh-CN, zh-TW, ja, ...")
    gl: str | None = Field(default=None, description="edition country, e.g. US, CN; default: hl's region")
    ceid: str | None = Field(
        default=None, description="edition id COUNTRY:language, e.g. US:en, CN:zh-Hans; default: derived from gl and hl"
    )
    when: str | None = Field(default=None, description="only articles this recent: 1h, 12h, 1d, 7d (adds when:)")
    interval: Duration = Field(default=timedelta(minutes=10), description="how often to poll")
    expected_update_period: Duration | None = Field(
        default=timedelta(hours=24), description="a day without any article about the query is a blind spot"
    )

    @model_validator(mode="after")
    def _edition_agrees(self) -> GoogleNewsConfig:
        if not _HL.match(self.hl):
            raise ValueError(f"hl {self.hl!r} is not a language tag like en-US, zh-CN, ja or es-419")
        lang, _, region = self.hl.partition("-")
        if self.gl is None:
            if not re.fullmatch(r"[A-Z]{2}", region):
                raise ValueError(f"gl is required when hl ({self.hl!r}) has no country, e.g. hl: ja, gl: JP")
            self.gl = region
        if not re.fullmatch(r"[A-Z]{2}", self.gl):
            raise ValueError(f"gl {self.gl!r} must be a two-letter country code in capitals, e.g. US, CN")
        if re.fullmatch(r"[A-Z]{2}", region) and self.gl != region:
            raise ValueError(f"gl {self.gl!r} does not agree with hl {self.hl!r}: write gl: {region} (or change hl)")
        expected = f"{self.gl}:{_CEID_LANG.get(self.hl.lower(), lang)}"
        if self.ceid is None:
            self.ceid = expected
        m = _CEID.match(self.ceid)
        if not m:
            raise ValueError(f"ceid {self.ceid!r} must look like COUNTRY:language, e.g. {expected}")
        if m.group(1) != self.gl:
            raise ValueError(f"ceid {self.ceid!r} does not agree with gl {self.gl!r}: write ceid: {expected}")
        if m.group(2).split("-")[0].lower() != lang:
            raise ValueError(f"ceid {self.ceid!r} does not agree with hl {self.hl!r}: write ceid: {expected}")
        if self.when is not None and not re.fullmatch(r"[1-9][0-9]*[hd]", self.when):
            raise ValueError(f"when {self.when!r} must be hours or days, e.g. 1h, 12h, 1d, 7d")
        return self


@register_source
class GoogleNewsSource(FeedSource[GoogleNewsConfig]):
    """Google News search results as news posts (query -> RSS with agreeing hl/gl/ceid).

    The headline is the text: the feed's description only repeats it with links to
    *other* articles of the cluster, which would make unrelated stories match. The
    outlet is the article's publisher from ``<source url=...>``, and the " - Publisher"
    suffix Google appends to each title is removed.
    """

    kind: ClassVar[str] = "google_news"
    requests_per_minute: ClassVar[float] = 10.0  # Google throttles scripted bursts hard

    def feed_url(self) -> str:
        return f"{self.cfg.base_url.rstrip('/')}/rss/search"

    def feed_params(self) -> dict[str, Any]:
        q = self.cfg.query if not self.cfg.when else f"{self.cfg.query} when:{self.cfg.when}"
        return {"q": q, "hl": self.cfg.hl, "gl": self.cfg.gl, "ceid": self.cfg.ceid}

    def map_entry(self, entry: Any, feed: Any, entry_id: str) -> Post | None:
        post = super().map_entry(entry, feed, entry_id)
        if post is None:
            return None
        publisher = html_to_text((entry.get("source") or {}).get("title"))
        title = post.title or post.text
        if publisher and title.endswith(f" - {publisher}"):
            title = title[: -len(publisher) - 3].rstrip()
        post.title = post.text = title
        if publisher:
            post.extra["publisher"] = publisher
        return post

    def entry_text(self, entry: Any) -> str:
        return ""  # see the class docstring: the title is the text

    def entry_lang(self, entry: Any, feed: Any) -> str | None:
        return self.cfg.hl.split("-")[0]

    def entry_outlet(self, entry: Any, feed: Any) -> str | None:
        return host_of((entry.get("source") or {}).get("href"))  # never news.google.com itself
