"""JSON Feed 1.0 / 1.1 (https://jsonfeed.org) read into the shape feedparser gives RSS and Atom.

Why a reader and not a source kind: blogs and newsrooms publish the same stories as RSS,
Atom or JSON Feed, often at one URL with content negotiation, and a user pastes a URL
without knowing which it serves. So the ``rss`` collector reads all three, and one
cursor, dedup, id and health path serves them; this module only turns a JSON Feed
document into ``(feed, entries)`` dicts with feedparser's keys (``id``, ``link``,
``title_detail``, ``content``, ``summary_detail``, ``published``, ``author``...).

An item that breaks the spec's types (an item that is not an object, a title that is a
number, an id that is a list) is skipped and counted; it never fails the poll. A missing
``id`` is treated as RSS treats a missing guid (the item's URL, else its content).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

from monitor.errors import SourceError
from monitor.sources.text import truncate

__all__ = ["JSON_FEED_TYPES", "looks_like_json", "parse_json_feed"]

JSON_FEED_TYPES = ("application/feed+json", "application/json")
_TEXT_FIELDS = ("url", "external_url", "title", "content_html", "content_text", "summary", "date_published",
                "date_modified", "language")


def looks_like_json(text: str, content_type: str) -> bool:
    """A JSON body: it starts with ``{`` (servers often label feeds wrongly), or says so and is not markup."""
    head = text.lstrip("\ufeff \t\r\n")[:1]
    return head == "{" or (head != "<" and "json" in content_type)


def parse_json_feed(text: str, where: str, skip: Callable[[str], None],
                    base: str = "") -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``(feed, entries)``; raises :class:`SourceError` when the document is no JSON Feed at all.

    ``base`` is the URL the feed was fetched from: relative item URLs are resolved against it.
    """
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise SourceError(f"{where} is not valid JSON: {exc}; check the feed URL", retryable=False) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        got = "an object without an items list" if isinstance(doc, dict) else _kind(doc)
        raise SourceError(f"{where} is JSON but not a JSON Feed (expected an object with an items list, got {got}):"
                          f" {truncate(text, 120)}; check the feed URL", retryable=False)
    lang = _str(doc.get("language"))
    feed = {"title": _str(doc.get("title")), "link": _str(doc.get("home_page_url")), "language": lang,
            "version": _str(doc.get("version")) or "json"}
    entries: list[dict[str, Any]] = []
    for index, item in enumerate(doc["items"], start=1):
        problem = _problem(item)
        if problem:
            skip(f"malformed JSON Feed item: item {index}: {problem}")
            continue
        entry = _entry(item, lang)
        if entry["link"] and base:
            entry["link"] = urljoin(base, entry["link"])
        entry["author"] = entry["author"] or _author(doc)  # the spec: an item's author defaults to the feed's
        entries.append(entry)
    return feed, entries


def _problem(item: Any) -> str | None:
    if not isinstance(item, dict):
        return f"expected an object, got {_kind(item)}"
    item_id = item.get("id")
    if item_id is not None and (isinstance(item_id, bool) or not isinstance(item_id, str | int | float)):
        return f"id is {_kind(item_id)}, expected a string"
    for name in _TEXT_FIELDS:
        value = item.get(name)
        if value is not None and not isinstance(value, str):
            return f"{name} is {_kind(value)}, expected a string"
    return None


def _entry(item: dict[str, Any], feed_lang: str | None) -> dict[str, Any]:
    lang = _str(item.get("language")) or feed_lang
    item_id = item.get("id")
    entry: dict[str, Any] = {
        "id": str(item_id).strip() if isinstance(item_id, str | int | float) and str(item_id).strip() else None,
        "link": _str(item.get("url")) or _str(item.get("external_url")),
        "published": _str(item.get("date_published")),
        "updated": _str(item.get("date_modified")),
        "author": _author(item),
    }
    title = _str(item.get("title"))
    if title:
        entry["title"] = title
        entry["title_detail"] = {"type": "text/plain", "value": title, "language": lang}
    contents = []
    if _str(item.get("content_text")):
        contents.append({"type": "text/plain", "value": item["content_text"], "language": lang})
    if _str(item.get("content_html")):
        contents.append({"type": "text/html", "value": item["content_html"], "language": lang})
    entry["content"] = contents
    summary = _str(item.get("summary"))
    if summary:
        entry["summary"] = summary
        entry["summary_detail"] = {"type": "text/plain", "value": summary, "language": lang}
    return entry


def _author(item: dict[str, Any]) -> str | None:
    """``authors[0].name`` (1.1), else ``author.name`` (1.0)."""
    authors = item.get("authors")
    candidates = authors if isinstance(authors, list) else []
    candidates = [*candidates, item.get("author")]
    for author in candidates:
        if isinstance(author, dict) and _str(author.get("name")):
            return str(author["name"]).strip()
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number")
