"""The event contract and the records that flow after it.

Events are plain slotted dataclasses rather than pydantic models: the keyword stage
must handle tens of thousands of posts a second, and validation happens once, in
:func:`parse_event`, with messages that name the offending field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from monitor.errors import EventFormatError
from monitor.names import Label, Level

KINDS = ("social", "news", "forum", "review", "video")


def parse_ts(value: Any, name: str = "ts") -> datetime:
    """ISO 8601 with a zone (``Z`` or an offset) -> aware UTC datetime."""
    if not isinstance(value, str):
        raise EventFormatError(f"field '{name}' must be an ISO 8601 string with a zone, got {value!r}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise EventFormatError(
            f"field '{name}' is not an ISO 8601 time: {value!r} (write e.g. 2026-03-01T08:00:00Z)"
        ) from None
    if parsed.tzinfo is None:
        raise EventFormatError(f"field '{name}' has no time zone: {value!r} (append Z for UTC)")
    if not 1900 <= parsed.year <= 2200:  # windows and deadlines are added to it: keep far from datetime's edges
        raise EventFormatError(f"field '{name}' is out of range: {value!r} (years 1900 to 2200)")
    return parsed.astimezone(UTC)


def format_ts(ts: datetime) -> str:
    """Aware datetime -> ``2026-03-01T08:00:00Z`` (microseconds kept only when present)."""
    ts = ts.astimezone(UTC)
    spec = "milliseconds" if ts.microsecond else "seconds"
    return ts.isoformat(timespec=spec).replace("+00:00", "Z")


@dataclass(slots=True)
class Post:
    """A piece of public text about (maybe) a brand: a tweet, article, review, comment."""

    type: ClassVar[str] = "post"
    ts: datetime
    source: str
    id: str
    text: str
    title: str | None = None
    author: str | None = None
    url: str | None = None
    lang: str | None = None
    kind: str = "social"
    outlet: str | None = None
    reposts: int = 0
    likes: int = 0
    replies: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Globally unique id used for dedup: ids are only unique within a source."""
        return f"{self.source}:{self.id}"


@dataclass(slots=True)
class Quote:
    """A stock price observation for a ticker."""

    type: ClassVar[str] = "quote"
    ts: datetime
    source: str
    symbol: str
    price: float
    prev_close: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.source}:{self.symbol}:{format_ts(self.ts)}"

    @property
    def change_pct(self) -> float:
        """Move against the previous close, in percent (negative when the price fell)."""
        return (self.price - self.prev_close) / self.prev_close * 100.0


@dataclass(slots=True)
class Trend:
    """An entry on a trending list (Weibo hot search, Google Trends, ...)."""

    type: ClassVar[str] = "trend"
    ts: datetime
    source: str
    word: str
    rank: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.source}:{self.word}:{format_ts(self.ts)}"


Event = Post | Quote | Trend

_POST_FIELDS = ("title", "author", "url", "lang", "outlet")
_COUNT_FIELDS = ("reposts", "likes", "replies")


def _req_str(obj: dict[str, Any], name: str) -> str:
    value = obj.get(name)
    if value is None:
        raise EventFormatError(f"missing required field '{name}'")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise EventFormatError(f"field '{name}' must be a string, got {type(value).__name__}")
    value = str(value)
    if not value.strip():
        raise EventFormatError(f"field '{name}' is empty")
    return value


def _opt_str(obj: dict[str, Any], name: str) -> str | None:
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise EventFormatError(f"field '{name}' must be a string or null, got {type(value).__name__}")
    return value


def _count(obj: dict[str, Any], name: str) -> int:
    value = obj.get(name)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_NUMBER:
        limit = "" if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 else \
            f" no larger than {MAX_NUMBER:g}"
        raise EventFormatError(f"field '{name}' must be a non-negative number{limit}, got {_show(value)}")
    return int(value)


def _number(obj: dict[str, Any], name: str) -> float:
    value = obj.get(name)
    if value is None:
        raise EventFormatError(f"missing required field '{name}'")
    if isinstance(value, bool) or not isinstance(value, int | float) or not -MAX_NUMBER <= value <= MAX_NUMBER:
        raise EventFormatError(f"field '{name}' must be a finite number, got {_show(value)}")
    return float(value)


MAX_NUMBER = 1e15  # counts and prices beyond this are junk (NaN and infinities fail the range check too)


