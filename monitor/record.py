"""`monitor record`: run the configured live sources and write what they produce as a recording.

The output is the event format, one JSON object per line, so a real day can be
replayed in a drill. Recording keeps its own cursors and seen ids (``<out>.state.db``)
and never touches the daemon's store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from pathlib import Path

from monitor.clock import Clock
from monitor.config import Loaded
from monitor.errors import MonitorError, SourceError
from monitor.feed import FeedWriter
from monitor.httpclient import new_session
from monitor.sources.base import SOURCES, Source, SourceContext
from monitor.store import Store

log = logging.getLogger(__name__)


async def _loop(source: Source, store: Store, writer: FeedWriter, clock: Clock, stop: asyncio.Event) -> None:
    """Poll until stopped. A failure of any kind is logged and retried with back-off, never the end
    of the loop: a recording that silently stops recording one channel is a blind spot.

    Lines are written before their seen ids are committed (a crash may repeat a line, which a
    replay's dedup folds, but never loses one); lines written under a commit that failed are
    remembered, so the retry does not write them again.
    """
    interval = source.config.interval.total_seconds()
    uncommitted: set[str] = set()
    failures = 0
    while not stop.is_set():
        wait = interval
        try:
            batch = await source.poll(store.get_cursor(source.name))
            fresh = store.unseen([e.key for e in batch.events]) - uncommitted
            with store.transaction():
                for e in batch.events:
                    if e.key in fresh:
                        writer.write(e)
                        fresh.discard(e.key)
                        uncommitted.add(e.key)
                store.mark_seen((e.key, e.ts) for e in batch.events)
                store.set_cursor(source.name, batch.cursor, clock.now())
            uncommitted.clear()
            failures = 0
            for reason, n in batch.skipped.items():
                log.warning("%s: skipped %d item(s): %s", source.name, n, reason)
        except SourceError as exc:
            log.warning("source %s failed: %s", source.name, exc)
            wait = max(interval, exc.retry_after or 0)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a storage or disk error: keep recording once it passes
            failures += 1
            wait = min(interval * 2 ** min(failures, 6), max(interval, 600.0))
            log.error("recording %s failed (%d in a row), retrying in %.0fs: %s: %s", source.name, failures, wait,
                      type(exc).__name__, exc, extra={"source": source.name})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=wait)


async def record(loaded: Loaded, out: Path, clock: Clock, duration: timedelta | None,
                 stop: asyncio.Event | None = None) -> int:
    """Record until ``duration`` passes or ``stop`` is set; returns the number of events written."""
    stop = stop or asyncio.Event()
    polled = [c for c in loaded.config.sources if c.enabled]
    store = Store(Path(f"{out}.state.db"))
    writer = FeedWriter(out)
    async with new_session(loaded.config.runtime.user_agent) as session:
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
