"""The crisis manual's levels, judged on a sliding window against what is normal for the brand.

A :class:`Window` holds one scope's (one brand's, or one brand-and-category's) signals for
the last ``window`` of event time: negative matching posts, trend entries and stock quotes.
It counts voices, not posts (one author adds at most ``per_author`` to a platform's count;
posts without an author count one each), and news articles and outlets as they are.

A level holds when its floor is passed (the manual's numbers) AND, with adaptive detection,
the count is improbable under the brand's baseline (monitor.alerts.baseline) in the main
window or one of the short windows, so a burst is told before the hour fills. Trending is
red only with negative context, and a stock move is net of the brand's benchmark index.
:meth:`Window.evaluate` says which level holds now, with the evidence to explain it.
"""

from __future__ import annotations

import functools
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.alerts.baseline import Baselines
from monitor.alerts.judging import AdaptiveTests
from monitor.alerts.settings import (  # noqa: F401  (re-exported: the engine's config lives beside its levels)
    BaselineConfig,
    BlueConfig,
    BrandEngineConfig,
    EngineConfig,
    RedConfig,
    StoriesConfig,
    YellowConfig,
)
from monitor.alerts.signals import PostSignal, QuoteSignal, TrendSignal
from monitor.alerts.stories import Stories
from monitor.alerts.voices import Tally, author_of
from monitor.durations import format_duration
from monitor.models import Evidence

Bench = Callable[[str], "QuoteSignal | None"]


@dataclass(slots=True)
class Finding:
    level: str
    trigger: str
    evidence: Evidence
    reason: str
    category: str | None  # the dominant category of the negative posts, for playbook choice


