"""The flow from a source's batch to queued notifications.

dedup -> keyword rules -> sentiment (batched, off the event loop) -> engine -> outbox,
with everything a batch changes (seen ids, scored posts, signals, incidents,
notifications, the source's cursor) written in ONE SQLite transaction. Posts that match
no rule stop after the keyword stage, cheaply; quotes and trends skip the NLP stages.

When that transaction fails (a full disk, a storage error), nothing of the batch is
stored and the caller raises, so the batch is fetched or handed over again. The engine's
in-memory windows and incidents may already hold the failed batch, though, so the next
batch (or tick) first rebuilds them from the store: a retried batch is never counted twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Any, Protocol

from monitor.alerts.engine import Engine
from monitor.alerts.signals import NewsTone
from monitor.clock import Clock
from monitor.metrics import Instruments, Metrics
from monitor.models import Event, Post, Quote, RuleMatch, ScoredPost, Sentiment, Trend, event_to_dict
from monitor.sources.base import Batch
from monitor.store import Store

log = logging.getLogger(__name__)
_TS = attrgetter("ts")


class Rules(Protocol):
    def match_many(self, posts: list[Post]) -> list[list[RuleMatch]]: ...
    def match_trend(self, trend: Trend) -> list[RuleMatch]: ...
    def brands_for_symbol(self, symbol: str) -> list[str]: ...


class Scorer(Protocol):
    model_id: str

    def score(self, texts: list[str], langs: list[str | None] | None = None) -> list[Sentiment]: ...


@dataclass
class BatchStats:
    """What the pipeline did with one batch; ``add`` sums batches (a drill's totals)."""

    events: int = 0
    duplicates: int = 0
    posts: int = 0
    matched: int = 0
    negative: int = 0
    trends: int = 0
    quotes: int = 0
    seconds: float = 0.0
    labels: dict[str, int] = field(default_factory=dict)

    def add(self, other: BatchStats) -> None:
        for name in ("events", "duplicates", "posts", "matched", "negative", "trends", "quotes", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for label, n in other.labels.items():
            self.labels[label] = self.labels.get(label, 0) + n


def sentiment_text(post: Post, limit: int = 1000) -> str:
    """What the model reads: the headline carries most of a news item's tone."""
    text = post.text if not post.title or post.title in post.text else f"{post.title}. {post.text}"
    return text[:limit]


def score_posts(scorer: Scorer, posts: list[Post]) -> list[Sentiment]:
    """Score posts as the model should read them. A review takes a side (it is rarely neutral),
    so posts of kind ``review`` are asked the two-sided question (``polar``); the flags are
    passed only when a batch holds a review, so scorers without that parameter keep working."""
    texts = [sentiment_text(p) for p in posts]
    langs = [p.lang for p in posts]
    polar = [p.kind == "review" for p in posts]
    if any(polar):
        return scorer.score(texts, langs, polar=polar)  # type: ignore[call-arg]
    return scorer.score(texts, langs)


NEWS_ITEMS = 10  # a trend entry's own news items judged at most (Google Trends carries a few)


def trend_news(rules: Rules, scorer: Scorer, trends: list[Trend]) -> dict[str, list[NewsTone]]:
    """How each trend entry's own news items (``extra.news``: title, url, source) read: scored by the model
    and matched against the brands' rules like a post, so a trending word whose news is negative has
    negative context. A malformed item (from a recording) is passed over."""
    keys: list[str] = []
    posts: list[Post] = []
    for t in trends:
        items = t.extra.get("news")
        for i, item in enumerate(items[:NEWS_ITEMS] if isinstance(items, list) else []):
            title = item.get("title") if isinstance(item, dict) else None
            if not isinstance(title, str) or not title.strip():
                continue
            outlet, url = item.get("source"), item.get("url")
            keys.append(t.key)
            posts.append(Post(ts=t.ts, source=t.source, id=f"{t.key}#news{i}", text=title[:1000], kind="news",
                              outlet=outlet if isinstance(outlet, str) else None,
                              url=url if isinstance(url, str) else None))
    if not posts:
        return {}
    out: dict[str, list[NewsTone]] = {}
    for key, ms, sent in zip(keys, rules.match_many(posts), score_posts(scorer, posts), strict=True):
        out.setdefault(key, []).append(NewsTone(sent.label, sent.score, tuple(dict.fromkeys(m.brand for m in ms))))
    return out


class Pipeline:
    """Composes the stages; owns no state beyond what is passed in."""

    def __init__(self, store: Store, rules: Rules, scorer: Scorer, engine: Engine, clock: Clock,
                 executor: Executor | None = None, metrics: Metrics | None = None,
                 instruments: Instruments | None = None) -> None:
        self.store = store
        self.rules = rules
        self.scorer = scorer
        self.engine = engine
        self.clock = clock
        self.executor = executor
        self.metrics = metrics or Metrics()
        self.instruments = instruments or Instruments(self.metrics, clock)
        self._engine_stale = False  # a transaction failed: the engine's memory is ahead of the store

    def reconfigure(self, rules: Rules) -> None:
        """Match with a reloaded rule set from the next batch on."""
        self.rules = rules

    def _fresh(self, events: list[Event]) -> tuple[list[Event], list[str]]:
        """Drop what the store has seen (across restarts) and repeats inside the batch; the events kept and
        their keys (a key is built on each ask: once here)."""
        keys = [e.key for e in events]
        unseen = self.store.unseen(keys)
        out, out_keys, taken = [], [], set()
        for e, key in zip(events, keys, strict=True):
            if key in unseen and key not in taken:
                taken.add(key)
                out.append(e)
                out_keys.append(key)
        return out, out_keys

    async def process(self, source: str, batch: Batch) -> BatchStats:
        started, received = time.perf_counter(), self.clock.now()
        stats = BatchStats(events=len(batch.events))
        events, keys = self._fresh(batch.events)
        stats.duplicates = len(batch.events) - len(events)
        posts = [e for e in events if isinstance(e, Post)]
        stats.posts = len(posts)
        matched: dict[str, tuple[Post, list[RuleMatch]]] = {}
        if posts:
            for post, ms in zip(posts, self.rules.match_many(posts), strict=True):
                if ms:
                    matched[post.key] = (post, ms)
        scored: dict[str, ScoredPost] = {}
        if matched:
            items = list(matched.values())
            loop = asyncio.get_running_loop()
            sentiments, seconds = await loop.run_in_executor(self.executor, _timed, self.scorer,
                                                             [p for p, _ in items])
            self.instruments.scored(seconds)
            for (post, ms), sent in zip(items, sentiments, strict=True):
                scored[post.key] = ScoredPost(post, ms, sent)
                stats.labels[sent.label] = stats.labels.get(sent.label, 0) + 1
        trends = {e.key: (e, self.rules.match_trend(e)) for e in events if isinstance(e, Trend)}
        about = [t for t, ms in trends.values() if ms and t.extra.get("news")]
        news = await asyncio.get_running_loop().run_in_executor(self.executor, trend_news, self.rules, self.scorer,
                                                               about) if about else {}
        human = self.store.relabel_for(list(scored))
        self._resync()
        # no awaits below: the whole batch is one transaction
        # a post no rule matched only moves the engine's time; the next advance steps through every due moment
        # in order all the same, so it is left out (changing nothing but the cost) unless it is the engine's
        # very first moment: then time starts there, as it would have in time order
        todo = [e for e, key in zip(events, keys, strict=True) if key in scored or not isinstance(e, Post)]
        with self._guarded(received):
            self.store.mark_seen(zip(keys, map(_TS, events), strict=True))
            if self.engine.now is None and events:
                first = min(events, key=_TS)  # the first in time order (sorted() is stable, min() takes the first)
                if isinstance(first, Post) and first.key not in scored:
                    self.engine.advance(min(first.ts, self.clock.now()))
            for event in sorted(todo, key=_TS):
                self.engine.advance(min(event.ts, self.clock.now()))
                if isinstance(event, Post):
                    key = event.key
                    sp = scored[key]
                    label = human.get(key)
                    self._save(sp)
                    if (label or sp.sentiment.label) == "negative":
                        stats.negative += 1
                    self.engine.on_post(sp, label=label)
                elif isinstance(event, Trend):
                    stats.trends += 1
                    self.engine.on_trend(event, trends[event.key][1], news.get(event.key, ()))
                elif isinstance(event, Quote):
                    stats.quotes += 1
                    self.engine.on_quote(event, self.rules.brands_for_symbol(event.symbol))
            self.engine.advance(self.clock.now())
            if batch.cursor is not None:
                self.store.set_cursor(source, batch.cursor, self.clock.now())
        stats.matched = len(scored)
        stats.seconds = time.perf_counter() - started
        self._count(source, stats)
        return stats

    def tick(self) -> None:
        """Let time pass with no events (reminders, deadlines, all-clear)."""
        self._resync()
        with self._guarded():
            self.engine.advance(self.clock.now())

    def _resync(self) -> None:
        if self._engine_stale:
            self.engine.load()  # raises while the store is still failing; stays stale until it works
            self._engine_stale = False

    @contextmanager
    def _guarded(self, received_at: datetime | None = None) -> Iterator[None]:
        """The engine's batch transaction; a failure marks the engine's memory for a rebuild.

        ``received_at`` (the pipeline clock) is when the batch's posts arrived: the alerts it
        queues are timed from then once the transaction commits.
        """
        try:
            with self.instruments.batch(received_at), self.engine.batch():
                yield
        except BaseException:
            self._engine_stale = True
            raise

    def _save(self, sp: ScoredPost) -> None:
        post = sp.post
        self.store.save_post(post.key, post.ts, post.source, sp.brands, sp.sentiment.label, sp.sentiment.score,
                             sp.sentiment.model, event_to_dict(post),
                             [_match_json(m) for m in sp.matches])

    def _count(self, source: str, s: BatchStats) -> None:
        m = self.metrics
        m.inc("events_total", s.events, source=source)
        m.inc("duplicates_total", s.duplicates, source=source)
        m.inc("posts_matched_total", s.matched, source=source)
        m.inc("posts_negative_total", s.negative, source=source)
        self.instruments.processed(s.seconds)


def _timed(scorer: Scorer, posts: list[Post]) -> tuple[list[Sentiment], float]:
    """Score in the executor's thread, timing only the model (not the wait for the thread)."""
    started = time.perf_counter()
    out = score_posts(scorer, posts)
    return out, time.perf_counter() - started


def _match_json(m: RuleMatch) -> dict[str, Any]:
    return {"rule_id": m.rule_id, "brand": m.brand, "category": m.category, "terms": list(m.terms)}
