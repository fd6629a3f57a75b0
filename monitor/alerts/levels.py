"""The crisis manual's levels as configuration, and the sliding window they are judged on.

A :class:`Window` holds one scope's (one brand's, or one brand-and-category's) signals
for the last ``window`` of event time: negative matching posts, trend entries and
stock quotes. :meth:`Window.evaluate` says which level, if any, the manual calls for
right now, with the evidence an alert needs to explain itself.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from monitor.durations import Duration, format_duration
from monitor.models import Evidence, Example, RuleMatch, ScoredPost

RANK = {"blue": 1, "yellow": 2, "red": 3}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BlueConfig(_Strict):
    enabled: bool = True
    platform_posts: int = Field(default=10, ge=0, description="fires when ONE platform has MORE than this many "
                                                              "negative matching posts in the window")


class YellowConfig(_Strict):
    enabled: bool = True
    reposts: int = Field(default=50, ge=0, description="fires when negative matching posts have MORE than this many "
                                                       "reposts summed across platforms")
    news_pickup: bool = Field(default=True, description="fires when a news outlet publishes a negative matching post")
    media_outlets: list[str] = Field(default_factory=list, description="outlets (domains) that count as news pickup "
                                                                       "whatever the post's kind")


class RedConfig(_Strict):
    enabled: bool = True
    trending: bool = Field(default=True, description="fires when the brand enters a trending list")
    stock_move_pct: float = Field(default=5.0, ge=0, description="fires when the stock moves MORE than this "
                                                                 "percentage against the previous close")
    stock_direction: Literal["any", "down", "up"] = "any"


class EngineConfig(_Strict):
    """When incidents open, escalate, repeat and resolve. Defaults are the crisis manual's."""

    window: Duration = Field(default=timedelta(minutes=60), description="sliding window, event time")
    scope: Literal["brand", "category"] = Field(default="brand", description="one incident per brand, or per "
                                                                              "brand and rule category")
    min_negative_score: float = Field(default=0.0, ge=0, le=1, description="a post counts as negative when the "
                                                                           "model says negative with at least this "
                                                                           "probability")
    blue: BlueConfig = Field(default_factory=BlueConfig)
    yellow: YellowConfig = Field(default_factory=YellowConfig)
    red: RedConfig = Field(default_factory=RedConfig)
    quiet_period: Duration = Field(default=timedelta(hours=2), description="no level's condition holds for this "
                                                                          "long -> resolved, all-clear sent")
    repeat_interval: Duration | None = Field(default=timedelta(hours=4),
                                             description="re-notify while unacknowledged this often (null: never)")
    max_escalation_steps: int = Field(default=2, ge=0, description="how many times a missed acknowledgement "
                                                                   "deadline escalates to the next contacts")
    examples: int = Field(default=3, ge=0, le=20, description="example posts quoted per alert")


@dataclass(slots=True)
class PostSignal:
    ts: datetime
    key: str
    source: str
    kind: str
    outlet: str | None
    reposts: int
    category: str
    rules: tuple[str, ...]
    terms: tuple[str, ...]
    example: Example

    def as_data(self) -> dict[str, Any]:
        ex = self.example
        return {"source": self.source, "kind": self.kind, "outlet": self.outlet, "reposts": self.reposts,
                "category": self.category, "rules": list(self.rules), "terms": list(self.terms),
                "example": {"source": ex.source, "id": ex.id, "ts": ex.ts, "text": ex.text, "url": ex.url,
                            "author": ex.author, "kind": ex.kind, "outlet": ex.outlet, "reposts": ex.reposts,
                            "score": ex.score, "rules": list(ex.rules), "terms": list(ex.terms)}}

    @classmethod
    def from_scored(cls, sp: ScoredPost, ts: datetime, matches: list[RuleMatch], category: str) -> PostSignal:
        """What a window keeps of a negative post: counts, reasons, and one example for the alert's why."""
        post = sp.post
        rules = tuple(m.rule_id for m in matches)
        terms = tuple(dict.fromkeys(t for m in matches for t in m.terms))
        example = Example(source=post.source, id=post.id, ts=post.ts, text=post.text[:500], url=post.url,
                          author=post.author, kind=post.kind, outlet=post.outlet, reposts=post.reposts,
                          score=round(sp.sentiment.score, 4), rules=rules, terms=terms)
        return cls(ts, post.key, post.source, post.kind, post.outlet, post.reposts, category, rules, terms, example)

    @classmethod
    def from_data(cls, ts: datetime, key: str, d: dict[str, Any]) -> PostSignal:
        ex = dict(d["example"])
        ex["rules"], ex["terms"] = tuple(ex["rules"]), tuple(ex["terms"])
        return cls(ts, key, d["source"], d["kind"], d["outlet"], d["reposts"], d["category"], tuple(d["rules"]),
                   tuple(d["terms"]), Example(**ex))


