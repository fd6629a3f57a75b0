"""The daemon's state behind one interface, on SQLite (the default) or PostgreSQL (replicas).

``from monitor.store import Store`` is the SQLite store, as it always was; ``open_store``
picks the backend from ``store:`` in the config. :class:`StoreLike` is the interface both
backends implement (and the shared suite in tests/store/ checks); a new table is one
migration file per backend (``migrations/<backend>/NNNN_name.sql``) plus its methods on both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from monitor.store.codec import dumps, from_epoch, loads, to_epoch
from monitor.store.sqlite import SCHEMA_VERSION, Store

__all__ = ["SCHEMA_VERSION", "Store", "StoreLike", "dumps", "from_epoch", "load_baselines", "loads", "open_store",
           "open_url", "save_baselines", "to_epoch"]


class StoreLike(Protocol):
    """What the pipeline, engine, outbox and commands use (see monitor/store/sqlite.py for each method)."""

    backend: str
    path: str
    faults: Any

    @property
    def problem(self) -> str | None: ...
    def close(self) -> None: ...
    def migrate(self) -> list[int]: ...
    def transaction(self) -> Any: ...
    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...
    def unseen(self, keys: list[str]) -> set[str]: ...
    def get_cursor(self, source: str) -> Any: ...
    def set_cursor(self, source: str, value: Any, now: datetime) -> None: ...
    def pending_deliveries(self, now: datetime, limit: int = 100) -> list[tuple[str, str, int, int]]: ...
    def acquire_lease(self, name: str, holder: str, ttl: float) -> bool: ...
    def release_lease(self, name: str, holder: str) -> None: ...
    def leases(self, prefix: str = "") -> dict[str, tuple[str, float]]: ...
    def check_lease(self, name: str, holder: str) -> None: ...
    def tables(self) -> list[str]: ...
    def query(self, sql: str, args: Any = ()) -> list[Any]: ...
    def execute(self, sql: str, args: Any = ()) -> int: ...
    def begin_delivery(self, notification_id: str, notifier: str) -> bool: ...
    def reconcile_sending(self, max_attempts: int) -> tuple[int, int]: ...
    def save_baselines(self, items: Any, now: datetime | None) -> None: ...
    def load_baselines(self, prefix: str = "") -> dict[str, str]: ...


def save_baselines(store: Any, items: Any, now: datetime | None) -> None:
    """Write changed baseline series (``key -> Series.to_text()``), inside the caller's transaction."""
    store.save_baselines(items, now)


def load_baselines(store: Any, prefix: str = "") -> dict[str, str]:
    """Every stored baseline series (optionally of one brand: ``prefix='acme|'``)."""
    return dict(store.load_baselines(prefix))


def open_url(url: str, **kw: Any) -> Any:
    """``sqlite:PATH`` or ``postgres:DSN`` (a bare ``postgresql://`` DSN works too)."""
    if url.startswith("sqlite:"):
        return Store(url[len("sqlite:"):])
    if url.startswith("postgres:") and not url.startswith("postgres://"):
        url = url[len("postgres:"):]
    if url.startswith(("postgresql://", "postgres://", "host=", "dbname=")):
        from monitor.store.postgres import PostgresStore

        return PostgresStore(url, **kw)
    from monitor.errors import StoreError

    raise StoreError(f"store URL {url.split('@')[-1]!r}: expected sqlite:PATH or postgres:DSN "
                     "(e.g. postgres:postgresql://monitor@db:5432/monitor)")


def open_store(cfg: Any, **kw: Any) -> Any:
    """The store a ``store:`` config section describes."""
    if getattr(cfg, "backend", "sqlite") == "postgres":
        from monitor.store.postgres import PostgresStore

        return PostgresStore(cfg.dsn, **kw)
    return Store(cfg.path)
