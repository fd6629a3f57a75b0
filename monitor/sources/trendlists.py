"""Parsers for the trending lists the ``trends`` source reads: pure functions, no I/O.

Each turns one response into ranked :class:`TrendEntry` items, counts malformed items in
``skipped`` and raises a "shape changed" :class:`SourceError` naming the field when the
list itself is gone.

- Google Trends daily RSS: parsed with ElementTree because the ``ht:`` namespace holds
  several ``ht:news_item`` per item and feedparser keeps only the last one; the
  namespace URI has changed over the years, so elements are matched by local name.
- Weibo hot search (``/ajax/side/hotSearch``): ``data.realtime``; ads are left out.
- Baidu hot list (``/api/board?tab=realtime``): ``data.cards[0].content`` is the list in
  the old, flat shape and a list of groups each holding ``content`` in the newer one;
  pinned (``isTop``) items are promotions, not ranks, and are left out.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from monitor.errors import SourceError
from monitor.models import format_ts
from monitor.sources.http import require, shape_error
from monitor.sources.text import html_to_text, parse_time


@dataclass(slots=True)
class TrendEntry:
    word: str
    rank: int
    extra: dict[str, Any] = field(default_factory=dict)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child_text(elem: ET.Element, name: str) -> str:
    for child in elem:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return ""


def google_trends(body: bytes, source: str, skipped: Counter[str]) -> list[TrendEntry]:
    """Google Trends daily-search RSS -> entries ranked by their order in the feed."""
    head = body.lstrip()[:200].lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise SourceError(f"{source}: Google Trends returned an HTML page instead of the RSS feed "
                          f"(a consent or error page); will retry", retryable=True)
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        line, col = exc.position
        raise SourceError(f"{source}: Google Trends feed is not well-formed XML (line {line}, column {col + 1})",
                          retryable=True) from None
    channel = next((c for c in root if _local(c.tag) == "channel"), None)
    if _local(root.tag) != "rss" or channel is None:
        raise shape_error(source, "rss.channel", "an element", None)
    out: list[TrendEntry] = []
    for item in (c for c in channel if _local(c.tag) == "item"):
        word = html_to_text(_child_text(item, "title"))
        if not word:
            skipped["trend item without title"] += 1
            continue
        news = []
        for node in (c for c in item if _local(c.tag) == "news_item"):
            news.append({"title": html_to_text(_child_text(node, "news_item_title")),
                         "url": _child_text(node, "news_item_url") or None,
                         "source": _child_text(node, "news_item_source") or None})
        started = parse_time(_child_text(item, "pubDate"))
        out.append(TrendEntry(word, len(out) + 1, {
            "traffic": _child_text(item, "approx_traffic") or None,
            "started": format_ts(started) if started else None,
            "news": news,
        }))
    return out


def weibo_hot(data: Any, source: str, skipped: Counter[str]) -> list[TrendEntry]:
    """Weibo hot search JSON -> entries ranked by Weibo's own position, ads left out."""
    ok = require(data, "", dict, source=source).get("ok")
    if ok != 1:
        msg = data.get("msg") or data.get("message") or f"ok={ok!r}"
        raise SourceError(f"{source}: Weibo refused the hot-search request: {msg}", retryable=True)
    items = require(data, "data.realtime", list, source=source)
    out: list[TrendEntry] = []
    for item in items:
        if not isinstance(item, dict):
            skipped["hot-search item is not an object"] += 1
            continue
        if item.get("is_ad") or item.get("icon_desc") == "荐":
            continue  # promoted, not trending
        word = item.get("word")
        if not isinstance(word, str) or not word.strip():
            skipped["hot-search item without word"] += 1
            continue
        word = word.strip().strip("#")
        rank = item.get("realpos")
        if not isinstance(rank, int) or isinstance(rank, bool) or rank < 1:
            rank = item["rank"] + 1 if isinstance(item.get("rank"), int) else len(out) + 1
        heat = item.get("num")
        out.append(TrendEntry(word, rank, {
            "heat": heat if isinstance(heat, int) else None,
            "label": item.get("label_name") or None,
            "category": item.get("category") or None,
            "url": f"https://s.weibo.com/weibo?q={quote('#' + word + '#')}",
        }))
    return out


def baidu_hot(data: Any, source: str, skipped: Counter[str]) -> list[TrendEntry]:
    """Baidu hot list JSON (old flat or newer nested ``cards[0].content``) -> ranked entries."""
    body = require(data, "", dict, source=source)
    if body.get("success") is False:
        raise SourceError(f"{source}: Baidu refused the hot-list request: {body.get('error') or body}",
                          retryable=True)
    cards = require(data, "data.cards", list, source=source)
    if not cards or not isinstance(cards[0], dict):
        raise shape_error(source, "data.cards[0]", "an object (dict)", cards[0] if cards else None)
    content = cards[0].get("content")
    if not isinstance(content, list):
        raise shape_error(source, "data.cards[0].content", "a list", content)
    if content and all(isinstance(g, dict) and isinstance(g.get("content"), list) and "word" not in g
                       and "query" not in g for g in content):
        content = [item for group in content for item in group["content"]]  # the newer, nested shape
    out: list[TrendEntry] = []
    for item in content:
        if not isinstance(item, dict):
            skipped["hot-list item is not an object"] += 1
            continue
        if item.get("isTop"):
            continue  # pinned promotion, not a rank
        word = item.get("word") or item.get("query")
        if not isinstance(word, str) or not word.strip():
            skipped["hot-list item without word"] += 1
            continue
        score = item.get("hotScore")
        out.append(TrendEntry(word.strip(), len(out) + 1, {
            "heat": int(score) if isinstance(score, str | int) and str(score).isdigit() else None,
            "description": html_to_text(desc) or None if isinstance(desc := item.get("desc"), str) else None,
            "url": item.get("url") or item.get("rawUrl") or None,
            "label": item.get("hotTag") or item.get("newHotName") or None,
        }))
    return out
