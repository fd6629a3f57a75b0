"""The alert engine: per-scope windows on event time, and incidents through their lifecycle.

An incident opens at the first level reached, only escalates while open, reminds on a
repeat interval until acknowledged, escalates to the next contacts when an
acknowledgement deadline passes, and resolves — with an all-clear — once no level's
condition has held for the quiet period.

Time only moves through :meth:`Engine.advance`, a small discrete-event loop: every
moment something can change (a signal leaves the window, a reminder or deadline falls
due, a quiet period ends) is stepped through in order, so a replay at any speed issues
exactly the notifications that live operation would, at the same event times.

The store is the source of truth for incidents (so ``monitor incidents ack`` can act
from another process); windows live in memory and are rebuilt from stored signals.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from monitor.alerts import announce
from monitor.alerts.baseline import Baselines, Series, hour_of
from monitor.alerts.levels import EngineConfig, PostSignal, QuoteSignal, TrendSignal, Window
from monitor.alerts.lifecycle import Lifecycle
from monitor.alerts.people import People
from monitor.alerts.playbooks import PlaybookSet
from monitor.alerts.signals import NewsTone
from monitor.models import Alert, Incident, Quote, RuleMatch, ScoredPost, Trend
from monitor.names import RANK
from monitor.store import Store, from_epoch, load_baselines, save_baselines, to_epoch

log = logging.getLogger(__name__)

Emit = Callable[[Alert], None]


class Engine(Lifecycle, People):
    """Judges signals against the crisis manual and drives incidents; emits Alerts."""

    def __init__(self, config: EngineConfig, playbooks: PlaybookSet, store: Store, emit: Emit,
                 brand_names: dict[str, str] | None = None) -> None:
        self.config = config
        self.playbooks = playbooks
        self.store = store
        self.emit = emit
        self.brand_names = dict(brand_names or {})
        self.windows: dict[str, Window] = {}
        self.incidents: dict[str, Incident] = {}  # scope -> open incident
        self.now: datetime | None = None
        self._generation = -1
        self._dirty: set[str] = set()
        self._changed: set[str] = set()
        self.baselines = Baselines()
        self._bench: dict[str, QuoteSignal] = {}  # benchmark index symbol -> latest quote
        self._in_batch = False
        self._timeline: list[tuple[datetime, str]] = []  # (when a window next changes, scope)

    def reconfigure(self, config: EngineConfig, playbooks: PlaybookSet, brand_names: dict[str, str]) -> None:
        """Adopt a reloaded config's thresholds, playbooks and brand names; open incidents and every
        window's signals are kept (each window re-derives what depends on the thresholds)."""
        self.config = config
        self.playbooks = playbooks
        self.brand_names = dict(brand_names)
        for window in self.windows.values():
            window.reconfigure(config)

    # -- state ------------------------------------------------------------------------------
    def load(self) -> None:
        """Rebuild windows from stored signals and read open incidents (start-up, or after a relabel)."""
        self._generation = self.store.generation()
        mark = self.store.get_meta("engine_now")
        if mark is not None:
            now = from_epoch(float(mark))
            self.now = now if self.now is None or now > self.now else self.now
        self.windows.clear()
        self._bench.clear()
        self.baselines = Baselines()
        for key, text in load_baselines(self.store).items():
            self.baselines.put(key, Series.from_text(text))
        if self.now is not None:
            for scope, _brand, ts, kind, ref, data in self.store.signals_since(self.now - self.config.window):
                self._restore(scope, ts, kind, ref, data)
            for w in self.windows.values():
                w.evict(self.now)
                w.assess()  # restores ``holding`` for the lifecycle
        self._timeline = []
        for scope in sorted(self.windows):
            self._schedule(scope)
        self.incidents = self.store.open_incidents()

    def _restore(self, scope: str, ts: datetime, kind: str, ref: str, data: dict[str, Any]) -> None:
        if scope.startswith("^"):  # a benchmark index's quote
            q = QuoteSignal(ts, ref, data["source"], data["symbol"], data["price"], data["prev_close"])
            if scope[1:] not in self._bench or self._bench[scope[1:]].ts <= ts:
                self._bench[scope[1:]] = q
            return
        w = self._window(scope)
        if kind == "post":
            w.add_post(PostSignal.from_data(ts, ref, data))
        elif kind == "trend":
            news = data.get("news")
            w.add_trend(TrendSignal(ts, ref, data["source"], data["word"], data.get("rank"),
                                    data.get("negative", True), (news[0], news[1]) if news else None))
        elif kind == "quote":
            w.add_quote(QuoteSignal(ts, ref, data["source"], data["symbol"], data["price"], data["prev_close"]))

    @contextmanager
    def batch(self) -> Iterator[None]:
        """One store transaction: pick up others' changes first, write ours at the end."""
        with self.store.transaction():
            if self.store.generation() != self._generation:
                self.load()
            else:
                self.incidents = self.store.open_incidents()
            self._changed.clear()
            self._in_batch = True
            try:
                yield
                self._evaluate_dirty()
            finally:
                self._in_batch = False
            self._save()

    def _save(self) -> None:
        for scope in self._changed:
            inc = self.incidents.get(scope)
            if inc is not None:
                self.store.save_incident(scope, inc)
        self._changed.clear()
        self.incidents = {s: i for s, i in self.incidents.items() if i.status == "open"}
        if self.baselines.dirty:
            save_baselines(self.store, [(k, self.baselines.series[k].to_text()) for k in sorted(self.baselines.dirty)],
                           self.now)
            self.baselines.dirty.clear()
        if self.now is not None:
            self.store.set_meta("engine_now", repr(to_epoch(self.now)))

    def _window(self, scope: str) -> Window:
        w = self.windows.get(scope)
        if w is None:
            w = self.windows[scope] = Window(self.config, brand=scope.split("/")[0], baselines=self.baselines,
                                             bench=self._bench.get)
        return w

    def _scopes(self, brand: str, categories: list[str]) -> list[str]:
        if self.config.scope == "brand" or not categories:
            return [brand]
        return [f"{brand}/{c}" for c in dict.fromkeys(categories)]

    # -- inputs -----------------------------------------------------------------------------
    def on_post(self, sp: ScoredPost, label: str | None = None, *, learn: bool = True) -> None:
        """A scored post (``label`` overrides the model's, e.g. a human relabel; a relabel does its own
        baseline learning, ``learn=False``)."""
        post = sp.post
        negative = (label or sp.sentiment.label) == "negative" and (
            label is not None or sp.sentiment.score >= self.config.min_negative_score)
        ts = self._clamp(post.ts)
        if ts is None:
            return
        brands = sp.brands
        hour = hour_of(ts)
        if learn:
            for brand in brands:
                self.baselines.add_hour(f"{brand}|*|all", hour)
        if not negative:
            return
        late = self.now is not None and ts < self.now
        for brand in brands:
            ms = [m for m in sp.matches if m.brand == brand]
            voice = False
            for scope in self._scopes(brand, [m.category for m in ms]):
                cat = scope.partition("/")[2] or ms[0].category
                sig = PostSignal.from_scored(sp, ts, ms, cat)
                w = self._window(scope)
                inc = self.incidents.get(scope)
                if inc is not None:
                    announce.calm(self, scope, w, inc, ts)  # judged on what the window held before this post
                voice = w.add_post(sig) or voice
                if w.is_news(sig):
                    announce.fresh_news(w, sig)
                self.store.add_signal(scope, brand, ts, "post", post.key, sig.as_data())
                self._dirty.add(scope)
            if voice and learn:
                self.baselines.add_hour(f"{brand}|{post.source}|neg", hour)
            if post.reposts and learn:
                self.baselines.add_hour(f"{brand}|*|reposts", hour, post.reposts)
        if late:  # arrived after its moment (a live poll, a bus batch): judged now, post by post, so
            self._evaluate_dirty()  # the levels it passes through do not depend on how arrivals were grouped
        if not self._in_batch:
            self._evaluate_dirty()

    def learn(self, sp: ScoredPost, label: str | None = None) -> None:
        """Backfill: a post from history teaches the baseline only (no windows, no incidents)."""
        post = sp.post
        for brand in sp.brands:
            self.baselines.add(f"{brand}|*|all", post.ts)
        if (label or sp.sentiment.label) != "negative" or (label is None and
                                                           sp.sentiment.score < self.config.min_negative_score):
            return
        for brand in sp.brands:
            self.baselines.add(f"{brand}|{post.source}|neg", post.ts)
            if post.reposts:
                self.baselines.add(f"{brand}|*|reposts", post.ts, post.reposts)

    def on_trend(self, trend: Trend, matches: list[RuleMatch], news: Sequence[NewsTone] = ()) -> None:
        """A trend entry; ``news``: how its own news items read (scored by the pipeline)."""
        ts = self._clamp(trend.ts)
        if ts is None:
            return
        for brand in dict.fromkeys(m.brand for m in matches):
            # negative context: the word matches one of the brand's topic rules, not just its name, or its news
            # items read negative (the model says so, or they match one of the brand's rules)
            negative = any(m.brand == brand and m.rule_id != f"{brand}:trending" for m in matches)
            told = None
            if not negative and news:
                bad = sum(1 for n in news if brand in n.brands or (
                    n.label == "negative" and n.score >= self.config.min_negative_score))
                negative, told = bad > 0, (bad, len(news))
            data: dict[str, Any] = {"source": trend.source, "word": trend.word, "rank": trend.rank,
                                    "negative": negative}
            if negative and told is not None:
                data["news"] = list(told)
            for scope in self._signal_scopes(brand):
                self._window(scope).add_trend(TrendSignal(ts, trend.key, trend.source, trend.word, trend.rank,
                                                          negative, told if negative else None))
                self.store.add_signal(scope, brand, ts, "trend", trend.key, data)
                self._dirty.add(scope)
        if not self._in_batch:
            self._evaluate_dirty()

    def on_quote(self, quote: Quote, brands: list[str]) -> None:
        ts = self._clamp(quote.ts)
        if ts is None:
            return
        symbol = quote.symbol.strip().upper().lstrip("$")
        followers = [b for b in self.config.brands if self.config.benchmark_for(b) == symbol]
        if followers:
            self._bench[symbol] = QuoteSignal(ts, quote.key, quote.source, quote.symbol, quote.price, quote.prev_close)
            self.store.add_signal(f"^{symbol}", "", ts, "quote", quote.key,
                                  {"source": quote.source, "symbol": quote.symbol, "price": quote.price,
                                   "prev_close": quote.prev_close})
            self._dirty.update(s for s in self.windows if s.split("/")[0] in followers)
        for brand in brands:
            for scope in self._signal_scopes(brand):
                self._window(scope).add_quote(QuoteSignal(ts, quote.key, quote.source, quote.symbol, quote.price,
                                                          quote.prev_close))
                self.store.add_signal(scope, brand, ts, "quote", quote.key,
                                      {"source": quote.source, "symbol": quote.symbol, "price": quote.price,
                                       "prev_close": quote.prev_close})
                self._dirty.add(scope)
        if not self._in_batch:
            self._evaluate_dirty()

    def _signal_scopes(self, brand: str) -> list[str]:
        """Trends and quotes belong to the brand; with per-category scope, to each open incident of it."""
        if self.config.scope == "brand":
            return [brand]
        open_scopes = [s for s in self.incidents if s.split("/")[0] == brand]
        return open_scopes or [brand]

    def _clamp(self, ts: datetime) -> datetime | None:
        """Signals live on engine time: never in the future, ignored once outside the window."""
        if self.now is None:
            self.now = ts
        ts = min(ts, self.now)  # a post stamped in the future (clock skew) must not move time forward
        if ts <= self.now - self.config.window:
            return None
        return ts

    # -- time ---------------------------------------------------------------------------------
    def advance(self, t: datetime) -> None:
        """Step through every due moment up to ``t`` in order, then stand at ``t``."""
        if self.now is None:
            self.now = t
            return
        if self._dirty and t > self.now:
            self._evaluate_dirty()  # signals of one moment are judged together, before time moves on
        last: datetime | None = None
        while True:
            due = self._next_due()
            if due is None or due > t:
                break
            if due == last and due <= self.now:  # a timer that stepping did not clear: never spin
                log.error("engine: timer at %s did not clear; skipping to %s", due.isoformat(), t.isoformat())
                break
            last = due
            self._step(max(due, self.now))
        if t > self.now:
            self._step(t)

    def _schedule(self, scope: str) -> None:
        """Put a window's next change on the timeline (a heap; superseded entries are skipped lazily)."""
        w = self.windows.get(scope)
        due = w.next_expiry() if w is not None else None
        if w is not None and due != w.due:
            w.due = due
            if due is not None:
                heapq.heappush(self._timeline, (due, scope))

    def _window_due(self) -> datetime | None:
        tl = self._timeline
        while tl:
            due, scope = tl[0]
            w = self.windows.get(scope)
            if w is not None and w.due == due:
                return due
            heapq.heappop(tl)
        return None

    def _next_due(self) -> datetime | None:
        """The earliest due moment: a window's next change, an incident's reminder, deadline or quiet end."""
        due = self._window_due()
        quiet = self.config.quiet_period
        for scope, inc in self.incidents.items():
            t = inc.next_repeat_at
            if t is not None and (due is None or t < due):
                due = t
            t = inc.ack_due_at
            if t is not None and (due is None or t < due):
                due = t
            if not self._window(scope).holding:
                t = inc.last_signal_at + quiet
                if due is None or t < due:
                    due = t
        return due

    def _step(self, at: datetime) -> None:
        assert self.now is not None
        self.now = at
        due: set[str] = set()
        while self._timeline and self._timeline[0][0] <= at:
            when, scope = heapq.heappop(self._timeline)
            w = self.windows.get(scope)
            if w is not None and w.due == when:
                w.due = None
                w.evict(at)
                due.add(scope)
        self._dirty.update(due)
        # an open incident is judged again when its window changes (above) or one of its timers falls due;
        # between those moments nothing it depends on moves, so live ticks and replay agree
        quiet = self.config.quiet_period
        for scope, inc in self.incidents.items():
            w = self.windows.get(scope)
            repeat, ack = inc.next_repeat_at, inc.ack_due_at
            if (repeat is not None and repeat <= at) or (ack is not None and ack <= at) or (
                    (w is None or not w.holding) and inc.last_signal_at + quiet <= at):
                self._dirty.add(scope)
        self._evaluate_dirty()
        for scope in due:
            w = self.windows.get(scope)
            if w is not None and w.empty() and scope not in self.incidents:
                del self.windows[scope]

    def _evaluate_dirty(self) -> None:
        dirty, self._dirty = self._dirty, set()
        for scope in sorted(dirty):
            self._evaluate(scope)
            self._schedule(scope)

    def _evaluate(self, scope: str) -> None:
        assert self.now is not None
        w = self._window(scope)
        was_holding = w.holding
        active = w.assess(self.now)
        level = active[0][0] if active else None
        inc = self.incidents.get(scope)
        if level is not None:
            if inc is None:
                self._open(scope, w.evaluate(), active)
                announce.settle(self, scope, w, self.incidents[scope])
                return
            if RANK[level] > RANK[inc.level]:
                self._escalate(scope, inc, w.evaluate(), active)
                announce.settle(self, scope, w, inc)
            else:
                self._announce_new_triggers(scope, inc, w, active)
                announce.news_stories(self, scope, w, inc)
                announce.bursts(self, scope, w, inc)
        if inc is None:
            w.fresh_news.clear()
            return
        if level is None:
            announce.bursts(self, scope, w, inc)
        announce.positive_trends(self, scope, w, inc)
        if level is not None or was_holding:
            inc.last_signal_at = self.now
            self._changed.add(scope)
        self._timers(scope, inc, w)
