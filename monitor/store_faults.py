"""What the store does when storage itself fails: explain it, remember it, and stay alive.

SQLite's own messages are terse and sometimes misleading (a failed COMMIT used to surface
as "cannot rollback - no transaction is active"), so each sqlite3 error is converted here
into a :class:`StoreError` that names the database, the operation and the fix, and is
kept as the store's ``problem`` for /healthz until a commit succeeds again.

Three conditions are caught before SQLite can make them worse:

- a corrupted database: ``PRAGMA quick_check`` at open; the daemon refuses to start on it
  rather than failing every poll later while looking healthy. Damage that quick_check cannot
  see (it does not read every record) shows when a statement hits it, and from then on the
  store stays unhealthy, even while other commits succeed;
- database, ``-wal`` or ``-shm`` files that cannot be written (immutable, read-only mount,
  wrong owner): refused at open with the file and the fix;
- a ``-shm`` file that becomes unwritable while running: SQLite keeps it mapped into memory,
  and a store to a mapped page of an immutable file is answered by the kernel with SIGBUS,
  which kills the process outright. So before every transaction and every statement outside
  one the store checks that the file is still writable (``access(2)``, a few microseconds: opening
  and closing it would silently drop SQLite's POSIX locks on it, and another process could then
  reset the file under this one's mapping — SIGBUS again), and while it is not, it raises
  instead of touching SQLite. Closing the connection would write to it as well, so a store
  closed in that state leaves the connection open on purpose; the WAL stays intact and is
  recovered at the next start.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import sqlite3
from pathlib import Path

from monitor.errors import StoreError

log = logging.getLogger(__name__)

_ABANDONED: list[sqlite3.Connection] = []


class StoreFaults:
    """The fault bookkeeping of one store file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problem: str | None = None
        self.corrupt: str | None = None  # the first sign of a damaged file, kept until restart
        self.errors = 0  # storage errors since start

    @property
    def shm(self) -> str:
        return self.path + "-shm"

    def files(self) -> list[str]:
        return [self.path, self.path + "-wal", self.shm]

    # -- at open -----------------------------------------------------------------------------
    def preflight(self) -> None:
        """Refuse files SQLite could only half use: each must open for writing."""
        directory = Path(self.path).parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"store {self.path}: cannot create the directory {directory} ({exc.strerror}); "
                             f"{_fix(exc, str(directory))}") from exc
        if not os.access(directory, os.W_OK):
            raise StoreError(f"store {self.path}: the directory {directory} is not writable (SQLite needs to "
                             f"create its -wal and -shm files there); fix its permissions or the mount, "
                             f"or point store.path elsewhere")
        for name in self.files():
            try:
                fd = os.open(name, os.O_RDWR)
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise StoreError(f"store {self.path}: {name} cannot be opened for writing "
                                 f"({exc.strerror}); {_fix(exc, name)}") from exc
            os.close(fd)

    def integrity(self, db: sqlite3.Connection) -> None:
        """``PRAGMA quick_check``: a corrupted file is refused with what SQLite found."""
        rows = [str(r[0]) for r in db.execute("PRAGMA quick_check(5)").fetchall()]
        if rows != ["ok"]:
            found = "; ".join(rows)
            raise StoreError(f"store {self.path} is corrupted (PRAGMA quick_check: {found}); refusing to use it. "
                             f"Restore a backup, or salvage it with: sqlite3 {self.path} .recover | sqlite3 NEW.db")

    # -- while running -------------------------------------------------------------------------
    def guard(self) -> None:
        """Raise instead of letting SQLite write to an unwritable shared-memory file (SIGBUS)."""
        if self.path == ":memory:" or os.access(self.shm, os.W_OK):
            return  # access(2), not open(2): closing a descriptor would drop SQLite's POSIX locks on the file
        try:
            fd = os.open(self.shm, os.O_RDWR)  # only to learn why: it fails, so no descriptor is closed
        except FileNotFoundError:
            return
        except OSError as exc:
            self.errors += 1
            self.problem = (f"store {self.path}: its shared-memory file {self.shm} cannot be written "
                            f"({exc.strerror}); the store is not used until it can (SQLite would crash the "
                            f"daemon writing to it); {_fix(exc, self.shm)}")
            raise StoreError(self.problem) from exc
        os.close(fd)

    def safe_to_touch(self) -> bool:
        try:
            self.guard()
        except StoreError:
            return False
        return True

    def abandon(self, db: sqlite3.Connection) -> None:
        """Leave a connection open for good: its close would write to the unwritable -shm file."""
        log.critical("%s; leaving the database connection open instead of closing it (the WAL is intact "
                     "and is recovered at the next start)", self.problem)
        _ABANDONED.append(db)
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(db))  # not even finalisation at exit may close it

    def error(self, what: str, exc: sqlite3.Error) -> StoreError:
        """A sqlite3 error as our own, with the file, the operation and the fix."""
        self.errors += 1
        hint = _hint(exc)
        name = getattr(exc, "sqlite_errorname", "") or ""
        if name.startswith(("SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_CANTOPEN")):
            culprit = self._unwritable()  # SQLite does not say which file; an I/O error is often this
            if culprit is not None:
                hint = f" ({culprit})"
        self.problem = f"store {self.path}: {what}: {exc}{hint}"
        if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in str(exc):
            self.corrupt = self.problem  # damage does not heal: unhealthy until a restart on a repaired file
        return StoreError(self.problem)

    def _unwritable(self) -> str | None:
        if self.path == ":memory:":
            return None
        for name in self.files():
            if os.access(name, os.W_OK):
                continue  # as in guard(): never open and close a file SQLite holds locks on
            try:
                fd = os.open(name, os.O_RDWR)
            except FileNotFoundError:
                continue
            except OSError as exc:
                return f"{name} cannot be written ({exc.strerror}); {_fix(exc, name)}"
            os.close(fd)
        return None

    def ok(self) -> None:
        self.problem = self.corrupt

    def log_rollback_failure(self, exc: sqlite3.Error) -> None:
        log.warning("store %s: rollback after a failed operation also failed: %s", self.path, exc)


def _hint(exc: sqlite3.Error) -> str:
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    if name.startswith("SQLITE_FULL") or "disk is full" in text:
        return " (the disk is full: free space; the work is retried and nothing accepted is lost)"
    if name.startswith("SQLITE_READONLY") or "readonly" in text:
        return (" (the database or its -wal/-shm file cannot be written: check the owner, the mount "
                "and `lsattr` for the immutable attribute)")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text or "not a database" in text:
        return (" (the database file is damaged: stop the daemon, restore a backup or salvage it with "
                "`sqlite3 FILE .recover`)")
    if name.startswith("SQLITE_IOERR"):
        return " (the operating system reported an I/O error: check the disk and the kernel log)"
    if name.startswith("SQLITE_BUSY") or "locked" in text:
        return " (another process holds the database: is a second daemon running on the same file?)"
    return ""


def _fix(exc: OSError, name: str) -> str:
    if exc.errno == errno.EPERM:
        return f"remove the immutable or append-only attribute (lsattr {name}; chattr -i -a {name})"
    if exc.errno == errno.EROFS:
        return "the filesystem is mounted read-only; remount it read-write or point store.path elsewhere"
    if exc.errno == errno.EACCES:
        return "make it writable by the daemon's user (chown/chmod)"
    return "check the file and its filesystem"
