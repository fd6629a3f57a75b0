"""Leases that let N replicas of ``monitor run`` share one PostgreSQL without stepping on each other.

- ``replica:<id>``: a heartbeat; live replicas are those whose heartbeat is unexpired.
- ``engine``: exactly one replica runs the alert engine (one writer per brand: all brands
  on the leader). Its batch transactions re-check the lease in the database (the row is
  locked ``FOR SHARE``), so a replica that stalled past its lease cannot write after a
  successor took over.
- ``source:<name>``: one poller per source. Without the bus the engine runs where events
  are collected, so only the engine holder takes sources (active/standby); with the bus,
  collectors only append to the stream and sources spread over the live replicas (each
  takes at most its fair share, and gives back what is above it when replicas join).

A lease is renewed every ``renew_interval``; one not renewed for ``lease_ttl`` is taken
over at the next renewal of another replica, so a dead holder's work moves within
``lease_ttl + renew_interval``. Locally a lease counts as held only until ``lease_ttl``
minus one ``renew_interval`` after the last renewal that succeeded, so a replica cut off
from the database stops acting before anyone else may start.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from monitor.errors import MonitorError
from monitor.replicas.settings import ReplicaConfig

log = logging.getLogger(__name__)

ENGINE = "engine"


def source_lease(name: str) -> str:
    return f"source:{name}"


class LeaseKeeper:
    """Acquires, renews and gives back this replica's leases; ``step()`` runs every renew_interval."""

    def __init__(self, store: Any, replica_id: str, config: ReplicaConfig, *, spread_sources: bool,
                 on_change: Callable[[set[str], set[str]], None] | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.id = replica_id
        self.config = config
        self.spread_sources = spread_sources
        self.on_change = on_change
        self.monotonic = monotonic
        self.sources: list[str] = []
        self._held: dict[str, float] = {}  # lease -> local time its last renewal was sent
        self.problem: str | None = None
        self.takeovers = 0
        self._reported: set[str] = set()  # what the last step reported as held (losses by time-out show next step)

    @property
    def ttl(self) -> float:
        return self.config.lease_ttl.total_seconds()

    def holds(self, lease: str) -> bool:
        sent = self._held.get(lease)
        margin = self.config.renew_interval.total_seconds()
        return sent is not None and self.monotonic() - sent < self.ttl - margin

    def held(self) -> set[str]:
        return {name for name in self._held if self.holds(name)}

    def _take(self, name: str) -> bool:
        sent = self.monotonic()
        if self.store.acquire_lease(name, self.id, self.ttl):
            self._held[name] = sent
            return True
        self._held.pop(name, None)
        return False

    def _give(self, name: str) -> None:
        self._held.pop(name, None)
        self.store.release_lease(name, self.id)

    def step(self) -> None:
        """Renew what is held, take what is free and ours to take, give back what is above our share."""
        before = self._reported
        try:
            self._take(f"replica:{self.id}")
            engine = self._take(ENGINE)
            sources = [source_lease(s) for s in self.sources]
            if self.spread_sources:
                live = max(1, len(self.store.leases("replica:")))
                share = math.ceil(len(sources) / live)
                mine = [s for s in sources if s in self._held]
                for name in mine[share:]:
                    self._give(name)  # a replica joined: leave it some work
                for name in sources:
                    if name not in self._held and len([s for s in sources if s in self._held]) >= share:
                        break
                    self._take(name)
            else:  # active/standby: sources go with the engine
                for name in sources:
                    if engine:
                        self._take(name)
                    elif name in self._held:
                        self._give(name)
            for name in list(self._held):
                if name.startswith("source:") and name not in sources:
                    self._give(name)  # the source was removed by a reload
            self.problem = None
        except MonitorError as exc:
            self.problem = f"leases could not be renewed: {exc}"
            log.warning("replica %s: %s", self.id, self.problem)
        after = self._reported = self.held()
        if after != before:
            gained, lost = after - before, before - after
            if gained - {f"replica:{self.id}"}:
                log.warning("replica %s took lease(s) %s", self.id, ", ".join(sorted(gained)))
            if lost:
                log.warning("replica %s lost lease(s) %s", self.id, ", ".join(sorted(lost)))
            self.takeovers += len(gained)
            if self.on_change is not None:
                self.on_change(gained, lost)

    def release_all(self) -> None:
        """At shutdown: hand everything over at once instead of after lease_ttl."""
        for name in list(self._held):
            try:
                self._give(name)
            except MonitorError:
                log.warning("replica %s: could not release %s; it expires in %.0fs", self.id, name, self.ttl)

    def health(self) -> dict[str, Any]:
        """/healthz: this replica's id and the leases it holds; others holding the rest."""
        held = sorted(self.held())
        out: dict[str, Any] = {"status": "unhealthy" if self.problem else "ok", "problem": self.problem,
                               "id": self.id, "engine": ENGINE in held, "leases": held}
        try:
            out["holders"] = {name: holder for name, (holder, _left) in sorted(self.store.leases().items())
                              if not name.startswith("replica:")}
            out["replicas"] = sorted(h for h, _ in self.store.leases("replica:").values())
        except MonitorError:
            pass
        return out

    def gauges(self) -> list[tuple[str, dict[str, str], float]]:
        held = self.held()
        out = [("replica_info", {"replica": self.id}, 1.0),
               ("replica_engine_leader", {}, 1.0 if ENGINE in held else 0.0),
               ("replica_leases_held", {}, float(len([h for h in held if not h.startswith("replica:")]))),
               ("replica_lease_takeovers", {}, float(self.takeovers))]
        for name in self.sources:
            out.append(("replica_source_lease", {"source": name}, 1.0 if source_lease(name) in held else 0.0))
        return out


class Fenced:
    """A store whose outermost transactions first check that this replica still holds ``lease``.

    Given to the engine (which opens the batch transaction), so everything the batch writes
    — signals, incidents, notifications, the cursor — commits only under the lease.
    """

    def __init__(self, store: Any, lease: str, holder: str) -> None:
        self._store = store
        self._lease = lease
        self._holder = holder

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    @contextmanager
    def transaction(self) -> Any:
        outer = not self._store._depth
        with self._store.transaction() as conn:
            if outer:
                self._store.check_lease(self._lease, self._holder)
            yield conn
