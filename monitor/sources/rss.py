"""RSS / Atom / JSON Feed through aiohttp + feedparser, with conditional GET.

Why a base class: the ``google_news`` and ``youtube`` presets are feeds too and differ
only in the URL they build and how an entry maps to a post, so :class:`FeedSource`
holds the fetch, 304, decoding, bozo and "already emitted" logic once.

Feeds as they are in the wild: bytes are decoded before feedparser sees them
(:mod:`monitor.sources.encoding`: declared charset when it reads cleanly, else detected),
items with neither guid nor link get an id derived from their content, markup is only
stripped from content that is HTML, and JSON Feed (:mod:`monitor.sources.jsonfeed`) is
read by the same code.
"""

from __future__ import annotations

import hashlib
import html
import io
import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal, TypeVar

import feedparser
from pydantic import Field

from monitor.durations import Duration
from monitor.errors import SourceError
from monitor.models import Post
from monitor.redact import redact_url, strip_userinfo
from monitor.sources.base import Batch, register_source
from monitor.sources.encoding import Decoded, decode_document
from monitor.sources.http import HttpSource, HttpSourceConfig, Response, Validators
from monitor.sources.jsonfeed import looks_like_json, parse_json_feed
from monitor.sources.text import host_of, html_to_text, normalize_space, parse_time, truncate

log = logging.getLogger(__name__)

PostKind = Literal["social", "news", "forum", "review", "video"]
_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9,"
           " text/xml;q=0.9, application/json;q=0.8, */*;q=0.5")
_XML_DECL = re.compile(r"^<\?xml[^>]*\?>")
_UNDECODABLE_SHARE = 0.3  # an entry more than this share U+FFFD is unreadable: skipped, not emitted


def entry_key(entry_id: str) -> str:
    """Short stable digest of an entry id, so the cursor stays small with long URL ids."""
    return hashlib.sha1(entry_id.encode("utf-8")).hexdigest()[:16]


def content_id(feed_url: str, entry: Any) -> str:
    """A stable id for an entry with neither id nor link: feed URL + title + date + text.

    RSS 2.0 allows such items. The parts are taken as published (the date string, not a
    parse of it; never the time we first saw it), so every re-poll derives the same id.
    """
    date = next((entry.get(k) for k in ("published", "updated", "created") if isinstance(entry.get(k), str)), "")
    parts = [feed_url, entry.get("title") or "", date, _raw_text(entry)]
    digest = hashlib.sha1("\x1f".join(normalize_space(str(p)) for p in parts).encode("utf-8")).hexdigest()
    return f"content-sha1:{digest[:20]}"


def _raw_text(entry: Any) -> str:
    for content in entry.get("content") or []:
        if isinstance(content, dict) and content.get("value"):
            return str(content["value"])
    return str(entry.get("summary") or "")


def as_text(value: Any, content_type: Any) -> str:
    """A feed field as plain text: markup stripped only when the field is HTML (or of unknown type).

    Atom ``type="text"`` (feedparser: ``text/plain``) keeps ``<K2>``; entities are still
    decoded, because RSS and JSON feeds often escape plain text twice (``AT&amp;amp;T``).
    """
    if not isinstance(value, str) or not value:
        return ""
    if isinstance(content_type, str) and content_type and "html" not in content_type:
        return normalize_space(html.unescape(value))
    return html_to_text(value)


