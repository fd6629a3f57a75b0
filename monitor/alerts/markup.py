"""Making text safe for each markup a notifier speaks, and fitting it into size limits.

User-controlled text (post text, author, url, titles, trend words) goes through one of
these before it reaches a channel: Slack mrkdwn gets ``& < >`` as entities, chat Markdown
gets a zero-width space that breaks mention and link syntax while reading the same, HTML
gets everything escaped, and URLs are kept only when they are plain http(s).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote, urlsplit

ZWSP = "\u200b"


def escape_slack(text: str) -> str:
    """Slack mrkdwn: ``& < >`` as entities (no ``<!channel>``, ``<@U1>``, ``<url|fake>``) and
    ``@channel``-style words broken, since Slack may parse them on its own."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"@(?=(?:channel|here|everyone)\b)", "@" + ZWSP, text, flags=re.IGNORECASE)


def escape_html(text: str) -> str:
    return html.escape(text, quote=True)


_MD_MENTION = re.compile(r"([<@＠])(?=\S)")
_MD_LINK = re.compile(r"\](?=\()|!(?=\[)")


def escape_markdown(text: str) -> str:
    """Chat Markdown (Teams, Feishu, DingTalk, WeCom): a zero-width space after ``<`` and ``@``
    and inside ``](`` kills ``<at id=all>``, ``<@user>``, ``@all``, ``@所有人`` and ``[x](url)``
    while the text still reads the same."""
    return _MD_LINK.sub(lambda m: m.group(0) + ZWSP, _MD_MENTION.sub(lambda m: m.group(1) + ZWSP, text))


def safe_url(url: str | None) -> str | None:
    """An http(s) URL safe to embed in any markup (quotes, brackets, spaces, pipes encoded), or None."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(url, safe="/:?#[]@!$&'*+,;=%-._~").replace("'", "%27").replace("[", "%5B").replace("]", "%5D")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# invisible characters that hide or reorder what a reader sees: zero-width space/joiners, LRM/RLM,
# bidi embeddings and isolates, word joiner and invisible operators, BOM, Arabic letter mark
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u061c]")


def clean(text: str) -> str:
    """NFKC-normalise, drop control characters (terminal escapes), bidi controls (spoofed text
    direction) and zero-width characters (hidden text): what a reader sees is what is there."""
    if text.isascii():
        return _CONTROL.sub("", text)
    return INVISIBLE.sub("", _CONTROL.sub("", unicodedata.normalize("NFKC", text)))


def one_line(text: str) -> str:
    return " ".join(clean(text).split())


def truncate(text: str, limit: int) -> str:
    """Cut to ``limit`` characters with an ellipsis, at a word boundary when one is close."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    space = cut.rfind(" ")
    if space >= limit * 0.8:
        cut = cut[:space]
    return cut.rstrip() + "…"


def fmt_time(ts: datetime, brand: str | None = None) -> str:
    """For people: the configured display zone (global or the brand's) beside UTC."""
    from monitor.timezones import fmt_local

    return fmt_local(ts, brand)


def fmt_num(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def fit_parts(parts: list[str], limit: int, *, tail: str = "", sep: str = "\n\n",
              measure: Callable[[str], int] = len, marker: str = "… (truncated)") -> str:
    """Join ``parts`` (+ ``tail``, always kept) within ``limit`` as measured by ``measure``
    (characters, or UTF-8 bytes for WeCom): whole parts are dropped from the end first,
    then the first part is cut."""
    parts = [p for p in parts if p]
    end = sep + tail if tail else ""
    text = sep.join(parts) + end
    if measure(text) <= limit:
        return text
    while len(parts) > 1:
        parts.pop()
        text = sep.join([*parts, marker]) + end
        if measure(text) <= limit:
            return text
    head = parts[0] if parts else ""
    while head and measure(head + marker + end) > limit:
        head = head[: max(len(head) - max(1, (measure(head + marker + end) - limit) // 4), 0)]
    return head + marker + end


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))
