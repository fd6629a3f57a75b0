"""Text helpers shared by the collectors: HTML -> plain text, outlet hosts, timestamps.

Why here: every channel hands us text in its own dress (Mastodon HTML, RSS summaries with
entities, HN comments with ``<p>``), outlets as URLs, and times as ISO strings, RFC 822
dates, epoch numbers or ``time.struct_time``. The keyword stage and the sentiment model
need one plain, comparable form, so the conversion lives in one tested place.
"""

from __future__ import annotations

import calendar
import html
import re
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "as_count",
    "from_epoch",
    "host_of",
    "html_to_text",
    "normalize_space",
    "parse_time",
    "truncate",
]

# Elements whose boundaries are line breaks in the rendered page.
_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure",
        "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
        "section", "table", "tbody", "td", "th", "thead", "tr", "ul",
    }
)
# Elements whose content is never shown to a reader.
_HIDDEN = frozenset(["script", "style", "template", "noscript", "head", "title"])
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_NEWLINES = re.compile(r"\s*\n\s*")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def normalize_space(text: str) -> str:
    """Collapse runs of spaces inside lines and blank lines between them; trim the ends."""
    text = _SPACES.sub(" ", text)
    text = _NEWLINES.sub("\n", text)
    return text.strip()


def html_to_text(value: str | None) -> str:
    """HTML fragment -> plain text: tags stripped, entities decoded, blocks on their own lines.

    ``<p>a</p><p>b &amp; c</p>`` -> ``"a\\nb & c"``; ``<br>`` is a line break; script and
    style content is dropped. Text without markup only has its entities decoded and its
    whitespace normalised, so it is safe to call on anything a channel calls "text".
    """
    if not value:
        return ""
    if "<" not in value:
        return normalize_space(html.unescape(value))
    parser = _TextExtractor()
    try:
        parser.feed(value)
        parser.close()
    except Exception:  # HTMLParser is lenient; this is belt and braces for odd input
        return normalize_space(html.unescape(re.sub(r"<[^>]*>", " ", value)))
    return normalize_space("".join(parser.parts))


def truncate(text: str, limit: int = 200) -> str:
    """Shorten ``text`` for log and error messages, marking the cut."""
    text = normalize_space(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def host_of(url: str | None) -> str | None:
    """The publishing host of a URL, lower-case and without ``www.``: the event's ``outlet``.

    ``https://www.Reuters.com/world/x`` -> ``reuters.com``; a value without a scheme is read
    as a bare host; nonsense gives ``None``.
    """
    if not url or not isinstance(url, str):
        return None
    text = url.strip()
    if "://" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    if not host or "." not in host:
        return None
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def from_epoch(value: float | int | str) -> datetime:
    """Unix seconds (int, float or numeric string) -> aware UTC datetime."""
    return datetime.fromtimestamp(float(value), UTC)


def parse_time(value: Any) -> datetime | None:
    """Any timestamp a channel sends -> aware UTC datetime, or ``None`` when unreadable.

    Accepts ISO 8601 (``Z``, offsets, 1-9 fraction digits), RFC 822 / HTTP dates, Unix
    seconds (number or numeric string; milliseconds when the number is too large for
    seconds) and ``time.struct_time`` (feedparser's ``*_parsed``, always UTC). A time
    without a zone is taken as UTC, which is what feeds that omit it almost always mean.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, time.struct_time):
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    if isinstance(value, int | float):
        return _epoch(float(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return _epoch(float(text))
    iso = _parse_iso(text)
    if iso is not None:
        return iso
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _epoch(seconds: float) -> datetime | None:
    if seconds > 1e11:  # milliseconds (seconds would be past year 5000)
        seconds /= 1000.0
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


_FRACTION = re.compile(r"(\.\d+)")


def _parse_iso(text: str) -> datetime | None:
    candidate = text
    if candidate[-1:] in ("Z", "z"):
        candidate = candidate[:-1] + "+00:00"
    # Python wants at most 6 fraction digits; channels send 3 (JS) to 9 (Go).
    candidate = _FRACTION.sub(lambda m: m.group(1)[:7], candidate, count=1)
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def nonempty_str(value: Any) -> str | None:
    """A channel's optional string field: a non-empty string, else None (missing, null, "", a number)."""
    return value if isinstance(value, str) and value else None


def as_count(value: Any) -> int:
    """A channel's counter as a non-negative int: missing, null, text or negative -> 0.

    (A downvoted Reddit post has a negative score; it still has no likes.)
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return max(0, int(value))
