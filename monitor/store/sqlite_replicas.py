"""The SQLite store's share of the replica interface: leases and whole-table copy.

One SQLite file serves one process, so leases here are trivially won; they exist so the
daemon's lease code (and /healthz) is the same on both backends, and so the shared store
suite checks their semantics everywhere. Lease time is the wall clock of this host.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from monitor.errors import LeaseLost

_LEASE = ("INSERT INTO leases(name, holder, expires, acquired) VALUES(?, ?, ?, ?) ON CONFLICT(name) DO UPDATE "
          "SET holder=excluded.holder, expires=excluded.expires, acquired=CASE WHEN leases.holder=excluded.holder "
          "THEN leases.acquired ELSE excluded.acquired END "
          "WHERE leases.holder=excluded.holder OR leases.expires < excluded.acquired")


class SqliteReplicaMixin:
    backend = "sqlite"
    _q: Any
    _x: Any
    _db: Any
    transaction: Any

    # -- leases -------------------------------------------------------------------------------
    def acquire_lease(self, name: str, holder: str, ttl: float) -> bool:
        """Take or renew ``name`` for ``ttl`` seconds; False while someone else holds it unexpired."""
        now = time.time()
        return bool(self._x(_LEASE, (name, holder, now + ttl, now)))

    def release_lease(self, name: str, holder: str) -> None:
        self._x("DELETE FROM leases WHERE name=? AND holder=?", (name, holder))

    def leases(self, prefix: str = "") -> dict[str, tuple[str, float]]:
        """name -> (holder, seconds left) of unexpired leases whose name starts with ``prefix``."""
        now = time.time()
        rows = self._q("SELECT name, holder, expires FROM leases WHERE expires >= ? AND substr(name, 1, ?) = ?",
                       (now, len(prefix), prefix))
        return {r[0]: (r[1], r[2] - now) for r in rows}

    def check_lease(self, name: str, holder: str) -> None:
        """Inside a transaction: raise :class:`LeaseLost` unless ``holder`` still holds ``name``."""
        rows = self._q("SELECT 1 FROM leases WHERE name=? AND holder=? AND expires >= ?", (name, holder, time.time()))
        if not rows:
            raise LeaseLost(f"lease {name!r} is no longer held by {holder}")

    # -- whole tables (monitor store copy) ----------------------------------------------------
    def tables(self) -> list[str]:
        return [r[0] for r in self._q("SELECT name FROM sqlite_master WHERE type='table' "
                                      "AND name NOT LIKE 'sqlite_%' ORDER BY name")]

    def dump_table(self, table: str) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
        cur = self._db.execute(f'SELECT * FROM "{table}" ORDER BY rowid')
        return [d[0] for d in cur.description], iter(cur.fetchall())

    def load_table(self, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> int:
        cols = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" * len(columns))
        with self.transaction():
            cur = self._db.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', list(rows))
        return cur.rowcount
