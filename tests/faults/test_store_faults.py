"""The store under storage faults: full disk at COMMIT, SQLite's size cap, corrupted pages,
immutable and read-only files — each a clear StoreError naming the file and the fix, never a
misleading message, a silent start on a broken file, or a SIGBUS."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.errors import StoreError
from monitor.store import Store
from tests.faults.conftest import SmallDisk, can_chattr, chattr
from tests.support import ROOT, write_config

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
needs_chattr = pytest.mark.skipif(not can_chattr(), reason="needs root and chattr")


def signals(store: Store) -> list[str]:
    return [ref for _, _, _, _, ref, _ in store.signals_since(datetime(2000, 1, 1, tzinfo=UTC))]


def test_a_commit_on_a_full_disk_is_reported_as_a_failed_commit(small_disk: SmallDisk) -> None:
    store = Store(small_disk.path / "state.db")
    small_disk.fill()
    with pytest.raises(StoreError) as exc, store.transaction():
        for i in range(60):
            store.add_signal("acme", "acme", NOW, "post", f"r{i}", {"text": "x" * 3000})
    message = str(exc.value)
    assert "cannot rollback" not in message
    assert "commit failed; nothing of the transaction was saved" in message
    assert "database or disk is full (the disk is full: free space" in message
    assert store.problem == message
    small_disk.free()
    with store.transaction():
        store.add_signal("acme", "acme", NOW, "post", "after", {})
    assert store.problem is None  # healthy again once a commit goes through
    assert signals(store) == ["after"]  # nothing of the failed transaction was kept
    store.close()


def test_sqlite_full_inside_a_transaction_is_converted_and_recovers(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    pages = store._q("PRAGMA page_count")[0][0]
    store._q(f"PRAGMA max_page_count={pages}")  # a fault-injecting cap: the file cannot grow
    with pytest.raises(StoreError) as exc, store.transaction():
        store.mark_seen((f"k{i}", NOW) for i in range(2000))
    assert "database or disk is full" in str(exc.value) and "(the disk is full" in str(exc.value)
    assert not store._db.in_transaction and store.problem is not None
    assert store.unseen(["k1"]) == {"k1"}
    store._q("PRAGMA max_page_count=1073741823")
    store.mark_seen((f"k{i}", NOW) for i in range(2000))
    assert store.unseen(["k1", "new"]) == {"new"} and store.problem is None
    store.close()


def test_an_error_in_the_body_is_not_masked_by_a_failed_rollback(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    with pytest.raises(ValueError, match="boom"), store.transaction():
        store.add_signal("acme", "acme", NOW, "post", "r1", {})
        store._db.execute("ROLLBACK")  # SQLite rolled back on its own (as it does on some errors)
        raise ValueError("boom")
    assert signals(store) == []
    store.close()


def _corrupt(path: Path, offset: int, data: bytes) -> None:
    with path.open("r+b") as fh:
        fh.seek(offset)
        fh.write(data)


def _filled(path: Path) -> None:
    store = Store(path)
    with store.transaction():
        for i in range(300):
            store.add_signal("acme", "acme", NOW, "post", f"r{i}", {"text": "x" * 200})
    store.close()  # the last close checkpoints the WAL into the file
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0


def test_a_corrupted_page_refuses_to_open_with_the_fix(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    _filled(db)
    _corrupt(db, 4096 * 5, b"\xde\xad" * 1500)  # a torn b-tree page (its header is garbage)
    with pytest.raises(StoreError) as exc:
        Store(db)
    message = str(exc.value)
    assert message.startswith(f"store {db} is corrupted (PRAGMA quick_check: *** in database main ***\nPage 6: ")
    assert f"sqlite3 {db} .recover" in message


def test_a_corrupted_header_is_not_a_database(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    _filled(db)
    _corrupt(db, 0, b"this is not sqlite")
    with pytest.raises(StoreError) as exc:
        Store(db)
    assert "cannot open the store: file is not a database (the database file is damaged" in str(exc.value)


def test_the_daemon_refuses_to_start_on_a_corrupted_store(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    _filled(db)
    _corrupt(db, 4096 * 5, b"\xde\xad" * 1500)
    cfg = write_config(tmp_path, """\
        store: {path: state.db}
        playbooks: @PLAYBOOKS@
        server: {port: 0}
        """)
    done = subprocess.run([sys.executable, "-m", "monitor", "run", "--config", str(cfg)], capture_output=True,
                          text=True, timeout=60, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 1, done.stderr[-2000:]
    assert f"error: store {db} is corrupted (PRAGMA quick_check:" in done.stderr


@needs_chattr
def test_an_immutable_shm_at_start_is_refused_with_the_fix(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    Store(db).close()
    holder = sqlite3.connect(db)  # another connection keeps the -wal and -shm files in place
    holder.execute("SELECT * FROM meta").fetchall()
    shm = Path(f"{db}-shm")
    assert shm.exists()
    if not chattr("+i", shm):
        holder.close()
        pytest.skip("this filesystem has no immutable attribute")
    try:
        with pytest.raises(StoreError) as exc:
            Store(db)
        assert str(exc.value) == (f"store {db}: {shm} cannot be opened for writing (Operation not permitted); "
                                  f"remove the immutable or append-only attribute (lsattr {shm}; chattr -i -a {shm})")
    finally:
        chattr("-i", shm)
        holder.close()


@needs_chattr
def test_an_immutable_database_file_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    Store(db).close()
    if not chattr("+i", db):
        pytest.skip("this filesystem has no immutable attribute")
    try:
        with pytest.raises(StoreError, match=r"state.db cannot be opened for writing \(Operation not permitted\)"):
            Store(db)
    finally:
        chattr("-i", db)


SHM_WHILE_RUNNING = """
import subprocess, sys
from datetime import UTC, datetime
from monitor.errors import StoreError
from monitor.store import Store
db = sys.argv[1]
store = Store(db)
now = datetime(2026, 3, 1, tzinfo=UTC)
store.add_signal("acme", "acme", now, "post", "before", {})
subprocess.run(["chattr", "+i", db + "-shm"], check=True)
for op in (lambda: store.add_signal("acme", "acme", now, "post", "during", {}), lambda: store.unseen(["x"])):
    try:
        op()
        print("NO ERROR")
    except StoreError as exc:
        print("StoreError:", exc)