def web_url(value: Any) -> str | None:
    """An http(s) link, or None: an Atom id such as ``urn:uuid:...`` or ``tag:...`` is not a URL."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text if text.lower().startswith(("http://", "https://")) else None


@dataclass
class ParsedFeed:
    """A fetched feed, whatever its format: feed-level fields, entries, how the bytes were read."""

    feed: Any
    entries: list[Any]
    decoded: Decoded
    language: str | None = None  # the response's Content-Language


class FeedConfig(HttpSourceConfig):
    """Fields every feed source shares."""

    remember: int = Field(
        default=1000, ge=10, le=20000,
        description="entry ids kept in the cursor so entries still (or again) in the feed are not emitted twice",
    )


FC = TypeVar("FC", bound=FeedConfig)


class FeedSource(HttpSource[FC]):
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
        cfg = self.cfg
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
        for index, (entry, entry_id) in enumerate(zip(parsed.entries, self.entry_ids(parsed.entries), strict=True)):
            key = entry_key(entry_id)
            if key in current:
                batch.skip("duplicate entry id in the feed (the first one kept)")
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
            if parsed.decoded.replaced and not self._readable(post, batch):
                continue
            post.lang = post.lang or _short_lang(parsed.language) or _short_lang(self.default_lang())
            batch.events.append(post)
        fresh = set(current)
        kept = current + [k for k in seen_list if k not in fresh]
        batch.cursor = {**resp.validators.to_cursor(), "seen": kept[: cfg.remember]}
        return batch

    def entry_ids(self, entries: list[Any]) -> list[str]:
        """Each entry's id: its own id, else its link, else one derived from its content.

        A link is no id when several different entries share it (feeds that link every item
        to the same listing page): those get content ids, so none is lost. A repeated *id*
        is the publisher's statement that it is one item, counted as a duplicate.
        """
        ids: list[tuple[str | None, str | None]] = []
        for entry in entries:
            own, link = entry.get("id"), entry.get("link")
            own = own.strip() if isinstance(own, str) and own.strip() else None
            ids.append((own, link.strip() if isinstance(link, str) and link.strip() else None))
        links = Counter(link for own, link in ids if own is None and link)
        return [own or (link if link and links[link] == 1 else content_id(self.feed_url(), entry))
                for (own, link), entry in zip(ids, entries, strict=True)]

    @staticmethod
    def _readable(post: Post, batch: Batch) -> bool:
        """Text with undecodable bytes is marked on the post, and skipped when mostly unreadable."""
        text = f"{post.title or ''}{post.text}"
        bad = text.count("\ufffd")
        if not bad:
            return True
        if bad > _UNDECODABLE_SHARE * len(text):
            batch.skip("entry text undecodable (mostly U+FFFD)")
            return False
        post.extra["undecodable_text"] = True
        return True

    def _parse(self, resp: Response, batch: Batch) -> ParsedFeed:
        decoded = decode_document(resp.body, resp.charset, lang=resp.language or self.default_lang())
        for problem in decoded.problems:
            batch.skip(problem)
            log.warning("%s: %s", self.name, problem, extra={"source": self.name})
        if looks_like_json(decoded.text, resp.content_type):
            feed, entries = parse_json_feed(decoded.text, f"{self.name}: {redact_url(resp.url)}", batch.skip,
                                            base=strip_userinfo(resp.url))
            return ParsedFeed(feed, entries, decoded, resp.language)
        headers = {"content-type": "application/xml; charset=utf-8", "content-location": strip_userinfo(resp.url)}
        parsed = feedparser.parse(io.BytesIO(_utf8_xml(decoded.text)), response_headers=headers)
        exc = parsed.get("bozo_exception")
        if not parsed.entries and not parsed.get("version"):
            raise SourceError(
                f"{self.name}: {redact_url(resp.url)} is not an RSS, Atom or JSON feed"
                f" ({resp.content_type or 'no content type'}):"
                f" {_snippet(decoded.text)}; check the feed URL",
                retryable=False,
            )
        if parsed.get("bozo"):
            reason = f"feed not well-formed, parsed anyway: {truncate(str(exc), 120)}"
            batch.skip(reason)
            log.warning("%s: %s", self.name, reason, extra={"source": self.name})
        return ParsedFeed(parsed.feed, parsed.entries, decoded, resp.language)

    def default_lang(self) -> str | None:
        """A language the configuration states, a hint for telling CJK encodings apart."""
        return None

    # -- mapping

    def map_entry(self, entry: Any, feed: Any, entry_id: str) -> Post | None:
        """One feedparser entry -> Post (``None`` when it has nothing to read)."""
        detail = entry.get("title_detail") or {}
        title = as_text(entry.get("title"), detail.get("type")) or None
        text = self.entry_text(entry) or title
        if not text:
            return None
        return Post(
            ts=self.entry_time(entry), source=self.name, id=entry_id, text=text, title=title,
            author=_author(entry), url=web_url(entry.get("link")), lang=self.entry_lang(entry, feed),
            kind=self.post_kind(), outlet=self.entry_outlet(entry, feed) if self.post_kind() == "news" else None,
        )

    def post_kind(self) -> str:
        return "news"

    def entry_text(self, entry: Any) -> str:
        contents = entry.get("content") or []
        for content in contents:
            value = content.get("value") if isinstance(content, dict) else None
            if value:
                return as_text(value, content.get("type"))
        return as_text(entry.get("summary"), (entry.get("summary_detail") or {}).get("type"))

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
        details = [entry.get("title_detail"), *(entry.get("content") or []), entry.get("summary_detail")]
        stated = [d.get("language") for d in details if isinstance(d, dict) and d.get("language")]
        return _short_lang(stated[0] if stated else feed.get("language"))

    def entry_outlet(self, entry: Any, feed: Any) -> str | None:
        source = entry.get("source") or {}
        return host_of(source.get("href")) or host_of(feed.get("link")) or host_of(self.feed_url())


def _snippet(text: str, limit: int = 120) -> str:
    """The start of a body that is no feed, for the error (decoded: a GBK error page reads as Chinese)."""
    if text.lstrip().startswith("<"):
        text = html_to_text(text)
    return truncate(" ".join(text.split()), limit) or "(empty body)"


def _utf8_xml(text: str) -> bytes:
    """The decoded feed as UTF-8 bytes that say so (the old declaration would mislead the XML parser)."""
    text = text.lstrip("\ufeff \t\r\n")
    return _XML_DECL.sub('<?xml version="1.0" encoding="utf-8"?>', text, count=1).encode("utf-8")


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
    url: str = Field(description="the feed URL (RSS 0.9x/1.0/2.0, Atom, or JSON Feed 1.0/1.1)")
    post_kind: PostKind = Field(default="news", description="kind of every entry's post: news, forum, social, ...")
    outlet: str | None = Field(
        default=None, description="outlet for news posts; default: the entry's <source>, else the feed's site host"
    )
    lang: str | None = Field(
        default=None,
        description="language of the entries when neither the feed nor the response's Content-Language states one",
    )
    interval: Duration = Field(default=timedelta(minutes=10), description="how often to poll")
    expected_update_period: Duration | None = Field(
        default=timedelta(hours=24), description="a feed silent this long is a blind spot (news feeds post daily)"
    )


@register_source
class RssSource(FeedSource[RssConfig]):
    """Any RSS, Atom or JSON Feed: conditional GET, encoding detection, dedup on id, link or content."""

    kind: ClassVar[str] = "rss"

    def channel_key(self) -> str:
        return f"rss:{host_of(self.cfg.url) or self.cfg.url}"  # politeness is per host

    def feed_url(self) -> str:
        return self.cfg.url

    def post_kind(self) -> str:
        return self.cfg.post_kind

    def default_lang(self) -> str | None:
        return self.cfg.lang

    def entry_outlet(self, entry: Any, feed: Any) -> str | None:
        return self.cfg.outlet or super().entry_outlet(entry, feed)