@dataclass
class Window(AdaptiveTests):
    """One scope's signals inside the sliding window (``ts`` in ``(now - window, now]``)."""

    config: EngineConfig
    brand: str = ""
    baselines: Baselines | None = None
    bench: Bench | None = None
    posts: deque[PostSignal] = field(default_factory=deque)
    trends: deque[TrendSignal] = field(default_factory=deque)
    quotes: deque[QuoteSignal] = field(default_factory=deque)
    per_platform: Counter[str] = field(default_factory=Counter)  # voices per platform
    post_counts: Counter[str] = field(default_factory=Counter)  # posts per platform
    reposts: int = 0
    news: int = 0
    holding: bool = False  # a level's condition held at the last evaluation
    now: datetime | None = None
    fresh_news: list[PostSignal] = field(default_factory=list)  # news posts not yet judged as a new story
    due: datetime | None = None  # when the engine's timeline next visits this window
    _authors: Counter[tuple[str, str]] = field(default_factory=Counter, init=False, repr=False)
    _outlets: frozenset[str] = field(default=frozenset(), init=False, repr=False)
    _media: Counter[str] = field(default_factory=Counter, init=False, repr=False)
    _memo: dict[Any, Any] = field(default_factory=dict, init=False, repr=False)
    _spans: tuple[timedelta, ...] = field(default=(), init=False, repr=False)
    _minutes: tuple[int, ...] = field(default=(), init=False, repr=False)
    _tallies: list[Tally] = field(default_factory=list, init=False, repr=False)
    _plans: dict[tuple[str, float], Any] = field(default_factory=dict, init=False, repr=False)
    _neg_keys: dict[str, str] = field(default_factory=dict, init=False, repr=False)  # platform -> baseline key
    _hour: int = field(default=0, init=False, repr=False)  # hours since the epoch at ``now``
    _mode: str = field(default="both", init=False, repr=False)
    stories: Stories = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._derive()

    def reconfigure(self, config: EngineConfig) -> None:
        """Adopt new thresholds (a reload): the signals in the window are kept, what depends on the config
        is derived again, and cached judgements are dropped."""
        self.config = config
        self._derive()

    def _derive(self) -> None:
        """What depends on the config, from the config and the signals held."""
        self._outlets = frozenset(o.lower() for o in self.config.yellow.media_outlets)
        self._mode = self.config.detection_for(self.brand)
        self._spans = (self.config.window, *self.config.baseline.short_windows)
        self._minutes = tuple(max(1, int(w.total_seconds() // 60)) for w in self._spans)
        self._tallies = [Tally(w, self.config.per_author) for w in sorted(set(self.config.baseline.short_windows))]
        for p in self.posts:
            for t in self._tallies:
                t.add(p)
        st = self.config.stories
        if not hasattr(self, "stories") or (self.stories.threshold, self.stories.num_perm) != (st.similarity,
                                                                                             st.num_perm):
            self.stories = Stories(st.similarity, st.num_perm)
            for p in self.posts:
                self.stories.add(p)
        self._memo.clear()
        self._plans.clear()
        self._neg_keys.clear()

    # -- feeding ----------------------------------------------------------------------------
    def is_news(self, p: PostSignal) -> bool:
        return p.kind == "news" or (p.outlet is not None and p.outlet.lower() in self._outlets)

    @staticmethod
    def _author(p: PostSignal) -> str:
        return author_of(p)

    def add_post(self, p: PostSignal) -> bool:
        """Add a negative post; True when it adds a voice to its platform's count."""
        _insort(self.posts, p)
        # the counters are updated through dict.get/pop: Counter's += and del go through Python-level methods
        source, authors = p.source, self._authors
        who = (source, self._author(p))
        n = authors[who] = authors.get(who, 0) + 1
        voice = n <= self.config.per_author
        self.per_platform[source] = self.per_platform.get(source, 0) + voice
        self.post_counts[source] = self.post_counts.get(source, 0) + 1
        self.reposts += p.reposts
        if self.is_news(p):
            self.news += 1
            name = p.outlet or source
            self._media[name] = self._media.get(name, 0) + 1
        self.stories.add(p)
        for t in self._tallies:
            t.add(p)
        self._memo.clear()
        return voice

    def remove_post(self, key: str) -> bool:
        for p in list(self.posts):
            if p.key == key:
                self.posts.remove(p)
                self._forget(p)
                for t in self._tallies:
                    t.remove(key)
                return True
        return False

    def _forget(self, p: PostSignal) -> None:
        source, authors = p.source, self._authors
        who = (source, self._author(p))
        n = authors[who] = authors.get(who, 0) - 1
        if n < self.config.per_author:
            self.per_platform[source] = self.per_platform.get(source, 0) - 1
        if n <= 0:
            authors.pop(who)
        left = self.post_counts[source] = self.post_counts.get(source, 0) - 1
        if left <= 0:
            self.post_counts.pop(source)
            self.per_platform.pop(source, None)
        self.reposts -= p.reposts
        if self.is_news(p):
            self.news -= 1
            name = p.outlet or source
            left = self._media[name] = self._media.get(name, 0) - 1
            if left <= 0:
                self._media.pop(name)
        self.stories.remove(p)
        self._memo.clear()

    def add_trend(self, t: TrendSignal) -> None:
        _insort(self.trends, t)
        self._memo.clear()

    def add_quote(self, q: QuoteSignal) -> None:
        _insort(self.quotes, q)
        self._memo.clear()

    # -- time -------------------------------------------------------------------------------
    def evict(self, now: datetime) -> None:
        """Drop what fell out of the window at ``now`` (a signal at ts counts while ts + window > now)."""
        self._set_now(now)
        limit = now - self.config.window
        while self.posts and self.posts[0].ts <= limit:
            self._forget(self.posts.popleft())
        while self.trends and self.trends[0].ts <= limit:
            self.trends.popleft()
            self._memo.clear()
        while self.quotes and self.quotes[0].ts <= limit:
            self.quotes.popleft()
            self._memo.clear()

    def _set_now(self, now: datetime) -> None:
        """Time passing alone changes a judgement only at an hour boundary (the expectation moves) or while
        a short window fires (it empties); otherwise the last judgement stands and is not recomputed."""
        if now == self.now:
            return
        hour = int(now.timestamp() // 3600)
        if self.now is None or hour != self._hour or self._memo.get("short", True):
            self._memo.clear()
        self.now = now
        self._hour = hour

    def next_expiry(self) -> datetime | None:
        """The next moment the window's content changes: the oldest signal leaves, or a short window's."""
        window = self.config.window
        heads = [self.posts[0].ts + window] if self.posts else []
        if self.trends:
            heads.append(self.trends[0].ts + window)
        if self.quotes:
            heads.append(self.quotes[0].ts + window)
        if self.posts and self.now is not None and self._short_matters():
            # thresholds follow the hour of the week; a short window that fired stops firing as it empties
            heads.append(_hour_start(self._hour + 1))
            if not self._fires_short():
                return min(heads)
            for w in self.config.baseline.short_windows:
                first = None
                for p in reversed(self.posts):
                    if p.ts + w <= self.now:
                        break
                    first = p.ts + w
                if first is not None:
                    heads.append(first)
        return min(heads) if heads else None

    def empty(self) -> bool:
        return not (self.posts or self.trends or self.quotes)

    # -- judging -----------------------------------------------------------------------------
    def _fires_short(self) -> bool:
        main = self.config.window
        found, reposts = self.blue(), self.reposts_surprise()  # both asked, blue first (each caches its test)
        s = found[2] if found else None
        if s is not None and s.fires and s.window is not None and s.window != main:
            return True
        return reposts is not None and reposts.fires and reposts.window is not None and reposts.window != main

    def _short_matters(self) -> bool:
        """Short windows can change a level only when adaptive and (with 'both') a floor is passed."""
        if not self._adaptive():
            return False
        cfg = self.config
        if self._mode == "adaptive":
            return True
        return self.reposts > cfg.yellow.reposts or max(self.per_platform.values(), default=0) > cfg.blue.platform_posts

    def _adaptive(self) -> bool:
        return self.baselines is not None and self._mode != "fixed"

    def negative_trends(self) -> list[TrendSignal]:
        """Trend entries with negative context: a negative rule matches the word, or negative volume surprises."""
        if not self.trends:
            return []
        marked = [t for t in self.trends if t.negative]
        if marked:
            return marked
        return list(self.trends) if (self.blue() or self.reposts_surprise()) else []

    def stock_move(self) -> tuple[float, float | None, QuoteSignal | None] | None:
        """(brand move, benchmark move, benchmark quote) when the net move breaches the threshold."""
        if not self.quotes:
            return None
        cfg = self.config.red
        move = self.quotes[-1].change_pct
        bq = None
        symbol = self.config.benchmark_for(self.brand)
        if symbol and self.bench is not None:
            bq = self.bench(symbol)
            if bq is not None and self.now is not None and bq.ts <= self.now - self.config.window:
                bq = None
        net = move - (bq.change_pct if bq is not None else 0.0)
        hit = {"any": abs(net), "down": -net, "up": net}[cfg.stock_direction]
        return (move, bq.change_pct if bq else None, bq) if hit > cfg.stock_move_pct else None

    def assess(self, now: datetime | None = None) -> list[tuple[str, str]]:
        """Assess the window at ``now`` and remember the outcome: moves the window's clock, sets ``holding``
        (what the lifecycle reads until the next judgement) and notes whether a short window fires (which
        decides when a cached judgement must be recomputed). Returns :meth:`triggers`."""
        if now is not None:
            self._set_now(now)
        out = self.triggers()
        self.holding = bool(out)
        self._memo["short"] = self._fires_short()
        return out

    def triggers(self) -> list[tuple[str, str]]:
        """The (level, trigger) pairs whose condition holds at the window's time, highest level first.

        A query: it changes no state the engine reads (the tests it runs are cached until the signals or the
        hour change). Use :meth:`assess` to move the window's time and record the outcome."""
        cfg = self.config
        out: list[tuple[str, str]] = []
        if cfg.red.enabled:
            if cfg.red.trending and self.negative_trends():
                out.append(("red", "red.trending"))
            if self.stock_move() is not None:
                out.append(("red", "red.stock"))
        if cfg.yellow.enabled:
            if self.reposts_surprise() is not None:
                out.append(("yellow", "yellow.reposts"))
            if cfg.yellow.news_pickup and self.news:
                out.append(("yellow", "yellow.news"))
        if self.blue() is not None:
            out.append(("blue", "blue.platform_posts"))
        return out

    def level_now(self) -> str | None:
        """The highest level holding at the window's time (a query, like :meth:`triggers`)."""
        active = self.triggers()
        return active[0][0] if active else None

    def evaluate(self, trigger: str | None = None) -> Finding | None:
        """The finding for ``trigger`` — by default the highest level holding — with evidence; None when calm.

        Other triggers that hold too are listed in ``evidence.detail["also"]``.
        """
        active = self.triggers()
        if not active:
            return None
        triggers = [t for _, t in active]
        chosen = trigger if trigger in triggers else triggers[0]
        from monitor.alerts.explain import build_finding

        finding = build_finding(self, chosen)
        also = [t for t in triggers if t != chosen]
        if also:
            finding.evidence.detail["also"] = also
        return finding

    def news_outlets(self) -> Counter[str]:
        return Counter(self._media)


@functools.lru_cache(maxsize=64)
def _hour_start(hour: int) -> datetime:
    """The moment an hour (counted from the epoch) begins; windows ask for the next one at every judgement."""
    return datetime.fromtimestamp(hour * 3600, UTC)


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
    shorts = ", ".join(format_duration(s) for s in cfg.baseline.short_windows)
    return [
        f"blue: one platform carries more than {cfg.blue.platform_posts} negative matching posts in {w} "
        f"(voices: at most {cfg.per_author} per author)",
        f"yellow: negative matching posts reach more than {cfg.yellow.reposts} reposts across platforms in {w}"
        + (", or a news outlet publishes one" if cfg.yellow.news_pickup else ""),
        "red: " + ("the brand enters a trending list with negative context, or " if cfg.red.trending else "")
        + f"its stock moves more than {cfg.red.stock_move_pct:g}% ({cfg.red.stock_direction}) against the previous "
          "close (net of its benchmark index when one is set)",
        f"detection: {cfg.detection} (adaptive: improbable at p < {cfg.baseline.p_value:g} under the brand's "
        f"seasonal baseline, in {w}" + (f" or {shorts}" if shorts else "") + ")",
    ]
