"""The daemon's side of the bus: collectors append raw events; the engine leader consumes scored posts.

With ``bus:`` configured, a replica's sources no longer run the pipeline in process: each
batch is deduplicated against the store, appended to the raw stream, and only then marked
seen with its cursor (one transaction), so a crash in between re-appends rather than loses.
The replica holding the engine lease reads the scored stream, holds entries for
``bus.reorder_delay`` so those from different workers and sources are applied in event-time
order, and applies them in one engine batch per read: saving each post, feeding the engine,
then acknowledging the entries. A post already stored is skipped, so an entry delivered twice
(a worker killed after appending, a leader killed before acknowledging) counts once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from monitor.alerts.records import scored_post_from_record
from monitor.alerts.signals import NewsTone
from monitor.bus.streams import ENGINE, RAW, SCORED, RedisBus
from monitor.models import Post, Quote, Trend, event_to_dict, parse_event, parse_ts
from monitor.replicas import hooks as replica_hooks

log = logging.getLogger(__name__)


class BusSide:
    """One replica's collector and (when leader) engine consumer."""

    def __init__(self, service: Any, bus: RedisBus) -> None:
        self.service = service
        self.bus = bus
        self.buffer: list[tuple[float, str, dict[str, Any]]] = []  # (arrival, id, entry)
        self._was_leader = False

    async def collect(self, source: str, batch: Any) -> int:
        rt = self.service.rt
        unseen = rt.store.unseen([e.key for e in batch.events])
        fresh, taken = [], set()
        for e in batch.events:
            if e.key in unseen and e.key not in taken:
                taken.add(e.key)
                fresh.append(e)
        await self.bus.append(RAW, [event_to_dict(e) for e in fresh])
        with rt.store.transaction():
            rt.store.mark_seen((e.key, e.ts) for e in fresh)
            if batch.cursor is not None:
                rt.store.set_cursor(source, batch.cursor, self.service.clock.now())
        rt.metrics.inc("events_total", len(batch.events), source=source)
        rt.metrics.inc("bus_appended_total", len(fresh), source=source)
        return len(fresh)

    async def consume(self, task: Any) -> None:
        """The supervised engine-consumer loop; idle unless this replica is the engine leader."""
        service = self.service
        await self.bus.ensure_group(SCORED, ENGINE)
        await self.bus.ensure_group(RAW, "workers")
        delay = self.service.loaded.config.bus.reorder_delay.total_seconds()
        while not service.stop_event.is_set():
            if not replica_hooks.leader(service):
                self._was_leader = False
                self.buffer.clear()  # not acknowledged: the next leader reads them again
                await asyncio.sleep(0.2)
                continue
            if not self._was_leader:  # a new leader first takes what the last one read and never applied
                self._was_leader = True
                got, after = [], "0"
                while chunk := await self.bus.read(SCORED, ENGINE, "engine", pending=True, after=after):
                    got += chunk
                    after = chunk[-1][0]
            else:
                got = await self.bus.read(SCORED, ENGINE, "engine", block_ms=200)
            now = time.monotonic()
            self.buffer += [(now, i, e) for i, e in got]
            ripe = [b for b in self.buffer if now - b[0] >= delay]
            if ripe:
                self.buffer = [b for b in self.buffer if now - b[0] < delay]
                self.apply([(i, e) for _t, i, e in ripe])
                await self.bus.ack(SCORED, ENGINE, [i for _t, i, _e in ripe])
                task.progress(service.clock.now())
            elif not got:
                task.progress(service.clock.now())

    def apply(self, entries: list[tuple[str, dict[str, Any]]]) -> None:
        """One engine batch (fenced by the engine lease) for the ripe entries, in event-time order."""
        rt = self.service.rt
        pipeline, engine, rules, now = rt.pipeline, rt.engine, rt.pipeline.rules, self.service.clock.now()
        items = sorted((e for _i, e in entries), key=lambda e: parse_ts((e.get("post") or e["event"])["ts"]))
        keys = [e["key"] for e in items if "key" in e]
        human = rt.store.relabel_for(keys)
        pipeline._resync()
        with pipeline._guarded():
            stored = {k for k in keys if rt.store.get_post(k) is not None}
            for e in items:
                if "key" in e:
                    if e["key"] in stored:
                        continue  # delivered twice: counted once
                    stored.add(e["key"])
                    sp = scored_post_from_record({**e, "post": e["post"]})
                    engine.advance(min(sp.post.ts, now))
                    pipeline._save(sp)
                    engine.on_post(sp, label=human.get(e["key"]))
                    continue
                event = parse_event(e["event"])
                engine.advance(min(event.ts, now))
                if isinstance(event, Trend):
                    news = [NewsTone(str(n[0]), float(n[1]), tuple(n[2])) for n in e.get("news") or ()]
                    engine.on_trend(event, rules.match_trend(event), news)
                elif isinstance(event, Quote):
                    engine.on_quote(event, rules.brands_for_symbol(event.symbol))
                elif isinstance(event, Post):  # not produced by workers; ignore
                    continue
            engine.advance(now)
        rt.metrics.inc("bus_engine_applied_total", len(items))


def attach(service: Any) -> BusSide | None:
    cfg = service.loaded.config.bus
    if cfg is None:
        return None
    side = BusSide(service, RedisBus(cfg))
    service.rt.metrics.gauge_callback(lambda: [("bus_reorder_buffer", {}, float(len(side.buffer)))])
    return side


class NoScorer:
    """A replica on the bus scores nothing itself (workers do), so it loads no model."""

    model_id = "none (scoring runs in monitor worker)"

    def score(self, texts: list[str], langs: list[str | None] | None = None) -> list[Any]:
        from monitor.errors import MonitorError

        raise MonitorError("this replica runs with bus: configured; posts are scored by `monitor worker`")
