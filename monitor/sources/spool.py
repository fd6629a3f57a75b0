"""A durable journal for push ingestion: accepted means written and fsync'd.

Pushed events are appended (one JSON line each) to numbered generation files before
the sender gets its 202; the position after each line is the source's cursor, which the
pipeline stores with the events it processed. After a crash, everything past the stored
cursor is read back and processed, so an accepted event is never lost. Each start opens
a new generation at once (so pushes can be accepted before recovery has run) and
recovery reads only the older generations, deleting those the cursor has passed.

Write-ahead order: a batch is written with one unbuffered ``write`` and ``fsync``'d before
any position is handed out; only then does the in-memory end of the file move. A failed
write or fsync (disk full, read-only filesystem, I/O error) truncates the file back to its
last good end, so later lines never sit behind a torn one and every position handed out
points at data that is on disk. The failure is raised as :class:`JournalError` (the
webhook answers 503) and remembered in ``problem`` until a later write succeeds.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
from pathlib import Path
from typing import Any

from monitor.errors import MonitorError
from monitor.feed import BadLine, parse_line
from monitor.models import Event, event_to_dict

Position = dict[str, int]  # {"gen": generation, "off": byte offset after the line}
PROBE_FREE_BYTES = 1024 * 1024  # free space that counts as "recovered" before a push proves it


class JournalError(MonitorError):
    """The journal could not make a batch durable; nothing of it was accepted."""


class Spool:
    def __init__(self, directory: Path, rotate_bytes: int = 64 * 1024 * 1024) -> None:
        self.dir = directory
        self.rotate_bytes = rotate_bytes
        self._fd: int | None = None
        self._off = 0  # the journal's durable end: where the next line goes
        self._closed = False
        self.problem: str | None = None  # why the last write failed, until one succeeds
        existing = self._generations()
        self.first_new = self.gen = (existing[-1] if existing else 0) + 1
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            self._open()
        except OSError as exc:  # a full or read-only disk at start: refuse pushes, retry on each
            self.problem = f"cannot open the journal in {self.dir}: {_describe(exc)}"

    def _path(self, gen: int) -> Path:
        return self.dir / f"{gen:08d}.jsonl"

    def _generations(self) -> list[int]:
        return sorted(int(p.stem) for p in self.dir.glob("*.jsonl") if p.stem.isdigit())

    def recover(self, cursor: Any) -> list[tuple[Event, Position]]:
        """Events journalled by an earlier run and not yet covered by ``cursor``."""
        gen0 = int(cursor["gen"]) if isinstance(cursor, dict) else 0
        off0 = int(cursor["off"]) if isinstance(cursor, dict) else 0
        out: list[tuple[Event, Position]] = []
        for gen in [g for g in self._generations() if g < self.first_new]:
            path = self._path(gen)
            if gen < gen0:
                _unlink(path)  # fully processed
                continue
            start = off0 if gen == gen0 else 0
            before = len(out)
            with path.open("rb") as fh:
                fh.seek(start)
                pos = start
                for raw in fh:
                    pos += len(raw)
                    if not raw.endswith(b"\n"):
                        break  # a torn last line: its sender never got a 202
                    item = parse_line(raw.decode("utf-8", "replace"), path.name, 0)
                    if item is not None and not isinstance(item, BadLine):
                        out.append((item, {"gen": gen, "off": pos}))
            if len(out) == before:
                _unlink(path)  # nothing past the cursor in it
        return out

    def _open(self) -> None:
        self._close_fd()
        path = self._path(self.gen)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._off = os.fstat(self._fd).st_size
        _fsync_dir(self.dir)  # the new file's name is durable too

    def append(self, events: list[Event]) -> list[Position]:
        """Write and fsync; returns each event's position (its cursor once processed).

        Raises :class:`JournalError` when the batch could not be made durable; then no part of
        it stays in the journal and the positions already handed out stay valid.
        """
        if self._closed:
            raise JournalError("the journal is closed")
        lines = [(json.dumps(event_to_dict(e), ensure_ascii=False) + "\n").encode("utf-8") for e in events]
        try:
            if self._fd is None or self._off > self.rotate_bytes:
                if self._fd is not None:
                    self.gen += 1
                self.dir.mkdir(parents=True, exist_ok=True)
                self._open()
            assert self._fd is not None
            data = b"".join(lines)
            written = 0
            while written < len(data):
                written += os.write(self._fd, data[written:])
            os.fsync(self._fd)
        except OSError as exc:
            self._undo()
            self.problem = f"cannot write the journal in {self.dir}: {_describe(exc)}"
            raise JournalError(self.problem) from exc
        positions = []
        off = self._off
        for line in lines:
            off += len(line)
            positions.append({"gen": self.gen, "off": off})
        self._off = off
        self.problem = None
        return positions

    def still_failing(self) -> str | None:
        """The last write's problem, unless the disk has visibly recovered since (for /healthz).

        Without traffic no write tells us that space returned, so a failed journal whose
        directory is writable again with at least ``PROBE_FREE_BYTES`` free is reported healthy;
        the next push is the real test, and a failure there sets the problem again.
        """
        if self.problem is None:
            return None
        try:
            usage = shutil.disk_usage(self.dir)
            writable = os.access(self.dir, os.W_OK)
        except OSError:
            return self.problem
        if writable and usage.free >= PROBE_FREE_BYTES:
            self.problem = None
        return self.problem

    def _undo(self) -> None:
        """Cut a failed write back to the last good end; if even that fails, start a new file."""
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, self._off)
            os.fsync(self._fd)
        except OSError:
            # the torn tail stays in this generation (recovery stops at a torn line, and the
            # senders of any whole lines in it got a 503 and will resend: dedup drops repeats)
            self._close_fd()
            self.gen += 1

    def _close_fd(self) -> None:
        if self._fd is not None:
            try:
                os.close(self._fd)
            finally:
                self._fd = None

    def close(self) -> None:
        self._closed = True
        self._close_fd()


def _describe(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full (free space; pushes are refused with 503 until then)"
    if exc.errno == errno.EROFS:
        return "the filesystem is read-only"
    if exc.errno == errno.EDQUOT:
        return "the disk quota is exhausted"
    return f"{exc.strerror or exc} (errno {exc.errno})"


def _unlink(path: Path) -> None:
    """Deleting a processed generation is housekeeping: a read-only disk must not stop recovery."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