print("problem:", store.problem)
store.close()
print("closed")
"""


@needs_chattr
def test_an_shm_made_immutable_while_running_is_an_error_not_sigbus(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    shm = Path(f"{db}-shm")
    try:
        done = subprocess.run([sys.executable, "-c", textwrap.dedent(SHM_WHILE_RUNNING), str(db)],
                              capture_output=True, text=True, timeout=60, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    finally:
        chattr("-i", shm)
    if "Operation not supported" in done.stderr:
        pytest.skip("this filesystem has no immutable attribute")
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])  # 135 was SIGBUS
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"StoreError: store {db}: its shared-memory file {shm} cannot be written "
                               "(Operation not permitted)")
    assert lines[1].startswith("StoreError:") and "NO ERROR" not in done.stdout
    assert lines[2].startswith("problem: store") and lines[-1] == "closed"
    assert "leaving the database connection open" in done.stderr
    store = Store(db)  # and the next start, with the attribute removed, finds what was committed
    assert [r for *_, r, _ in store.signals_since(datetime(2000, 1, 1, tzinfo=UTC))] == ["before"]
    store.close()


def test_a_read_only_mount_is_refused_with_the_fix(small_disk: SmallDisk) -> None:
    db = small_disk.path / "state.db"
    Store(db).close()
    done = subprocess.run(["mount", "-o", "remount,ro", str(small_disk.path)], capture_output=True, timeout=10)
    if done.returncode != 0:
        pytest.skip("remounting read-only is not permitted here")
    try:
        with pytest.raises(StoreError) as exc:
            Store(db)
        assert str(exc.value).startswith(f"store {db}: the directory {small_disk.path} is not writable")
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk.path)], capture_output=True, timeout=10)


@needs_chattr
def test_a_wal_made_immutable_while_running_names_the_file_and_recovers(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    wal = Path(f"{db}-wal")
    store = Store(db)
    store.add_signal("acme", "acme", NOW, "post", "before", {})
    if not chattr("+i", wal):
        pytest.skip("this filesystem has no immutable attribute")
    try:
        with pytest.raises(StoreError) as exc:
            store.add_signal("acme", "acme", NOW, "post", "during", {"text": "x" * 5000})
        assert str(exc.value) == (f"store {db}: a write failed: disk I/O error ({wal} cannot be written "
                                  f"(Operation not permitted); remove the immutable or append-only attribute "
                                  f"(lsattr {wal}; chattr -i -a {wal}))")
    finally:
        chattr("-i", wal)
    store.add_signal("acme", "acme", NOW, "post", "after", {})
    assert store.problem is None and signals(store) == ["before", "after"]
    store.close()


def test_damage_found_while_running_keeps_the_store_unhealthy(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    store = Store(db)
    store.mark_seen((f"key-{i:06d}", NOW) for i in range(5000))
    store.close()
    store = Store(db)  # passes quick_check: the damage comes later
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = other.execute("PRAGMA page_count").fetchone()[0]
    for page in range(20, pages, 3):  # pages of the seen index go bad under the running store
        _corrupt(db, 4096 * (page - 1), b"\xde\xad" * 50)
    other.execute("PRAGMA user_version=7")  # a change by another process: the store re-reads its pages
    other.close()
    with pytest.raises(StoreError) as exc:
        store.unseen([f"key-{j:06d}" for j in range(0, 5000, 7)])
    assert "database disk image is malformed (the database file is damaged" in str(exc.value)
    with store.transaction():
        store.set_meta("still", "writable")  # other pages still work...
    assert store.problem == str(exc.value)  # ...but the store stays unhealthy, with the first finding
    store.close()
