"""The store: dedup and cursors across restarts, outbox ordering, idempotent notifications."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.errors import StoreError
from monitor.store import Store

T = datetime(2026, 3, 1, 8, tzinfo=UTC)


def test_seen_ids_and_cursors_survive_a_restart(tmp_path: Path) -> None:
    s = Store(tmp_path / "m.db")
    with s.transaction():
        s.mark_seen([("x:1", T), ("x:2", T)])
        s.set_cursor("x", {"since_id": "2", "etag": 'W/"a"'}, T)
    s.close()
    s = Store(tmp_path / "m.db")
    assert s.unseen(["x:1", "x:2", "x:3"]) == {"x:3"}
    assert s.get_cursor("x") == {"since_id": "2", "etag": 'W/"a"'}
    assert s.get_cursor("y") is None


def test_a_failed_transaction_leaves_nothing_behind(tmp_path: Path) -> None:
    s = Store(tmp_path / "m.db")
    with pytest.raises(RuntimeError), s.transaction():
        s.mark_seen([("x:1", T)])
        s.set_cursor("x", 5, T)
        raise RuntimeError("crash mid-batch")
    assert s.unseen(["x:1"]) == {"x:1"} and s.get_cursor("x") is None


def test_notifications_are_idempotent_and_delivered_in_order_per_notifier(tmp_path: Path) -> None:
    s = Store(tmp_path / "m.db")
    for i in range(3):
        assert s.add_notification({"id": f"inc#{i}", "transition": "opened", "brand": "acme"}, T, ["slack", "mail"])
    assert not s.add_notification({"id": "inc#0", "transition": "opened"}, T, ["slack"])
    due = s.pending_deliveries(T)
    assert [(n, who) for n, who, _, _ in due] == [("inc#0", "mail"), ("inc#0", "slack")]
    s.mark_delivered("inc#0", "slack", T)
    s.mark_failed("inc#0", "mail", "timeout", T + timedelta(minutes=1))
    due = s.pending_deliveries(T)
    assert [(n, who) for n, who, _, _ in due] == [("inc#1", "slack")]  # mail is blocked behind its retry
    assert [(n, who) for n, who, _, _ in s.pending_deliveries(T + timedelta(minutes=2))] == [
        ("inc#0", "mail"), ("inc#1", "slack")]
    s.mark_failed("inc#0", "mail", "550 no such user", None)
    assert [(n, who) for n, who, _, _ in s.pending_deliveries(T + timedelta(minutes=2))] == [
        ("inc#1", "mail"), ("inc#1", "slack")]
    assert s.delivery_counts()[("mail", "failed")] == 1
    assert s.deliveries_for("inc#0") == [
        {"notifier": "mail", "status": "failed", "attempts": 2, "last_error": "550 no such user"},
        {"notifier": "slack", "status": "sent", "attempts": 1, "last_error": None}]


def test_prune_forgets_old_rows(tmp_path: Path) -> None:
    s = Store(tmp_path / "m.db")
    with s.transaction():
        s.mark_seen([("old", T - timedelta(days=40)), ("new", T)])
    assert s.prune(T - timedelta(days=30)) == 1
    assert s.unseen(["old", "new"]) == {"old"}


def test_unwritable_location_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError) as exc:
        Store(blocker / "sub" / "m.db")
    assert str(exc.value) == (f"store {blocker / 'sub' / 'm.db'}: cannot create the directory {blocker / 'sub'} "
                              f"(Not a directory); check the file and its filesystem")


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    s = Store(tmp_path / "m.db")
    s.set_meta("schema_version", "99")
    s.close()
    with pytest.raises(StoreError, match="newer Brand Monitor"):
        Store(tmp_path / "m.db")


def test_outbox_backlog_counts_pending_deliveries_and_the_oldest(tmp_path: Path) -> None:
    s = Store(tmp_path / "m.db")
    assert s.outbox_backlog() == (0, None)
    s.add_notification({"id": "a#1", "transition": "opened"}, T, ["slack", "mail"])
    s.add_notification({"id": "a#2", "transition": "updated"}, T + timedelta(minutes=5), ["slack"])
    assert s.outbox_backlog() == (3, T)
    s.mark_delivered("a#1", "slack", T)
    s.mark_failed("a#1", "mail", "550", None)
    assert s.outbox_backlog() == (1, T + timedelta(minutes=5))


def test_storage_errors_are_our_own_and_remembered_until_a_commit_works(tmp_path: Path) -> None:
    s = Store(tmp_path / "m.db")
    s._q("PRAGMA query_only=1")
    with pytest.raises(StoreError) as exc:
        s.set_cursor("news", {"n": 1}, T)
    assert str(exc.value).startswith(f"store {tmp_path / 'm.db'}: a write failed: attempt to write a readonly "
                                     "database (the database or its -wal/-shm file cannot be written")
    assert s.problem == str(exc.value) and s.faults.errors == 1
    with pytest.raises(StoreError, match="cannot begin a transaction: attempt to write a readonly database"):
        s.mark_seen([("k", T)])
    assert s.faults.errors == 2  # counted, for /healthz
    s._q("PRAGMA query_only=0")
    s.mark_seen([("k", T)])
    assert s.problem is None and s.unseen(["k"]) == set()
