"""`monitor record`: run the configured live sources and write what they produce as a recording.

The output is DESIGN.md's event format, one JSON object per line, so a real day can be
replayed in a drill. Recording keeps its own cursors and seen ids (``<out>.state.db``)
and never touches the daemon's store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from pathlib import Path

import aiohttp

from monitor.clock import Clock
from monitor.config import Loaded
from monitor.errors import MonitorError, SourceError
from monitor.feed import FeedWriter
from monitor.sources.base import SOURCES, Source, SourceContext
from monitor.store import Store

log = logging.getLogger(__name__)


async def _loop(source: Source, store: Store, writer: FeedWriter, clock: Clock, stop: asyncio.Event) -> None:
    interval = source.config.interval.total_seconds()
    while not stop.is_set():
        wait = interval
        try:
            batch = await source.poll(store.get_cursor(source.name))
        except SourceError as exc:
            log.warning("source %s failed: %s", source.name, exc)
            wait = max(interval, exc.retry_after or 0)
        else:
            fresh = store.unseen([e.key for e in batch.events])
            with store.transaction():
                for e in batch.events:
                    if e.key in fresh:
                        writer.write(e)
                        fresh.discard(e.key)
                store.mark_seen((e.key, e.ts) for e in batch.events)
                store.set_cursor(source.name, batch.cursor, clock.now())
            for reason, n in batch.skipped.items():
                log.warning("%s: skipped %d item(s): %s", source.name, n, reason)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=wait)


async def record(loaded: Loaded, out: Path, clock: Clock, duration: timedelta | None,
                 stop: asyncio.Event | None = None) -> int:
    """Record until ``duration`` passes or ``stop`` is set; returns the number of events written."""
    stop = stop or asyncio.Event()
    polled = [c for c in loaded.config.sources if c.enabled]
    store = Store(Path(f"{out}.state.db"))
    writer = FeedWriter(out)
    async with aiohttp.ClientSession(headers={"User-Agent": loaded.config.runtime.user_agent}) as session:
        ctx = SourceContext(clock=clock, session=session, user_agent=loaded.config.runtime.user_agent)
        sources = []
        for cfg in polled:
            cls = SOURCES.get(cfg.kind)
            if cls is None or cls.streaming:
                log.warning("source %s (%s) is a push/replay source; it is not recorded", cfg.display_name(),
                            cfg.kind)
                continue
            sources.append(cls(cfg, ctx))
        if not sources:
            raise MonitorError("no polled sources in the configuration: nothing to record")
        tasks = [asyncio.create_task(_loop(s, store, writer, clock, stop)) for s in sources]
        try:
            if duration is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=duration.total_seconds())
            else:
                await stop.wait()
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            for s in sources:
                await s.close()
            writer.close()
            store.close()
    return writer.written