@dataclass(slots=True)
class TrendSignal:
    ts: datetime
    key: str
    source: str
    word: str
    rank: int | None


@dataclass(slots=True)
class QuoteSignal:
    ts: datetime
    key: str
    source: str
    symbol: str
    price: float
    prev_close: float

    @property
    def change_pct(self) -> float:
        return (self.price - self.prev_close) / self.prev_close * 100.0


@dataclass(slots=True)
class Finding:
    level: str
    trigger: str
    evidence: Evidence
    reason: str
    category: str | None  # the dominant category of the negative posts, for playbook choice


@dataclass
class Window:
    """One scope's signals inside the sliding window (``ts`` in ``[now - window, now)``)."""

    config: EngineConfig
    posts: deque[PostSignal] = field(default_factory=deque)
    trends: deque[TrendSignal] = field(default_factory=deque)
    quotes: deque[QuoteSignal] = field(default_factory=deque)
    per_platform: Counter[str] = field(default_factory=Counter)
    reposts: int = 0
    news: int = 0
    holding: bool = False  # a level's condition held at the last evaluation
    _outlets: frozenset[str] = field(default=frozenset(), init=False, repr=False)

    def __post_init__(self) -> None:
        self._outlets = frozenset(o.lower() for o in self.config.yellow.media_outlets)

    # -- feeding ----------------------------------------------------------------------------
    def is_news(self, p: PostSignal) -> bool:
        return p.kind == "news" or (p.outlet is not None and p.outlet.lower() in self._outlets)

    def add_post(self, p: PostSignal) -> None:
        _insort(self.posts, p)
        self.per_platform[p.source] += 1
        self.reposts += p.reposts
        self.news += self.is_news(p)

    def remove_post(self, key: str) -> bool:
        for p in list(self.posts):
            if p.key == key:
                self.posts.remove(p)
                self._forget(p)
                return True
        return False

    def _forget(self, p: PostSignal) -> None:
        self.per_platform[p.source] -= 1
        if self.per_platform[p.source] <= 0:
            del self.per_platform[p.source]
        self.reposts -= p.reposts
        self.news -= self.is_news(p)

    def add_trend(self, t: TrendSignal) -> None:
        _insort(self.trends, t)

    def add_quote(self, q: QuoteSignal) -> None:
        _insort(self.quotes, q)

    # -- time -------------------------------------------------------------------------------
    def evict(self, now: datetime) -> None:
        """Drop what fell out of the window at ``now`` (a signal at ts counts while ts + window > now)."""
        limit = now - self.config.window
        while self.posts and self.posts[0].ts <= limit:
            self._forget(self.posts.popleft())
        while self.trends and self.trends[0].ts <= limit:
            self.trends.popleft()
        while self.quotes and self.quotes[0].ts <= limit:
            self.quotes.popleft()

    def next_expiry(self) -> datetime | None:
        heads = [d[0].ts for d in (self.posts, self.trends, self.quotes) if d]
        return min(heads) + self.config.window if heads else None

    def empty(self) -> bool:
        return not (self.posts or self.trends or self.quotes)

    # -- judging -----------------------------------------------------------------------------
    def _quote_move(self) -> float | None:
        """The latest quote's move when it breaches the threshold, else None."""
        if not self.quotes:
            return None
        cfg = self.config.red
        move = self.quotes[-1].change_pct
        hit = {"any": abs(move), "down": -move, "up": move}[cfg.stock_direction]
        return move if hit > cfg.stock_move_pct else None

    def active(self) -> list[tuple[str, str]]:
        """Cheap: the (level, trigger) pairs whose condition holds now, highest level first."""
        cfg = self.config
        out: list[tuple[str, str]] = []
        if cfg.red.enabled:
            if cfg.red.trending and self.trends:
                out.append(("red", "red.trending"))
            if self._quote_move() is not None:
                out.append(("red", "red.stock"))
        if cfg.yellow.enabled:
            if self.reposts > cfg.yellow.reposts:
                out.append(("yellow", "yellow.reposts"))
            if cfg.yellow.news_pickup and self.news:
                out.append(("yellow", "yellow.news"))
        if cfg.blue.enabled and self.per_platform and max(self.per_platform.values()) > cfg.blue.platform_posts:
            out.append(("blue", "blue.platform_posts"))
        self.holding = bool(out)
        return out

    def level_now(self) -> str | None:
        """Cheap check of which level's condition holds (no evidence built)."""
        active = self.active()
        return active[0][0] if active else None

    def evaluate(self, trigger: str | None = None) -> Finding | None:
        """The finding for ``trigger`` — by default the highest level holding — with evidence; None when calm.

        Other triggers that hold too are listed in ``evidence.detail["also"]``.
        """
        active = self.active()
        if not active:
            return None
        triggers = [t for _, t in active]
        chosen = trigger if trigger in triggers else triggers[0]
        finding = self._build(chosen)
        also = [t for t in triggers if t != chosen]
        if also:
            finding.evidence.detail["also"] = also
        return finding

    def _build(self, trigger: str) -> Finding:
        cfg = self.config
        minutes = int(cfg.window.total_seconds() // 60)
        if trigger == "red.trending":
            t = max(self.trends, key=lambda x: (x.ts, -(x.rank or 0)))
            rank = f" (#{t.rank})" if t.rank else ""
            return self._finding("red", trigger, f"the brand entered a trending list: \"{t.word}\" on "
                                 f"{t.source}{rank}", len(self.trends), 0,
                                 {"trend": {"source": t.source, "word": t.word, "rank": t.rank, "ts": t.ts}})
        if trigger == "red.stock":
            q, move = self.quotes[-1], self.quotes[-1].change_pct
            return self._finding("red", trigger, f"{q.symbol} moved {move:+.1f}% against the previous close "
                                 f"(threshold: more than {cfg.red.stock_move_pct:g}%)", round(move, 2),
                                 cfg.red.stock_move_pct, {"quote": {"symbol": q.symbol, "price": q.price,
                                                                    "prev_close": q.prev_close, "ts": q.ts}})
        if trigger == "yellow.reposts":
            return self._finding("yellow", trigger, f"negative posts reached {self.reposts} reposts across "
                                 f"{len(self.per_platform)} platform(s) in {minutes} min (threshold: more than "
                                 f"{cfg.yellow.reposts})", self.reposts, cfg.yellow.reposts)
        if trigger == "yellow.news":
            first = next(p for p in self.posts if self.is_news(p))
            outlet = first.outlet or first.source
            return self._finding("yellow", trigger, f"a news outlet picked the story up: {outlet}", self.news, 0,
                                 {"outlet": outlet, "url": first.example.url})
        platform, count = max(self.per_platform.items(), key=lambda kv: (kv[1], kv[0]))
        return self._finding("blue", trigger, f"{count} negative posts on {platform} in {minutes} min (threshold: "
                             f"more than {cfg.blue.platform_posts})", count, cfg.blue.platform_posts,
                             {"platform": platform})

    def _finding(self, level: str, trigger: str, why: str, observed: float, threshold: float,
                 detail: dict[str, Any] | None = None) -> Finding:
        cfg = self.config
        rules: Counter[str] = Counter(r for p in self.posts for r in p.rules)
        cats: Counter[str] = Counter(p.category for p in self.posts)
        # most-reposted first, news first among equals: the posts a PR lead wants to see
        examples = sorted(self.posts, key=lambda p: (self.is_news(p), p.reposts, p.ts), reverse=True)
        evidence = Evidence(
            trigger=trigger, rule=why, observed=observed, threshold=threshold,
            window_minutes=int(cfg.window.total_seconds() // 60), platforms=dict(self.per_platform),
            reposts=self.reposts, negative_posts=len(self.posts), rules=dict(rules.most_common(10)),
            examples=tuple(p.example for p in examples[: cfg.examples]), detail=dict(detail or {}),
        )
        category = cats.most_common(1)[0][0] if cats else None
        return Finding(level, trigger, evidence, f"{level}: {why}", category)


def _insort(dq: deque[Any], item: Any) -> None:
    """Append, keeping ts order even for late events (rare, so a linear insert is fine)."""
    if not dq or dq[-1].ts <= item.ts:
        dq.append(item)
        return
    idx = len(dq)
    while idx > 0 and dq[idx - 1].ts > item.ts:
        idx -= 1
    dq.insert(idx, item)


def describe_thresholds(cfg: EngineConfig) -> list[str]:
    """The manual in words, for `monitor check` and the README."""
    w = format_duration(cfg.window)
    return [
        f"blue: one platform carries more than {cfg.blue.platform_posts} negative matching posts in {w}",
        f"yellow: negative matching posts reach more than {cfg.yellow.reposts} reposts across platforms in {w}"
        + (", or a news outlet publishes one" if cfg.yellow.news_pickup else ""),
        "red: " + ("the brand enters a trending list, or " if cfg.red.trending else "")
        + f"its stock moves more than {cfg.red.stock_move_pct:g}% ({cfg.red.stock_direction}) against the previous "
          "close",
    ]
