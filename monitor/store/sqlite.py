"""SQLite (WAL) store: what was seen, where each source stands, signals, incidents, outbox.

The store is the daemon's memory across restarts. The pipeline writes one batch —
seen ids, scored posts, engine signals, incident changes, new notifications and the
source's cursor — in ONE transaction, so after a crash a batch is either wholly done
(and will not be re-read or re-alerted) or wholly undone (and will be fetched again).
Times are stored as epoch seconds (REAL) so they sort and compare in SQL.

Storage faults are ours to explain (:mod:`monitor.store_faults`): every sqlite3 error is
converted at this boundary into :class:`StoreError` naming the file, the operation and the
fix, and remembered in ``problem`` (shown on /healthz) until a later commit succeeds. The
store refuses to open a corrupted database (``PRAGMA quick_check``) or one whose files
cannot be written, and it stops touching SQLite while the ``-shm`` file is unwritable,
because SQLite maps that file into memory and a write to it then kills the process (SIGBUS).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor.errors import StoreError
from monitor.store.codec import dumps, from_epoch, loads, to_epoch
from monitor.store.incidents import IncidentRows
from monitor.store.migrate import latest, statements, to_apply
from monitor.store.sqlite_replicas import SqliteReplicaMixin
from monitor.store_faults import StoreFaults

SCHEMA_VERSION = latest("sqlite")




class Store(IncidentRows, SqliteReplicaMixin):
    """One SQLite database file. Thread-safe for the daemon's few threads via a lock."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.faults = StoreFaults(self.path)
        if self.path != ":memory:":
            self.faults.preflight()
        db: sqlite3.Connection | None = None
        try:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA busy_timeout=30000")
            self.faults.integrity(db)
        except (sqlite3.Error, StoreError) as exc:
            if db is not None:
                db.close()
            if isinstance(exc, StoreError):
                raise
            raise self.faults.error("cannot open the store", exc) from exc
        self._db = db
        self._lock = threading.RLock()
        self._depth = 0
        self.migrate()

    def migrate(self) -> list[int]:
        """Apply the numbered migrations this file lacks (:mod:`monitor.store.migrate`); returns them."""
        has_meta = self._q("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'")
        current = int(self.get_meta("schema_version") or 0) if has_meta else 0
        done = []
        for m in to_apply("sqlite", current, self.path):
            with self.transaction():
                for stmt in statements(m.sql):
                    self._db.execute(stmt)
                self.set_meta("schema_version", str(m.version))
            done.append(m.version)
        return done

    @property
    def problem(self) -> str | None:
        """Why the last storage operation failed, until a commit succeeds (None: healthy)."""
        return self.faults.problem

    def close(self) -> None:
        with self._lock:
            if not self.faults.safe_to_touch():
                self.faults.abandon(self._db)  # closing would write to the unwritable -shm: SIGBUS
                return
            self._db.close()

    # -- transactions -------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (nested calls join the outer transaction).

        Any sqlite3 error inside becomes a :class:`StoreError`; a failed COMMIT is reported as
        a failed commit (whatever SQLite rolled back on its own), never as a failed rollback.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._db
                finally:
                    self._depth -= 1
                return
            self.faults.guard()
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self.faults.error("cannot begin a transaction", exc) from exc
            self._depth = 1
            try:
                yield self._db
            except sqlite3.Error as exc:
                self._rollback()
                raise self.faults.error("a write failed; the transaction was rolled back", exc) from exc
            except BaseException:
                self._rollback()
                raise
            else:
                try:
                    self._db.execute("COMMIT")
                except sqlite3.Error as exc:
                    self._rollback()
                    raise self.faults.error("commit failed; nothing of the transaction was saved", exc) from exc
                self.faults.ok()
            finally:
                self._depth = 0

    def _rollback(self) -> None:
        """Undo what is left of a transaction; SQLite may already have rolled back on its own."""
        if not self._db.in_transaction:
            return
        try:
            self._db.execute("ROLLBACK")
        except sqlite3.Error as exc:  # keep the original error; this one only goes to the log
            self.faults.log_rollback_failure(exc)

    def _q(self, sql: str, args: Iterable[Any] = ()) -> list[sqlite3.Row | tuple[Any, ...]]:
        with self._lock:
            if not self._depth:
                self.faults.guard()
            try:
                return self._db.execute(sql, tuple(args)).fetchall()
            except sqlite3.Error as exc:
                raise self.faults.error("a query failed", exc) from exc

    def _x(self, sql: str, args: Iterable[Any] = ()) -> int:
        with self._lock:
            if not self._depth:
                self.faults.guard()
            try:
                n = self._db.execute(sql, tuple(args)).rowcount
            except sqlite3.Error as exc:
                raise self.faults.error("a write failed", exc) from exc
            if not self._depth:
                self.faults.ok()  # an autocommit write went through
            return n

    # -- hook for companion tables (monitor/store_actions.py) -----------------------------
    def query(self, sql: str, args: Iterable[Any] = ()) -> list[Any]:
        """Run a read for a companion module that owns its own tables (portable SQL only)."""
        return self._q(sql, args)

    def execute(self, sql: str, args: Iterable[Any] = ()) -> int:
        """Run one write for a companion module; joins an open :meth:`transaction`."""
        return self._x(sql, args)

    # -- meta ---------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        rows = self._q("SELECT value FROM meta WHERE key=?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self._x("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (key, value))

    def bump_generation(self) -> int:
        """Mark signals as changed by someone else (a relabel) so the daemon reloads its windows."""
        with self.transaction():
            gen = int(self.get_meta("signals_generation") or 0) + 1
            self.set_meta("signals_generation", str(gen))
        return gen

    def generation(self) -> int:
        return int(self.get_meta("signals_generation") or 0)

    # -- seen ids and cursors --------------------------------------------------------------
    def unseen(self, keys: list[str]) -> set[str]:
        """The subset of ``keys`` not yet recorded as seen."""
        out: set[str] = set()
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            known = {r[0] for r in self._q(f"SELECT key FROM seen WHERE key IN ({marks})", chunk)}
            out.update(k for k in chunk if k not in known)
        return out

    def mark_seen(self, items: Iterable[tuple[str, datetime]]) -> None:
        with self.transaction():
            self._db.executemany("INSERT OR IGNORE INTO seen(key, ts) VALUES(?, ?)",
                                 [(k, to_epoch(ts)) for k, ts in items])

    def get_cursor(self, source: str) -> Any:
        rows = self._q("SELECT value FROM cursors WHERE source=?", (source,))
        return loads(rows[0][0]) if rows and rows[0][0] is not None else None

    def set_cursor(self, source: str, value: Any, now: datetime) -> None:
        self._x("INSERT INTO cursors(source, value, updated) VALUES(?, ?, ?) ON CONFLICT(source) DO UPDATE "
                "SET value=excluded.value, updated=excluded.updated", (source, dumps(value), to_epoch(now)))

    def prune(self, before: datetime) -> int:
        """Forget seen ids, posts and signals older than ``before`` (retention)."""
        cut = to_epoch(before)
        with self.transaction():
            n = self._x("DELETE FROM seen WHERE ts < ?", (cut,))
            n += self._x("DELETE FROM posts WHERE ts < ?", (cut,))
            n += self._x("DELETE FROM signals WHERE ts < ?", (cut,))
        return n

    # -- scored posts and relabels ----------------------------------------------------------
    def save_post(self, key: str, ts: datetime, source: str, brands: list[str], label: str, score: float,
                  model: str, post: dict[str, Any], matches: list[dict[str, Any]]) -> None:
        self._x("INSERT OR REPLACE INTO posts(key, ts, source, brands, label, score, model, human_label, post, "
                "matches) VALUES(?, ?, ?, ?, ?, ?, ?, (SELECT label FROM relabels WHERE key=?), ?, ?)",
                (key, to_epoch(ts), source, dumps(brands), label, score, model, key, dumps(post), dumps(matches)))

    def get_post(self, key: str) -> dict[str, Any] | None:
        rows = self._q("SELECT key, ts, source, brands, label, score, model, human_label, post, matches "
                       "FROM posts WHERE key=?", (key,))
        if not rows:
            return None
        r = rows[0]
        return {"key": r[0], "ts": from_epoch(r[1]), "source": r[2], "brands": loads(r[3]), "label": r[4],
                "score": r[5], "model": r[6], "human_label": r[7], "post": loads(r[8]), "matches": loads(r[9])}

    def save_relabel(self, key: str, label: str, by: str, at: datetime, note: str | None) -> None:
        self._x("INSERT OR REPLACE INTO relabels(key, label, by, at, note) VALUES(?, ?, ?, ?, ?)",
                (key, label, by, to_epoch(at), note))
        self._x("UPDATE posts SET human_label=? WHERE key=?", (label, key))

    def relabel_for(self, keys: list[str]) -> dict[str, str]:
        if not keys:
            return {}
        marks = ",".join("?" * len(keys))
        return {r[0]: r[1] for r in self._q(f"SELECT key, label FROM relabels WHERE key IN ({marks})", keys)}

    # -- engine signals -----------------------------------------------------------------------
    def add_signal(self, scope: str, brand: str, ts: datetime, kind: str, ref: str, data: dict[str, Any]) -> None:
        self._x("INSERT OR REPLACE INTO signals(scope, brand, ts, kind, ref, data) VALUES(?, ?, ?, ?, ?, ?)",
                (scope, brand, to_epoch(ts), kind, ref, dumps(data)))

    def remove_signals(self, kind: str, ref: str) -> int:
        return self._x("DELETE FROM signals WHERE kind=? AND ref=?", (kind, ref))

    def signals_since(self, since: datetime) -> list[tuple[str, str, datetime, str, str, dict[str, Any]]]:
        rows = self._q("SELECT scope, brand, ts, kind, ref, data FROM signals WHERE ts >= ? ORDER BY ts, id",
                       (to_epoch(since),))
        return [(r[0], r[1], from_epoch(r[2]), r[3], r[4], loads(r[5])) for r in rows]

    # -- notifications and the outbox ---------------------------------------------------------
    def add_notification(self, record: dict[str, Any], ts: datetime, notifiers: list[str]) -> bool:
        """Queue a notification for ``notifiers``; False if its id was already queued (idempotent)."""
        with self.transaction():
            cur = self._db.execute(
                "INSERT OR IGNORE INTO notifications(id, incident_id, ts, brand, level, transition, data) "
                "VALUES(?, ?, ?, ?, ?, ?, ?)",
                (record["id"], record.get("incident_id"), to_epoch(ts), record.get("brand"), record.get("level"),
                 record["transition"], dumps(record)))
            if cur.rowcount == 0:
                return False
            seq = cur.lastrowid
            self._db.executemany(
                "INSERT OR IGNORE INTO deliveries(notification_id, notifier, status, seq) VALUES(?, ?, 'pending', ?)",
                [(record["id"], n, seq) for n in notifiers])
        return True

    def notifications(self, since_seq: int = 0) -> list[dict[str, Any]]:
        rows = self._q("SELECT seq, data FROM notifications WHERE seq > ? ORDER BY seq", (since_seq,))
        return [{"seq": r[0], **loads(r[1])} for r in rows]

    def pending_deliveries(self, now: datetime, limit: int = 100) -> list[tuple[str, str, int, int]]:
        """(notification_id, notifier, attempts, seq) due now, oldest first per notifier.

        Head-of-line: a notifier whose oldest pending delivery is not yet due gets nothing, so
        each channel receives an incident's notifications in order.
        A delivery being sent ('sending') holds its channel's head until it is settled.
        """
        rows = self._q(
            "SELECT d.notification_id, d.notifier, d.attempts, d.seq, d.next_attempt FROM deliveries d "
            "JOIN (SELECT notifier, MIN(seq) AS head FROM deliveries WHERE status IN ('pending', 'sending') "
            "GROUP BY notifier) h "
            "ON d.notifier=h.notifier AND d.seq=h.head WHERE d.status='pending' ORDER BY d.seq, d.notifier LIMIT ?",
            (limit,))
        cut = to_epoch(now)
        return [(r[0], r[1], r[2], r[3]) for r in rows if r[4] <= cut]

    def next_delivery_due(self) -> datetime | None:
        rows = self._q(
            "SELECT MIN(d.next_attempt) FROM deliveries d JOIN (SELECT notifier, MIN(seq) AS head FROM deliveries "
            "WHERE status IN ('pending', 'sending') GROUP BY notifier) h ON d.notifier=h.notifier AND d.seq=h.head "
            "WHERE d.status='pending'")
        return from_epoch(rows[0][0]) if rows and rows[0][0] is not None else None

    def notification(self, notification_id: str) -> dict[str, Any] | None:
        rows = self._q("SELECT data FROM notifications WHERE id=?", (notification_id,))
        return loads(rows[0][0]) if rows else None

    def begin_delivery(self, notification_id: str, notifier: str) -> bool:
        """Record that a send starts (status 'sending', the attempt counted) before anything leaves.

        False when the delivery is no longer pending (another round took it). A crash leaves the
        row 'sending'; :meth:`reconcile_sending` settles it at the next start.
        """
        return self._x("UPDATE deliveries SET status='sending', attempts=attempts+1 "
                       "WHERE notification_id=? AND notifier=? AND status='pending'",
                       (notification_id, notifier)) == 1

    def reconcile_sending(self, max_attempts: int) -> tuple[int, int]:
        """After a crash: sends that were in flight are retried, or failed once they used up their attempts.

        Returns (requeued, failed). A requeued send may reach the channel a second time; channels
        that can dedupe (e-mail Message-ID, webhook id header) drop the copy.
        """
        with self.transaction():
            failed = self._db.execute(
                "UPDATE deliveries SET status='failed', last_error=COALESCE(last_error || '; ', '') || "
                "'interrupted during sending (crash or kill) on every attempt' "
                "WHERE status='sending' AND attempts >= ?", (max_attempts,)).rowcount
            requeued = self._db.execute(
                "UPDATE deliveries SET status='pending', next_attempt=0 WHERE status='sending'").rowcount
        return requeued, failed

    def mark_delivered(self, notification_id: str, notifier: str, now: datetime) -> None:
        self._x("UPDATE deliveries SET status='sent', sent=?, attempts=attempts+(status!='sending'), last_error=NULL "
                "WHERE notification_id=? AND notifier=?", (to_epoch(now), notification_id, notifier))

    def mark_failed(self, notification_id: str, notifier: str, error: str, retry_at: datetime | None) -> None:
        """Record a failed attempt; ``retry_at=None`` gives up (status 'failed')."""
        if retry_at is None:
            self._x("UPDATE deliveries SET status='failed', attempts=attempts+(status!='sending'), last_error=? "
                    "WHERE notification_id=? AND notifier=?", (error, notification_id, notifier))
        else:
            self._x("UPDATE deliveries SET status='pending', attempts=attempts+(status!='sending'), last_error=?, "
                    "next_attempt=? WHERE notification_id=? AND notifier=?",
                    (error, to_epoch(retry_at), notification_id, notifier))

    def delivery_counts(self) -> dict[tuple[str, str], int]:
        """(notifier, status) -> count, for /metrics."""
        rows = self._q("SELECT notifier, status, COUNT(*) FROM deliveries GROUP BY notifier, status")
        return {(r[0], r[1]): r[2] for r in rows}

    def outbox_backlog(self) -> tuple[int, datetime | None]:
        """Pending deliveries and the time of the oldest one's notification, for /healthz."""
        rows = self._q("SELECT COUNT(*), MIN(n.ts) FROM deliveries d JOIN notifications n ON n.id=d.notification_id "
                       "WHERE d.status='pending'")
        count, oldest = (rows[0][0], rows[0][1]) if rows else (0, None)
        return int(count or 0), (from_epoch(oldest) if oldest is not None else None)

    def deliveries_for(self, notification_id: str) -> list[dict[str, Any]]:
        rows = self._q("SELECT notifier, status, attempts, last_error FROM deliveries WHERE notification_id=?",
                       (notification_id,))
        return [{"notifier": r[0], "status": r[1], "attempts": r[2], "last_error": r[3]} for r in rows]


    # -- baselines (issue 10; table from migration 0003) ------------------------------------
    def save_baselines(self, items: Iterable[tuple[str, str]], now: datetime | None) -> None:
        """Write changed baseline series (``key -> Series.to_text()``), inside the caller's transaction."""
        with self._lock:
            try:
                self._db.executemany("INSERT INTO baselines(key, data, updated) VALUES(?, ?, ?) ON CONFLICT(key) DO "
                                     "UPDATE SET data=excluded.data, updated=excluded.updated",
                                     [(k, v, to_epoch(now) if now else None) for k, v in items])
            except sqlite3.Error as exc:
                raise self.faults.error("a write failed", exc) from exc

    def load_baselines(self, prefix: str = "") -> dict[str, str]:
        """Every stored baseline series (optionally of one brand: ``prefix='acme|'``)."""
        rows = self._q("SELECT key, data FROM baselines WHERE key >= ? AND key < ? ORDER BY key",
                       (prefix, prefix + "\uffff"))
        return {r[0]: r[1] for r in rows}
