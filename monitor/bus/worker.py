"""`monitor worker`: read raw events from the bus, match rules, score, append scored posts.

Any number of workers, on any machine, share the consumer group ``workers``: Redis hands
each entry to one of them. An entry is acknowledged after its scored result was appended,
so a worker killed mid-batch loses nothing: its entries stay pending and a live worker
takes them over after ``bus.claim_idle`` (XAUTOCLAIM, checked every few seconds). Posts
that match no rule stop here; trend and quote events pass through to the engine.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from typing import Any

from monitor.bus.streams import RAW, SCORED, WORKERS, RedisBus
from monitor.errors import MonitorError
from monitor.models import Post, Trend, parse_event
from monitor.pipeline import score_posts, trend_news

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, bus: RedisBus, rules: Any, scorer: Any, *, name: str | None = None,
                 reclaim_every: float = 5.0) -> None:
        self.bus = bus
        self.rules = rules
        self.scorer = scorer
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.reclaim_every = reclaim_every
        self.reclaimed = 0
        self._last_reclaim = 0.0

    async def handle(self, entries: list[tuple[str, dict[str, Any]]]) -> int:
        """Score one batch of raw entries, append the results, acknowledge them."""
        if not entries:
            return 0
        out: list[dict[str, Any]] = []
        posts: list[Post] = []
        trends: list[tuple[Trend, dict[str, Any]]] = []
        for _id, raw in entries:
            try:
                event = parse_event(raw)
            except Exception as exc:  # written by our collectors; a bad entry is logged and dropped
                log.warning("worker %s: dropping a malformed bus entry: %s", self.name, exc)
                continue
            if isinstance(event, Post):
                posts.append(event)
            else:
                out.append({"event": raw})
                if isinstance(event, Trend) and event.extra.get("news") and self.rules.match_trend(event):
                    trends.append((event, out[-1]))
        if trends:  # a trend's own news items are scored here too: the engine side has no model
            tones = await asyncio.to_thread(trend_news, self.rules, self.scorer, [t for t, _ in trends])
            for t, entry in trends:
                if tones.get(t.key):
                    entry["news"] = [[n.label, n.score, list(n.brands)] for n in tones[t.key]]
        matched = [(p, ms) for p, ms in zip(posts, self.rules.match_many(posts), strict=True) if ms] if posts else []
        if matched:
            sentiments = await asyncio.to_thread(score_posts, self.scorer, [p for p, _ in matched])
            for (post, ms), sent in zip(matched, sentiments, strict=True):
                brands = list(dict.fromkeys(m.brand for m in ms))
                out.append({"post": _post_dict(post), "key": post.key, "brands": brands, "label": sent.label,
                            "score": sent.score, "model": sent.model,
                            "matches": [{"rule_id": m.rule_id, "brand": m.brand, "category": m.category,
                                         "terms": list(m.terms)} for m in ms]})
        out.sort(key=lambda r: (r.get("post") or r["event"])["ts"])
        await self.bus.append(SCORED, out)
        await self.bus.ack(RAW, WORKERS, [i for i, _ in entries])
        return len(entries)

    async def step(self, block_ms: int = 1000) -> int:
        now = time.monotonic()
        if now - self._last_reclaim >= self.reclaim_every:
            self._last_reclaim = now
            taken = await self.bus.reclaim(RAW, WORKERS, self.name)
            if taken:
                self.reclaimed += len(taken)
                log.warning("worker %s took over %d entries left pending by a dead worker", self.name, len(taken))
                return await self.handle(taken)
        return await self.handle(await self.bus.read(RAW, WORKERS, self.name, block_ms=block_ms))

    async def run(self, stop: asyncio.Event) -> None:
        await self.bus.ensure_group(RAW, WORKERS)
        await self.bus.ensure_group(SCORED, "engine")
        log.info("worker %s reading %s", self.name, self.bus.key(RAW))
        while not stop.is_set():
            try:
                await self.step()
            except MonitorError as exc:
                log.error("worker %s: %s; retrying in 1 s", self.name, exc)
                await asyncio.sleep(1.0)


def _post_dict(post: Post) -> dict[str, Any]:
    from monitor.models import event_to_dict

    return event_to_dict(post)