def _show(value: Any) -> str:
    if isinstance(value, int) and value.bit_length() > 200:
        return f"a number of about {int(value.bit_length() * 0.30103)} digits"
    text = repr(value)
    return text if len(text) <= 80 else text[:60] + "..."


_KNOWN = {
    "post": {"type", "ts", "source", "id", "text", "kind", *_POST_FIELDS, *_COUNT_FIELDS},
    "quote": {"type", "ts", "source", "symbol", "price", "prev_close"},
    "trend": {"type", "ts", "source", "word", "rank"},
}


_POST_KEYS = frozenset(_KNOWN["post"])


def _plain_post(obj: dict[str, Any]) -> Post | None:
    """The common post (string fields, whole counts) built with the checks of :func:`parse_event` done inline;
    None for anything else, which the full validation then judges and names. (Every event of a replay comes
    through here: the checks are written out rather than looped over.)"""
    g = obj.get
    ts, source, pid, text = g("ts"), g("source"), g("id"), g("text")
    if type(ts) is not str or type(source) is not str or type(pid) is not str or type(text) is not str \
            or not source.strip() or not pid.strip():
        return None
    kind = g("kind") or "social"
    if kind not in KINDS:
        return None
    title, author, url, lang, outlet = g("title"), g("author"), g("url"), g("lang"), g("outlet")
    if (title is not None and type(title) is not str) or (author is not None and type(author) is not str) \
            or (url is not None and type(url) is not str) or (lang is not None and type(lang) is not str) \
            or (outlet is not None and type(outlet) is not str):
        return None
    reposts, likes, replies = g("reposts"), g("likes"), g("replies")
    if reposts is None:
        reposts = 0
    elif type(reposts) is not int or not 0 <= reposts <= MAX_NUMBER:
        return None
    if likes is None:
        likes = 0
    elif type(likes) is not int or not 0 <= likes <= MAX_NUMBER:
        return None
    if replies is None:
        replies = 0
    elif type(replies) is not int or not 0 <= replies <= MAX_NUMBER:
        return None
    when = parse_ts(ts)  # raises as parse_event would: the time is the first thing it checks
    extra = {} if _POST_KEYS.issuperset(obj) else {k: v for k, v in obj.items() if k not in _POST_KEYS}
    return Post(when, source, pid, text, title, author, url, lang, kind, outlet, reposts, likes, replies, extra)


def parse_event(obj: Any) -> Event:
    """Validate one decoded JSON object against the event contract.

    Unknown fields are kept in ``extra`` (and written back out by :func:`event_to_dict`)
    so recordings round-trip without loss.
    """
    if type(obj) is dict and obj.get("type") == "post":
        post = _plain_post(obj)
        if post is not None:
            return post
    if not isinstance(obj, dict):
        raise EventFormatError(f"an event must be a JSON object, got {type(obj).__name__}")
    etype = obj.get("type")
    if etype not in _KNOWN:
        raise EventFormatError(f"field 'type' must be one of post, quote, trend, got {etype!r}")
    ts = parse_ts(obj.get("ts")) if "ts" in obj else _missing("ts")
    source = _req_str(obj, "source")
    extra = {k: v for k, v in obj.items() if k not in _KNOWN[etype]}
    if etype == "post":
        text = obj.get("text")
        if not isinstance(text, str):
            raise EventFormatError("missing required field 'text'" if text is None else "field 'text' must be a string")
        kind = obj.get("kind") or "social"
        if kind not in KINDS:
            raise EventFormatError(f"field 'kind' must be one of {', '.join(KINDS)}, got {kind!r}")
        opts = {name: _opt_str(obj, name) for name in _POST_FIELDS}
        counts = {name: _count(obj, name) for name in _COUNT_FIELDS}
        return Post(ts=ts, source=source, id=_req_str(obj, "id"), text=text, kind=kind, extra=extra, **opts, **counts)
    if etype == "quote":
        prev = _number(obj, "prev_close")
        if prev <= 0:
            raise EventFormatError(f"field 'prev_close' must be positive, got {prev!r}")
        return Quote(ts=ts, source=source, symbol=_req_str(obj, "symbol"), price=_number(obj, "price"),
                     prev_close=prev, extra=extra)
    rank = obj.get("rank")
    if rank is not None and (isinstance(rank, bool) or not isinstance(rank, int)):
        raise EventFormatError(f"field 'rank' must be an integer or null, got {rank!r}")
    return Trend(ts=ts, source=source, word=_req_str(obj, "word"), rank=rank, extra=extra)


