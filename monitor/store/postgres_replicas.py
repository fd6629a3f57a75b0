"""The PostgreSQL store's outbox, leases and whole-table copy: what lets replicas share one database.

The outbox is drained by every replica. ``pending_deliveries`` *claims* the head-of-line
delivery of each notifier (``FOR UPDATE SKIP LOCKED``, then ``claimed_by``/``claimed_until``),
so each delivery is attempted by one replica at a time and channels stay in order: the
head stays claimed until it is marked sent or failed, and nothing behind it is handed
out meanwhile. A replica killed between the send and ``mark_delivered`` leaves a claim
that expires after ``claim_ttl`` seconds, and another replica sends again: the documented
at-least-once window. Lease and claim times use the database server's clock, so replicas'
clocks need not agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from monitor.errors import LeaseLost
from monitor.store.codec import dumps, from_epoch, loads, to_epoch

NOW = "EXTRACT(EPOCH FROM clock_timestamp())::double precision"

# A delivery being sent ('sending') holds its channel's head until it is settled (issue 19).
_HEAD = ("WITH head AS (SELECT notifier, MIN(seq) AS seq FROM deliveries WHERE status IN ('pending', 'sending') "
         "GROUP BY notifier) "
         "SELECT d.notification_id, d.notifier FROM deliveries d JOIN head h ON d.notifier=h.notifier "
         "AND d.seq=h.seq WHERE d.status='pending' ")

# 'sending' rows nobody holds any more: their replica died mid-send (its claim ran out) or, at
# start, rows left by this database's crashed single process (no claim at all).
_ORPHANED = f"status='sending' AND (claimed_by IS NULL OR claimed_until < {NOW})"

_CLAIM = (f"WITH due AS ({_HEAD} AND d.next_attempt <= %(now)s AND (d.claimed_by IS NULL OR d.claimed_by=%(me)s "
          f"OR d.claimed_until < {NOW}) ORDER BY d.seq, d.notifier LIMIT %(limit)s FOR UPDATE OF d SKIP LOCKED) "
          f"UPDATE deliveries x SET claimed_by=%(me)s, claimed_until={NOW} + %(ttl)s FROM due "
          "WHERE x.notification_id=due.notification_id AND x.notifier=due.notifier "
          "RETURNING x.notification_id, x.notifier, x.attempts, x.seq")

_LEASE = (f"INSERT INTO leases(name, holder, expires, acquired) VALUES(%(name)s, %(me)s, {NOW} + %(ttl)s, {NOW}) "
          "ON CONFLICT(name) DO UPDATE SET holder=excluded.holder, expires=excluded.expires, "
          "acquired=CASE WHEN leases.holder=excluded.holder THEN leases.acquired ELSE excluded.acquired END "
          f"WHERE leases.holder=excluded.holder OR leases.expires < {NOW}")


class PgReplicaMixin:
    holder: str
    claim_ttl: float
    _max_attempts: int | None = None
    _q: Any
    _x: Any
    transaction: Any

    # -- notifications and the outbox ------------------------------------------------------------
    def add_notification(self, record: dict[str, Any], ts: datetime, notifiers: list[str]) -> bool:
        with self.transaction() as conn:
            row = conn.execute(
                "INSERT INTO notifications(id, incident_id, ts, brand, level, transition, data) "
                "VALUES(%s, %s, %s, %s, %s, %s, %s) ON CONFLICT(id) DO NOTHING RETURNING seq",
                (record["id"], record.get("incident_id"), to_epoch(ts), record.get("brand"), record.get("level"),
                 record["transition"], dumps(record))).fetchone()
            if row is None:
                return False
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO deliveries(notification_id, notifier, status, seq) "
                                "VALUES(%s, %s, 'pending', %s) ON CONFLICT DO NOTHING",
                                [(record["id"], n, row[0]) for n in notifiers])
        return True

    def notifications(self, since_seq: int = 0) -> list[dict[str, Any]]:
        rows = self._q("SELECT seq, data FROM notifications WHERE seq > %s ORDER BY seq", (since_seq,))
        return [{"seq": r[0], **loads(r[1])} for r in rows]

    def pending_deliveries(self, now: datetime, limit: int = 100) -> list[tuple[str, str, int, int]]:
        """Claim and return (notification_id, notifier, attempts, seq) due now: each notifier's head
        delivery, unless another replica holds its claim."""
        with self.transaction():
            if self._max_attempts is not None:  # sends orphaned by a replica that died mid-send
                self.reconcile_sending(self._max_attempts)
            rows = self._q(_CLAIM, {"now": to_epoch(now), "me": self.holder, "limit": limit, "ttl": self.claim_ttl})
        return sorted(((r[0], r[1], r[2], r[3]) for r in rows), key=lambda r: (r[3], r[1]))

    def next_delivery_due(self) -> datetime | None:
        rows = self._q(f"SELECT MIN(d.next_attempt) FROM ({_HEAD} AND (d.claimed_by IS NULL OR d.claimed_by=%s "
                       f"OR d.claimed_until < {NOW})) h JOIN deliveries d ON d.notification_id=h.notification_id "
                       "AND d.notifier=h.notifier", (self.holder,))
        return from_epoch(rows[0][0]) if rows and rows[0][0] is not None else None

    def notification(self, notification_id: str) -> dict[str, Any] | None:
        rows = self._q("SELECT data FROM notifications WHERE id=%s", (notification_id,))
        return loads(rows[0][0]) if rows else None

    def begin_delivery(self, notification_id: str, notifier: str) -> bool:
        """Record that a send starts (status 'sending', the attempt counted) before anything leaves.

        False when the delivery is no longer pending (another replica or round took it). The claim
        stays; a replica that dies mid-send leaves the row 'sending' until its claim expires, when
        :meth:`pending_deliveries` hands it out again (see :meth:`reconcile_sending`).
        """
        return self._x("UPDATE deliveries SET status='sending', attempts=attempts+1 "
                       "WHERE notification_id=%s AND notifier=%s AND status='pending'",
                       (notification_id, notifier)) == 1

    def reconcile_sending(self, max_attempts: int) -> tuple[int, int]:
        """Orphaned sends are retried, or failed once they used up their attempts: (requeued, failed).

        Only rows no live replica holds (claim expired or none): another replica's send in flight
        is left alone. The daemon calls this at start; the limit is remembered so that later
        :meth:`pending_deliveries` calls settle sends orphaned by a replica that died since.
        """
        self._max_attempts = max_attempts
        with self.transaction():
            failed = self._x(
                "UPDATE deliveries SET status='failed', last_error=COALESCE(last_error || '; ', '') || "
                "'interrupted during sending (crash or kill) on every attempt', claimed_by=NULL, "
                f"claimed_until=NULL WHERE {_ORPHANED} AND attempts >= %s", (max_attempts,))
            requeued = self._x("UPDATE deliveries SET status='pending', next_attempt=0, claimed_by=NULL, "
                               f"claimed_until=NULL WHERE {_ORPHANED}")
        return requeued, failed

    def mark_delivered(self, notification_id: str, notifier: str, now: datetime) -> None:
        self._x("UPDATE deliveries SET status='sent', sent=%s, "
                "attempts=attempts+(CASE WHEN status='sending' THEN 0 ELSE 1 END), last_error=NULL, "
                "claimed_by=NULL, claimed_until=NULL WHERE notification_id=%s AND notifier=%s",
                (to_epoch(now), notification_id, notifier))

    def mark_failed(self, notification_id: str, notifier: str, error: str, retry_at: datetime | None) -> None:
        """Record a failed attempt; ``retry_at=None`` gives up (status 'failed')."""
        if retry_at is None:
            self._x("UPDATE deliveries SET status='failed', "
                    "attempts=attempts+(CASE WHEN status='sending' THEN 0 ELSE 1 END), last_error=%s, "
                    "claimed_by=NULL, claimed_until=NULL WHERE notification_id=%s AND notifier=%s",
                    (error, notification_id, notifier))
        else:
            self._x("UPDATE deliveries SET status='pending', "
                    "attempts=attempts+(CASE WHEN status='sending' THEN 0 ELSE 1 END), last_error=%s, "
                    "next_attempt=%s, claimed_by=NULL, claimed_until=NULL WHERE notification_id=%s AND notifier=%s",
                    (error, to_epoch(retry_at), notification_id, notifier))

    def delivery_counts(self) -> dict[tuple[str, str], int]:
        rows = self._q("SELECT notifier, status, COUNT(*) FROM deliveries GROUP BY notifier, status")
        return {(r[0], r[1]): r[2] for r in rows}

    def outbox_backlog(self) -> tuple[int, datetime | None]:
        rows = self._q("SELECT COUNT(*), MIN(n.ts) FROM deliveries d JOIN notifications n "
                       "ON n.id=d.notification_id WHERE d.status='pending'")
        count, oldest = (rows[0][0], rows[0][1]) if rows else (0, None)
        return int(count or 0), (from_epoch(oldest) if oldest is not None else None)

    def deliveries_for(self, notification_id: str) -> list[dict[str, Any]]:
        rows = self._q("SELECT notifier, status, attempts, last_error FROM deliveries WHERE notification_id=%s "
                       "ORDER BY notifier", (notification_id,))
        return [{"notifier": r[0], "status": r[1], "attempts": r[2], "last_error": r[3]} for r in rows]

    # -- leases ---------------------------------------------------------------------------------------
    def acquire_lease(self, name: str, holder: str, ttl: float) -> bool:
        return bool(self._x(_LEASE, {"name": name, "me": holder, "ttl": ttl}))

    def release_lease(self, name: str, holder: str) -> None:
        self._x("DELETE FROM leases WHERE name=%s AND holder=%s", (name, holder))

    def leases(self, prefix: str = "") -> dict[str, tuple[str, float]]:
        rows = self._q(f"SELECT name, holder, expires - {NOW} FROM leases WHERE expires >= {NOW} "
                       "AND starts_with(name, %s)", (prefix,))
        return {r[0]: (r[1], float(r[2])) for r in rows}

    def check_lease(self, name: str, holder: str) -> None:
        """Inside a transaction: lock the lease row (a taker waits for our commit) and check it is ours."""
        rows = self._q(f"SELECT 1 FROM leases WHERE name=%s AND holder=%s AND expires >= {NOW} FOR SHARE",
                       (name, holder))
        if not rows:
            raise LeaseLost(f"lease {name!r} is no longer held by {holder}")

    # -- whole tables (monitor store copy) ----------------------------------------------------------
    def tables(self) -> list[str]:
        return [r[0] for r in self._q("SELECT table_name FROM information_schema.tables WHERE "
                                      "table_schema=current_schema() AND table_type='BASE TABLE' ORDER BY 1")]

    def dump_table(self, table: str) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
        cols = [r[0] for r in self._q("SELECT column_name FROM information_schema.columns WHERE "
                                      "table_schema=current_schema() AND table_name=%s ORDER BY ordinal_position",
                                      (table,))]
        return cols, iter(self._q(f'SELECT * FROM "{table}" ORDER BY 1'))

    def load_table(self, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> int:
        cols = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join(["%s"] * len(columns))
        data = list(rows)
        with self.transaction() as conn:
            with conn.cursor() as cur:
                cur.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', data)
            for (col,) in conn.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema=current_schema() "
                    "AND table_name=%s AND column_default LIKE 'nextval%%'", (table,)).fetchall():
                conn.execute(f"SELECT setval(pg_get_serial_sequence(%s, %s), "
                             f'GREATEST((SELECT MAX("{col}") FROM "{table}"), 1))', (table, col))
        return len(data)
