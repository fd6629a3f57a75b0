"""How a :class:`~monitor.service.Service` runs as one of several replicas (store backend postgres).

Kept out of service.py: ``attach`` builds the :class:`LeaseKeeper`, fences the engine's
transactions with the engine lease, adds ``replica`` to /healthz and lease gauges to
/metrics; ``LeasedSource`` makes a streaming source run only while its lease is held,
restarting from the stored cursor when it is (re)gained.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator
from typing import Any

from monitor.replicas.leases import ENGINE, Fenced, LeaseKeeper, source_lease

log = logging.getLogger(__name__)


def replica_id(config: Any) -> str:
    return config.replica.id or f"{socket.gethostname()}:{os.getpid()}"


def attach(service: Any) -> LeaseKeeper | None:
    """Set up leases for ``service`` (after build_runtime); None on SQLite: a single process holds everything."""
    rt = service.rt
    cfg = service.loaded.config
    if cfg.store.backend != "postgres":
        return None
    keeper = LeaseKeeper(rt.store, rt.store.holder, cfg.replica, spread_sources=cfg.bus is not None,
                         on_change=lambda gained, lost: _changed(service, gained, lost))
    keeper.sources = [s.display_name() for s in cfg.sources if s.enabled and not _push(s, cfg)]
    rt.engine.store = Fenced(rt.store, ENGINE, keeper.id)
    rt.health.probes["replica"] = keeper.health
    rt.metrics.gauge_callback(keeper.gauges)
    keeper.step()
    return keeper


def _push(source_cfg: Any, cfg: Any) -> bool:
    """With the bus, push sources (webhook) run on every replica: each accepts what is pushed to it."""
    return cfg.bus is not None and source_cfg.kind == "webhook"


def may_run(service: Any, source: str) -> bool:
    keeper = getattr(service, "replicas", None)
    return keeper is None or source not in keeper.sources or keeper.holds(source_lease(source))


def leader(service: Any) -> bool:
    keeper = getattr(service, "replicas", None)
    return keeper is None or keeper.holds(ENGINE)


def _changed(service: Any, gained: set[str], lost: set[str]) -> None:
    rt = service.rt
    if rt is None:
        return
    if ENGINE in gained:
        rt.pipeline._engine_stale = True  # rebuild windows and incidents from the store before the next batch
    now = service.clock.now()
    for name in gained | lost:
        if not name.startswith("source:"):
            continue
        h = rt.health.sources.get(name[len("source:"):])
        if h is None:
            continue
        if name in gained:  # judged from now on: its silence limit starts at the takeover
            h.done, h.started_at, h.last_event_at, h.consecutive_failures = False, now, None, 0
        else:
            h.done, h.blind, h.blind_since = True, False, None  # another replica's now: not ours to judge


def park(service: Any) -> None:
    """Sources another replica holds are not ours to judge: shown as done, never a blind spot here."""
    keeper, rt = service.replicas, service.rt
    if keeper is None or rt is None:
        return
    for name in keeper.sources:
        h = rt.health.sources.get(name)
        if h is not None and not h.done and not keeper.holds(source_lease(name)):
            h.done, h.blind, h.blind_since = True, False, None


async def renew(service: Any, task: Any) -> None:
    """The supervised lease loop."""
    keeper: LeaseKeeper = service.replicas
    interval = keeper.config.renew_interval.total_seconds()
    while not service.stop_event.is_set():
        keeper.step()  # a few short statements, like every store call on the loop
        park(service)
        task.progress(service.clock.now())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(service.stop_event.wait(), timeout=interval)


class LeasedSource:
    """A streaming source that streams only while this replica holds its lease."""

    def __init__(self, source: Any, service: Any) -> None:
        self._source = source
        self._service = service

    def __getattr__(self, name: str) -> Any:
        return getattr(self._source, name)

    async def stream(self, cursor: Any) -> AsyncIterator[Any]:
        service, name = self._service, self._source.name
        while not service.stop_event.is_set():
            while not may_run(service, name):
                await asyncio.sleep(0.2)
                if service.stop_event.is_set():
                    return
            inner = self._source.stream(service.rt.store.get_cursor(name))  # where the last holder stopped
            try:
                async for batch in inner:
                    if not may_run(service, name):
                        log.warning("source %s: lease lost; stopping here, its new holder continues", name)
                        break
                    yield batch
                    if batch.done:
                        return
            finally:
                await inner.aclose()