def _missing(name: str) -> datetime:
    raise EventFormatError(f"missing required field '{name}'")


def event_to_dict(event: Event) -> dict[str, Any]:
    """The contract's JSON shape of an event (inverse of :func:`parse_event`)."""
    out: dict[str, Any] = {"type": event.type, "ts": format_ts(event.ts), "source": event.source}
    if isinstance(event, Post):
        out.update(id=event.id, text=event.text, title=event.title, author=event.author, url=event.url,
                   lang=event.lang, kind=event.kind, outlet=event.outlet, reposts=event.reposts,
                   likes=event.likes, replies=event.replies)
    elif isinstance(event, Quote):
        out.update(symbol=event.symbol, price=event.price, prev_close=event.prev_close)
    else:
        out.update(word=event.word, rank=event.rank)
    for k, v in event.extra.items():
        out.setdefault(k, v)
    return out


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """A keyword rule that matched a post, with the terms that made it match (the alert's "why")."""

    rule_id: str
    brand: str
    category: str
    terms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Sentiment:
    """A model's verdict on one text. ``score`` is the probability of ``label``."""

    label: Label
    score: float
    model: str
    lang: str | None = None


@dataclass(slots=True)
class ScoredPost:
    """A post that matched at least one rule, with its sentiment."""

    post: Post
    matches: list[RuleMatch]
    sentiment: Sentiment

    @property
    def brands(self) -> list[str]:
        seen: dict[str, None] = {}
        for m in self.matches:
            seen.setdefault(m.brand, None)
        return list(seen)

    @property
    def negative(self) -> bool:
        return self.sentiment.label == "negative"


TRANSITIONS = ("opened", "escalated", "updated", "repeated", "overdue", "acknowledged", "resolved", "blind_spot",
               "recovered", "task_overdue")


@dataclass(frozen=True, slots=True)
class Example:
    """A post quoted in an alert as evidence."""

    source: str
    id: str
    ts: datetime
    text: str
    url: str | None = None
    author: str | None = None
    kind: str = "social"
    outlet: str | None = None
    reposts: int = 0
    score: float = 0.0
    rules: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why an alert fired: the rule of the crisis manual, the counts against its threshold."""

    trigger: str  # e.g. "blue.platform_posts", "yellow.reposts", "yellow.news", "red.trending", "red.stock"
    rule: str  # the manual's rule in words: "more than 10 negative posts on one platform in 60 min"
    observed: float
    threshold: float
    window_minutes: int
    platforms: dict[str, int] = field(default_factory=dict)  # negative matching posts per source
    reposts: int = 0
    negative_posts: int = 0
    rules: dict[str, int] = field(default_factory=dict)  # rule id -> matching negative posts
    examples: tuple[Example, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)  # trend word/rank, quote move, outlet, ...


@dataclass(slots=True)
class Incident:
    """One brand's (optionally one category's) crisis, from opening to all-clear."""

    id: str
    brand: str
    category: str | None
    level: Level
    status: Literal["open", "resolved"]
    opened_at: datetime
    level_since: datetime
    last_signal_at: datetime
    next_repeat_at: datetime | None = None
    ack_due_at: datetime | None = None
    acked_at: datetime | None = None
    acked_by: str | None = None
    escalation_step: int = 0
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    trigger: str = ""
    triggers: list[str] = field(default_factory=list)  # announced at the current level
    seq: int = 0  # notifications issued so far; makes notification ids stable across restarts


@dataclass(frozen=True, slots=True)
class Alert:
    """What a notifier delivers: one transition of one incident, with its why and playbook.

    ``playbook`` is the rendered playbook (see monitor.alerts.playbooks.Playbook); it is
    typed loosely here so models stay free of the alerts package.
    """

    id: str  # stable notification id: "<incident_id>#<seq>"
    incident_id: str
    brand: str
    brand_name: str
    category: str | None
    level: str  # blue / yellow / red; "system" for blind-spot alerts about our own sources
    transition: str
    ts: datetime  # event time at which it fired
    reason: str
    evidence: Evidence | None
    playbook: Any = None
    escalation_step: int = 0
    acked_by: str | None = None
    drill: str | None = None  # set on the way out of a live drill (its id): every channel marks it DRILL
