"""Fault fixtures: a small real filesystem that can be filled, and SQLite's own size cap.

``small_disk`` mounts a tmpfs of a few hundred KiB (root, or a container that allows
``mount``); where that is not permitted the tests that need a real full disk are skipped
and the fault-injecting variants (``os.write`` raising ENOSPC, SQLite's
``max_page_count``) still run everywhere.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


class SmallDisk:
    """A tmpfs mount: ``fill()`` takes every free byte, ``free()`` gives it back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._filler = path / f".filler-{uuid.uuid4().hex}"

    def fill(self, leave: int = 0) -> None:
        fd = os.open(self._filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            chunk = b"\0" * 4096
            while True:
                free = shutil.disk_usage(self.path).free
                if free <= leave:
                    break
                try:
                    os.write(fd, chunk if free - leave >= len(chunk) else b"\0" * (free - leave))
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
        finally:
            os.close(fd)

    def free(self) -> None:
        self._filler.unlink(missing_ok=True)

    @property
    def is_full(self) -> bool:
        return shutil.disk_usage(self.path).free < 4096


def _mount_tmpfs(where: Path, size: str) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)],
                          capture_output=True, timeout=10)
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    where = tmp_path / "disk"
    if not _mount_tmpfs(where, "1m"):
        pytest.skip("mounting a small tmpfs is not permitted here (needs root); the injected-fault tests cover this")
    try:
        yield SmallDisk(where)
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=10)


def can_chattr() -> bool:
    return os.geteuid() == 0 and shutil.which("chattr") is not None


def chattr(flag: str, path: Path) -> bool:
    """``chattr +i``/``-i``; False where the filesystem does not support the attribute."""
    done = subprocess.run(["chattr", flag, str(path)], capture_output=True, timeout=10)
    return done.returncode == 0
