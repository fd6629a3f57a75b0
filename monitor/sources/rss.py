"""RSS / Atom feeds through aiohttp + feedparser, with conditional GET.

Why a base class: the ``google_news`` and ``youtube`` presets are feeds too and differ
only in the URL they build and how an entry maps to a post, so :class:`FeedSource`
holds the fetch, 304, bozo and "already emitted" logic once.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal

import feedparser
from pydantic import Field

from monitor.durations import Duration
from monitor.errors import SourceError
from monitor.models import Post
from monitor.redact import redact_url, strip_userinfo
from monitor.sources.base import Batch, register_source
from monitor.sources.http import HttpSource, HttpSourceConfig, Response, Validators
from monitor.sources.text import host_of, html_to_text, parse_time, truncate

log = logging.getLogger(__name__)

PostKind = Literal["social", "news", "forum", "review", "video"]
_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"


def entry_key(entry_id: str) -> str:
    """Short stable digest of an entry id, so the cursor stays small with long URL ids."""
    return hashlib.sha1(entry_id.encode("utf-8")).hexdigest()[:16]


class FeedConfig(HttpSourceConfig):
    """Fields every feed source shares."""

    remember: int = Field(
        default=1000, ge=10, le=20000,
        description="entry ids kept in the cursor so entries still (or again) in the feed are not emitted twice",
    )


class FeedSource(HttpSource):
    """Fetch a feed (conditional GET), parse it, emit entries not emitted before.

    Cursor: ``{"etag", "last_modified", "seen": [digests of entry ids, newest first]}``.
    A ``304`` emits nothing and keeps the cursor. A feed feedparser calls ``bozo``
    (not well-formed) is still used when it yields entries; the problem is counted in
    ``batch.skipped`` and logged. A body that is no feed at all is an error.
    """

    requests_per_minute: ClassVar[float] = 30.0

    def feed_url(self) -> str:
        raise NotImplementedError

    def feed_params(self) -> dict[str, Any] | None:
        return None

    async def poll(self, cursor: Any) -> Batch:
        cfg: FeedConfig = self.config  # type: ignore[assignment]
        cur = cursor if isinstance(cursor, dict) else {}
        sent = Validators.from_cursor(cur)
        seen_list = [s for s in cur.get("seen", []) if isinstance(s, str)] if isinstance(cur.get("seen"), list) else []
        resp = await self.http.get(self.feed_url(), params=self.feed_params(), validators=sent,
                                   headers={"Accept": _ACCEPT})
        if resp.not_modified:
            return Batch(cursor={**resp.validators.to_cursor(), "seen": seen_list})
        batch = Batch()
        parsed = self._parse(resp, batch)
        seen = set(seen_list)
        current: list[str] = []
        for index, entry in enumerate(parsed.entries):
            entry_id = entry.get("id") or entry.get("link")
            if not isinstance(entry_id, str) or not entry_id.strip():
                batch.skip("entry has neither id nor link")
                continue
            key = entry_key(entry_id)
            if key in current:
                continue
            current.append(key)
            if key in seen:
                continue
            try:
                post = self.map_entry(entry, parsed.feed, entry_id)
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                batch.skip(f"entry {index + 1}: {exc}")
                continue
            if post is None:
                batch.skip("entry has no title or text")
                continue
            batch.events.append(post)
        fresh = set(current)
        kept = current + [k for k in seen_list if k not in fresh]
        batch.cursor = {**resp.validators.to_cursor(), "seen": kept[: cfg.remember]}
        return batch

    def _parse(self, resp: Response, batch: Batch) -> Any:
        # the base for relative links: never the feed URL's password (it would end up in stored post links)
        headers = {"content-type": resp.headers.get("Content-Type", ""), "content-location": strip_userinfo(resp.url)}
        parsed = feedparser.parse(resp.body, response_headers=headers)
        exc = parsed.get("bozo_exception")
        if not parsed.entries and not parsed.get("version"):
            raise SourceError(
                f"{self.name}: {redact_url(resp.url)} is not an RSS or Atom feed "
                f"({resp.content_type or 'no content type'}):"
                f" {resp.snippet(120)}; check the feed URL",
                retryable=False,
            )
        if parsed.get("bozo"):
            reason = f"feed not well-formed, parsed anyway: {truncate(str(exc), 120)}"
            batch.skip(reason)
            log.warning("%s: %s", self.name, reason, extra={"source": self.name})
        return parsed

    # -- mapping

    def map_entry(self, entry: Any, feed: Any, entry_id: str) -> Post | None:
        """One feedparser entry -> Post (``None`` when it has nothing to read)."""
        title = html_to_text(entry.get("title")) or None
        text = self.entry_text(entry) or title
        if not text:
            return None
        return Post(
            ts=self.entry_time(entry), source=self.name, id=entry_id, text=text, title=title,
            author=_author(entry), url=entry.get("link") or None, lang=self.entry_lang(entry, feed),
            kind=self.post_kind(), outlet=self.entry_outlet(entry, feed) if self.post_kind() == "news" else None,
        )

    def post_kind(self) -> str:
        return "news"

    def entry_text(self, entry: Any) -> str:
        contents = entry.get("content") or []
        for content in contents:
            value = content.get("value") if isinstance(content, dict) else None
            if value:
                return html_to_text(value)
        return html_to_text(entry.get("summary"))

    def entry_time(self, entry: Any) -> datetime:
        for name in ("published_parsed", "updated_parsed", "created_parsed"):
            ts = parse_time(entry.get(name))
            if ts is not None:
                return ts
        for name in ("published", "updated"):
            ts = parse_time(entry.get(name))
            if ts is not None:
                return ts
        return self.ctx.clock.now()  # undated entry: first seen now

    def entry_lang(self, entry: Any, feed: Any) -> str | None:
        detail = entry.get("title_detail") or {}
        lang = detail.get("language") or feed.get("language")
        return _short_lang(lang)

    def entry_outlet(self, entry: Any, feed: Any) -> str | None:
        source = entry.get("source") or {}
        return host_of(source.get("href")) or host_of(feed.get("link")) or host_of(self.feed_url())


def _author(entry: Any) -> str | None:
    author = entry.get("author")
    if author:
        return html_to_text(author) or None
    detail = entry.get("author_detail") or {}
    return detail.get("name") or None


def _short_lang(lang: Any) -> str | None:
    """``en-US`` -> ``en``, ``zh-CN`` -> ``zh``: rules and models work on the base language."""
    if not isinstance(lang, str) or not lang.strip():
        return None
    return lang.strip().replace("_", "-").split("-")[0].lower() or None


class RssConfig(FeedConfig):
    kind: str = "rss"
    url: str = Field(description="the feed URL (RSS 0.9x/1.0/2.0 or Atom)")
    post_kind: PostKind = Field(default="news", description="kind of every entry's post: news, forum, social, ...")
    outlet: str | None = Field(
        default=None, description="outlet for news posts; default: the entry's <source>, else the feed's site host"
    )
    lang: str | None = Field(default=None, description="language of the entries when the feed does not state one")
    interval: Duration = Field(default=timedelta(minutes=10), description="how often to poll")
    expected_update_period: Duration | None = Field(
        default=timedelta(hours=24), description="a feed silent this long is a blind spot (news feeds post daily)"
    )


@register_source
class RssSource(FeedSource):
    """Any RSS/Atom feed: conditional GET, dedup on entry id or link, bozo feeds counted, not fatal."""

    kind: ClassVar[str] = "rss"
    Config = RssConfig

    @property
    def cfg(self) -> RssConfig:
        return self.config  # type: ignore[return-value]

    def channel_key(self) -> str:
        return f"rss:{host_of(self.cfg.url) or self.cfg.url}"  # politeness is per host

    def feed_url(self) -> str:
        return self.cfg.url

    def post_kind(self) -> str:
        return self.cfg.post_kind

    def entry_lang(self, entry: Any, feed: Any) -> str | None:
        return super().entry_lang(entry, feed) or _short_lang(self.cfg.lang)

    def entry_outlet(self, entry: Any, feed: Any) -> str | None:
        return self.cfg.outlet or super().entry_outlet(entry, feed)
