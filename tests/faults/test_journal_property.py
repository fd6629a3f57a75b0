"""Property: whatever mix of good writes, torn writes, failed fsyncs and failed cut-backs the
journal meets, a restart recovers exactly the events that were accepted (in order), and a
restart from any accepted position recovers exactly those after it."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.models import parse_event
from monitor.sources import spool as spool_mod
from monitor.sources.spool import JournalError, Spool

FAULTS = st.sampled_from(["ok", "ok", "torn", "fsync", "torn+no-cutback", "full"])
STEPS = st.lists(st.tuples(st.integers(1, 4), FAULTS, st.integers(1, 60)), min_size=1, max_size=12)


def batch(start: int, n: int) -> list:
    return [parse_event({"type": "post", "ts": "2026-03-01T08:00:00Z", "source": "v", "id": f"e{i}",
                         "text": f"event {i} é 中"}) for i in range(start, start + n)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS, rotate=st.sampled_from([150, 400, 64 * 1024 * 1024]))
def test_recovery_is_exactly_what_was_accepted(steps, rotate: int, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write, real_fsync, real_truncate = os.write, os.fsync, os.ftruncate
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "j"
        journal = Spool(root, rotate_bytes=rotate)
        accepted: list[tuple[str, dict]] = []
        next_id = 0
        for n, fault, cut in steps:
            events = batch(next_id, n)
            next_id += n
            if fault in ("torn", "torn+no-cutback", "full"):
                def write(fd: int, data: bytes, cut: int = cut, fault: str = fault) -> int:
                    if fault != "full":
                        real_write(fd, data[: min(cut, data.index(b"\n"))])  # a piece of the first line
                    raise OSError(errno.ENOSPC, "No space left on device")
                monkeypatch.setattr(spool_mod.os, "write", write)
            if fault == "fsync":
                monkeypatch.setattr(spool_mod.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.EIO, "")))
            if fault == "torn+no-cutback":
                monkeypatch.setattr(spool_mod.os, "ftruncate",
                                    lambda fd, size: (_ for _ in ()).throw(OSError(errno.EIO, "")))
            try:
                positions = journal.append(events)
            except JournalError:
                assert fault != "ok" and journal.problem is not None
            else:
                assert fault == "ok" and journal.problem is None
                accepted += [(e.id, p) for e, p in zip(events, positions, strict=True)]
            finally:
                monkeypatch.setattr(spool_mod.os, "write", real_write)
                monkeypatch.setattr(spool_mod.os, "fsync", real_fsync)
                monkeypatch.setattr(spool_mod.os, "ftruncate", real_truncate)
        journal.close()
        ids = [i for i, _ in accepted]
        for k in range(-1, len(accepted)):
            copy = Path(tmp) / f"c{k}"
            shutil.copytree(root, copy)
            cursor = accepted[k][1] if k >= 0 else None
            got = Spool(copy).recover(cursor)
            assert [e.id for e, _ in got] == ids[k + 1:]  # type: ignore[attr-defined]
            assert [p for _, p in got] == [p for _, p in accepted[k + 1:]]
            shutil.rmtree(copy)
