"""PostgreSQL store: the same tables and methods as the SQLite store, for replicas.

Sync psycopg 3 on a small :class:`psycopg_pool.ConnectionPool`, because the store API is
sync: the pipeline's batch is one transaction with no awaits inside (the engine calls the
store between its own steps), and the SQLite store it mirrors is called the same way from
the event loop. Statements are a few milliseconds on a local network; a pool (rather than
one connection) gives reconnects after a PostgreSQL restart for free. Calls are serialised
by one lock per store, like SQLite's, so a transaction always sees its own connection.

Errors are converted at this boundary into :class:`StoreError` naming the server (never
the password), the operation and the fix, and kept as ``problem`` until a commit works.
The outbox is claimed per delivery (``FOR UPDATE SKIP LOCKED``; see ``pending_deliveries``).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from monitor.errors import StoreError
from monitor.store.codec import dumps, from_epoch, loads, to_epoch
from monitor.store.incidents import IncidentRows
from monitor.store.migrate import statements, to_apply
from monitor.store.postgres_replicas import PgReplicaMixin


def describe(dsn: str) -> str:
    """postgres://user@host:port/db for messages: the password never appears."""
    try:
        d = conninfo_to_dict(dsn)
    except psycopg.Error:
        return "postgres://(unparsable dsn)"
    return f"postgres://{d.get('user', '')}@{d.get('host', 'localhost')}:{d.get('port', 5432)}/{d.get('dbname', '')}"


def _params(args: Any) -> Any:
    return args if isinstance(args, dict) else tuple(args)


def _portable(sql: str) -> str:
    """``?`` placeholders (SQLite, portable SQL) as psycopg's ``%s``; a literal ``%`` is escaped."""
    return sql.replace("%", "%%").replace("?", "%s")


def _portable_args(args: Iterable[Any]) -> tuple[Any, ...]:
    """SQLite stores booleans as integers; the shared tables' columns are INTEGER on both backends."""
    return tuple(int(a) if isinstance(a, bool) else a for a in args)


class PgFaults:
    """What went wrong last, for /healthz; the SQLite store's StoreFaults, without file checks."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.problem: str | None = None
        self.corrupt: str | None = None
        self.errors = 0

    def error(self, what: str, exc: BaseException) -> StoreError:
        self.errors += 1
        self.problem = f"store {self.where}: {what}: {str(exc).strip() or type(exc).__name__}{_hint(exc)}"
        return StoreError(self.problem)

    def ok(self) -> None:
        self.problem = None


def _hint(exc: BaseException) -> str:
    if isinstance(exc, PoolTimeout | psycopg.OperationalError):
        return (" (PostgreSQL is unreachable or refused the connection: is it running and is store.dsn right? "
                "The work is retried and nothing accepted is lost)")
    if isinstance(exc, psycopg.errors.DiskFull):
        return " (the database server's disk is full: free space; the work is retried)"
    return ""


class PostgresStore(IncidentRows, PgReplicaMixin):
    """One PostgreSQL database (or schema, via ``options=-csearch_path=...`` in the DSN)."""

    backend = "postgres"

    def __init__(self, dsn: str, *, holder: str | None = None, claim_ttl: float = 120.0,
                 connect_timeout: float = 10.0) -> None:
        self.dsn = dsn
        self.path = describe(dsn)  # what messages and /healthz call this store
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}"
        self.claim_ttl = claim_ttl
        self.faults = PgFaults(self.path)
        self._lock = threading.RLock()
        self._depth = 0
        self._conn: psycopg.Connection[Any] | None = None
        self.pool = ConnectionPool(dsn, min_size=1, max_size=2, kwargs={"autocommit": True}, open=False,
                                   check=ConnectionPool.check_connection, timeout=connect_timeout,
                                   name="monitor-store")
        try:
            self.pool.open(wait=True, timeout=connect_timeout)
        except (PoolTimeout, psycopg.Error) as exc:
            self.pool.close()
            raise StoreError(f"store {self.path}: cannot connect to PostgreSQL ({str(exc).strip()}); is the server "
                             f"running and does store.dsn point at it? (e.g. `pg_ctlcluster 16 main start` or "
                             f"`docker compose -f deploy/compose.scale.yaml up -d postgres`)") from exc
        try:
            self.migrate()
        except BaseException:
            self.pool.close()
            raise

    @property
    def problem(self) -> str | None:
        return self.faults.problem

    def close(self) -> None:
        with self._lock:
            self.pool.close()

    def migrate(self) -> list[int]:
        """Apply missing migrations; an advisory lock keeps two replicas from racing at start."""
        done = []
        with self.transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(7140014)")
            exists = conn.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()[0]  # type: ignore[index]
            current = int(self.get_meta("schema_version") or 0) if exists else 0
            for m in to_apply("postgres", current, self.path):
                for stmt in statements(m.sql):
                    conn.execute(stmt)  # type: ignore[arg-type]
                self.set_meta("schema_version", str(m.version))
                done.append(m.version)
        return done

    # -- transactions -------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[Any]]:
        """BEGIN ... COMMIT on one pooled connection; nested calls join the outer transaction."""
        with self._lock:
            if self._depth:
                assert self._conn is not None
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            try:
                lease = self.pool.connection()
                conn = lease.__enter__()
                conn.execute("BEGIN")
            except (psycopg.Error, PoolTimeout) as exc:
                raise self.faults.error("cannot begin a transaction", exc) from exc
            self._conn, self._depth = conn, 1
            try:
                yield conn
            except psycopg.Error as exc:
                self._rollback(conn)
                raise self.faults.error("a write failed; the transaction was rolled back", exc) from exc
            except BaseException:
                self._rollback(conn)
                raise
            else:
                try:
                    conn.execute("COMMIT")
                except psycopg.Error as exc:
                    self._rollback(conn)
                    raise self.faults.error("commit failed; nothing of the transaction was saved", exc) from exc
                self.faults.ok()
            finally:
                self._conn, self._depth = None, 0
                lease.__exit__(None, None, None)

    @staticmethod
    def _rollback(conn: psycopg.Connection[Any]) -> None:
        with contextlib.suppress(psycopg.Error):  # a broken connection: the pool discards it
            conn.execute("ROLLBACK")

    @contextmanager
    def _use(self) -> Iterator[psycopg.Connection[Any]]:
        if self._depth:
            assert self._conn is not None
            yield self._conn
            return
        with self.pool.connection() as conn:
            yield conn

    def _q(self, sql: str, args: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                with self._use() as conn:
                    return conn.execute(sql, _params(args)).fetchall()  # type: ignore[arg-type]
            except (psycopg.Error, PoolTimeout) as exc:
                raise self.faults.error("a query failed", exc) from exc

    def _x(self, sql: str, args: Iterable[Any] = ()) -> int:
        with self._lock:
            try:
                with self._use() as conn:
                    n = conn.execute(sql, _params(args)).rowcount  # type: ignore[arg-type]
            except (psycopg.Error, PoolTimeout) as exc:
                raise self.faults.error("a write failed", exc) from exc
            if not self._depth:
                self.faults.ok()
            return n

    def _many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        with self.transaction() as conn, conn.cursor() as cur:
            cur.executemany(sql, rows)  # type: ignore[arg-type]

    # -- hook for companion tables (monitor/store_actions.py): portable SQL with ? placeholders --
    def query(self, sql: str, args: Iterable[Any] = ()) -> list[Any]:
        """Run a read for a companion module that owns its own tables (``?`` placeholders)."""
        return self._q(_portable(sql), _portable_args(args))

    def execute(self, sql: str, args: Iterable[Any] = ()) -> int:
        """Run one write for a companion module; joins an open :meth:`transaction`."""
        return self._x(_portable(sql), _portable_args(args))

    # -- baselines (issue 10; table from migration 0003) ---------------------------------------
    def save_baselines(self, items: Iterable[tuple[str, str]], now: datetime | None) -> None:
        """Write changed baseline series (``key -> Series.to_text()``), inside the caller's transaction."""
        rows = [(k, v, to_epoch(now) if now else None) for k, v in items]
        if rows:
            self._many("INSERT INTO baselines(key, data, updated) VALUES(%s, %s, %s) ON CONFLICT(key) DO "
                       "UPDATE SET data=excluded.data, updated=excluded.updated", rows)

    def load_baselines(self, prefix: str = "") -> dict[str, str]:
        """Every stored baseline series (optionally of one brand: ``prefix='acme|'``), in byte order."""
        rows = self._q('SELECT key, data FROM baselines WHERE starts_with(key, %s) ORDER BY key COLLATE "C"',
                       (prefix,))
        return {r[0]: r[1] for r in rows}

    # -- meta ---------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        rows = self._q("SELECT value FROM meta WHERE key=%s", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self._x("INSERT INTO meta(key, value) VALUES(%s, %s) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (key, value))

    def bump_generation(self) -> int:
        with self.transaction():
            gen = int(self.get_meta("signals_generation") or 0) + 1
            self.set_meta("signals_generation", str(gen))
        return gen

    def generation(self) -> int:
        return int(self.get_meta("signals_generation") or 0)

    # -- seen ids and cursors -------------------------------------------------------------------
    def unseen(self, keys: list[str]) -> set[str]:
        if not keys:
            return set()
        known = {r[0] for r in self._q("SELECT key FROM seen WHERE key = ANY(%s)", (list(keys),))}
        return {k for k in keys if k not in known}

    def mark_seen(self, items: Iterable[tuple[str, datetime]]) -> None:
        self._many("INSERT INTO seen(key, ts) VALUES(%s, %s) ON CONFLICT DO NOTHING",
                   [(k, to_epoch(ts)) for k, ts in items])

    def get_cursor(self, source: str) -> Any:
        rows = self._q("SELECT value FROM cursors WHERE source=%s", (source,))
        return loads(rows[0][0]) if rows and rows[0][0] is not None else None

    def set_cursor(self, source: str, value: Any, now: datetime) -> None:
        self._x("INSERT INTO cursors(source, value, updated) VALUES(%s, %s, %s) ON CONFLICT(source) DO UPDATE "
                "SET value=excluded.value, updated=excluded.updated", (source, dumps(value), to_epoch(now)))

    def prune(self, before: datetime) -> int:
        cut = to_epoch(before)
        with self.transaction():
            n = self._x("DELETE FROM seen WHERE ts < %s", (cut,))
            n += self._x("DELETE FROM posts WHERE ts < %s", (cut,))
            n += self._x("DELETE FROM signals WHERE ts < %s", (cut,))
        return n

    # -- scored posts and relabels ------------------------------------------------------------------
    def save_post(self, key: str, ts: datetime, source: str, brands: list[str], label: str, score: float,
                  model: str, post: dict[str, Any], matches: list[dict[str, Any]]) -> None:
        self._x("INSERT INTO posts(key, ts, source, brands, label, score, model, human_label, post, matches) "
                "VALUES(%s, %s, %s, %s, %s, %s, %s, (SELECT label FROM relabels WHERE key=%s), %s, %s) "
                "ON CONFLICT(key) DO UPDATE SET ts=excluded.ts, source=excluded.source, brands=excluded.brands, "
                "label=excluded.label, score=excluded.score, model=excluded.model, "
                "human_label=excluded.human_label, post=excluded.post, matches=excluded.matches",
                (key, to_epoch(ts), source, dumps(brands), label, score, model, key, dumps(post), dumps(matches)))

    def get_post(self, key: str) -> dict[str, Any] | None:
        rows = self._q("SELECT key, ts, source, brands, label, score, model, human_label, post, matches "
                       "FROM posts WHERE key=%s", (key,))
        if not rows:
            return None
        r = rows[0]
        return {"key": r[0], "ts": from_epoch(r[1]), "source": r[2], "brands": loads(r[3]), "label": r[4],
                "score": r[5], "model": r[6], "human_label": r[7], "post": loads(r[8]), "matches": loads(r[9])}

    def save_relabel(self, key: str, label: str, by: str, at: datetime, note: str | None) -> None:
        with self.transaction():
            self._x("INSERT INTO relabels(key, label, by, at, note) VALUES(%s, %s, %s, %s, %s) ON CONFLICT(key) "
                    "DO UPDATE SET label=excluded.label, by=excluded.by, at=excluded.at, note=excluded.note",
                    (key, label, by, to_epoch(at), note))
            self._x("UPDATE posts SET human_label=%s WHERE key=%s", (label, key))

    def relabel_for(self, keys: list[str]) -> dict[str, str]:
        if not keys:
            return {}
        return {r[0]: r[1] for r in self._q("SELECT key, label FROM relabels WHERE key = ANY(%s)", (list(keys),))}

    # -- engine signals ---------------------------------------------------------------------------
    def add_signal(self, scope: str, brand: str, ts: datetime, kind: str, ref: str, data: dict[str, Any]) -> None:
        # like SQLite's INSERT OR REPLACE: a replaced signal moves to the end of the id order
        self._x("INSERT INTO signals(scope, brand, ts, kind, ref, data) VALUES(%s, %s, %s, %s, %s, %s) "
                "ON CONFLICT(scope, kind, ref) DO UPDATE SET id=nextval('signals_id_seq'), brand=excluded.brand, "
                "ts=excluded.ts, data=excluded.data", (scope, brand, to_epoch(ts), kind, ref, dumps(data)))

    def remove_signals(self, kind: str, ref: str) -> int:
        return self._x("DELETE FROM signals WHERE kind=%s AND ref=%s", (kind, ref))

    def signals_since(self, since: datetime) -> list[tuple[str, str, datetime, str, str, dict[str, Any]]]:
        rows = self._q("SELECT scope, brand, ts, kind, ref, data FROM signals WHERE ts >= %s ORDER BY ts, id",
                       (to_epoch(since),))
        return [(r[0], r[1], from_epoch(r[2]), r[3], r[4], loads(r[5])) for r in rows]
