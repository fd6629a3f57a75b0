"""The webhook journal under a full disk, injected write/fsync failures and a read-only directory.

The promise under test: a 202 means the events are on disk and will be processed; a write
that fails leaves the journal exactly as it was (so every position handed out stays true),
the sender gets 503, and once space returns pushes are accepted again with nothing lost.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import subprocess
from pathlib import Path

import pytest

from monitor.models import Post, parse_event
from monitor.sources import spool as spool_mod
from monitor.sources.spool import JournalError, Spool
from tests.faults.conftest import SmallDisk, can_chattr, chattr
from tests.sources.test_webhook import next_batch, post_obj, start


def events(lo: int, hi: int, pad: int = 0) -> list[Post]:
    return [parse_event(post_obj(i, text=f"post {i} " + "x" * pad)) for i in range(lo, hi)]  # type: ignore[misc]


def recovered_ids(directory: Path, cursor: object = None) -> list[str]:
    return [e.id for e, _ in Spool(directory).recover(cursor)]  # type: ignore[attr-defined]


def test_a_full_disk_leaves_no_torn_write_and_every_position_stays_true(small_disk: SmallDisk) -> None:
    journal = Spool(small_disk.path / "spool")
    accepted = journal.append(events(0, 3))
    small_disk.fill(leave=2000)
    with pytest.raises(JournalError, match="the disk is full"):
        journal.append(events(3, 40, pad=200))  # part of it fits, the rest does not
    assert journal.problem is not None and "the disk is full" in journal.problem
    size = journal._path(journal.gen).stat().st_size
    assert size == accepted[-1]["off"]  # cut back to the last accepted line
    small_disk.free()
    later = journal.append(events(40, 43))
    assert journal.problem is None
    assert later[0]["off"] > accepted[-1]["off"]
    journal.close()
    # a restart finds exactly what was accepted, at exactly the positions handed out
    again = Spool(small_disk.path / "spool").recover(None)
    assert [e.id for e, _ in again] == ["p0", "p1", "p2", "p40", "p41", "p42"]  # type: ignore[attr-defined]
    assert [pos for _, pos in again] == accepted + later


def test_injected_enospc_mid_write_is_cut_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = Spool(tmp_path)
    first = journal.append(events(0, 2))
    real_write = os.write

    def half_then_full(fd: int, data: bytes) -> int:
        real_write(fd, data[: len(data) // 3])  # a partial line reaches the file...
        raise OSError(errno.ENOSPC, "No space left on device")  # ...then the disk is full

    monkeypatch.setattr(spool_mod.os, "write", half_then_full)
    for _ in range(3):  # every try while full fails the same way and leaves nothing
        with pytest.raises(JournalError):
            journal.append(events(2, 6))
        assert journal._path(journal.gen).stat().st_size == first[-1]["off"]
    monkeypatch.setattr(spool_mod.os, "write", real_write)
    second = journal.append(events(6, 8))
    journal.close()
    assert recovered_ids(tmp_path) == ["p0", "p1", "p6", "p7"]
    assert recovered_ids(tmp_path, first[-1]) == ["p6", "p7"]
    assert recovered_ids(tmp_path, second[-1]) == []


def test_a_failed_fsync_is_not_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = Spool(tmp_path)
    first = journal.append(events(0, 1))
    path = journal._path(journal.gen)
    monkeypatch.setattr(spool_mod.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.EIO, "I/O error")))
    with pytest.raises(JournalError, match="I/O error"):
        journal.append(events(1, 3))
    monkeypatch.undo()
    assert path.stat().st_size == first[-1]["off"]
    journal.append(events(3, 4))
    journal.close()
    assert recovered_ids(tmp_path) == ["p0", "p3"]


def test_when_even_the_cut_back_fails_the_journal_moves_to_a_new_file(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    journal = Spool(tmp_path)
    journal.append(events(0, 1))
    gen = journal.gen
    real_write = os.write

    def torn(fd: int, data: bytes) -> int:
        real_write(fd, data[:10])
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(spool_mod.os, "write", torn)
    monkeypatch.setattr(spool_mod.os, "ftruncate", lambda fd, n: (_ for _ in ()).throw(OSError(errno.EIO, "eio")))
    with pytest.raises(JournalError):
        journal.append(events(1, 2))
    monkeypatch.undo()
    journal.append(events(2, 3))
    assert journal.gen == gen + 1  # later lines never sit behind the torn one
    journal.close()
    assert recovered_ids(tmp_path) == ["p0", "p2"]


@pytest.mark.skipif(not can_chattr(), reason="needs root and chattr")
def test_an_unwritable_journal_directory_refuses_then_recovers(tmp_path: Path) -> None:
    directory = tmp_path / "spool"
    directory.mkdir()
    if not chattr("+i", directory):
        pytest.skip("this filesystem has no immutable attribute")
    try:
        journal = Spool(directory)
        assert journal.problem is not None and "cannot open the journal" in journal.problem
        with pytest.raises(JournalError, match="Operation not permitted"):
            journal.append(events(0, 1))
    finally:
        chattr("-i", directory)
    journal.append(events(1, 2))
    assert journal.problem is None
    journal.close()
    assert recovered_ids(directory) == ["p1"]


async def _push_until_full(srv, disk: SmallDisk, counts: dict[str, int]) -> None:
    """Push batches of 5; the disk fills after the third request."""
    for i in range(12):
        if i == 3:
            disk.fill(leave=500)
        body = json.dumps([post_obj(i * 5 + k, text="x" * 150) for k in range(5)])
        status, resp = await srv.post_bearer(body)
        if status == 202:
            counts["accepted"] += resp["accepted"]
        else:
            assert status == 503, resp
            assert "disk is full" in resp["error"] and resp["_headers"]["Retry-After"]
            counts["refused"] += 5


async def test_webhook_under_disk_full_accepts_only_what_it_processes(small_disk: SmallDisk) -> None:
    counts = {"accepted": 0, "refused": 0}
    processed: list[str] = []
    async for srv in start(state_dir=small_disk.path):
        stream = srv.source.stream(None)
        await _push_until_full(srv, small_disk, counts)
        assert counts["refused"] > 0  # the disk really was full
        problem = srv.source.health_problem()
        assert problem is not None and "refusing pushes with 503" in problem and "disk is full" in problem
        small_disk.free()
        status, resp = await srv.post_bearer(json.dumps([post_obj(1000 + k) for k in range(5)]))
        assert status == 202
        counts["accepted"] += resp["accepted"]
        assert srv.source.health_problem() is None  # recovered once a write succeeded
        cursor = None
        while len(processed) < counts["accepted"]:
            batch = await next_batch(stream)
            processed += [e.id for e in batch.events]
            cursor = batch.cursor
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(anext(stream), timeout=0.2)  # nothing beyond what was accepted
    assert len(processed) == len(set(processed)) == counts["accepted"]
    # and a restart before processing would have found exactly the same events in the journal
    assert sorted(recovered_ids(small_disk.path / "spool" / "webhook")) == sorted(processed)
    assert recovered_ids(small_disk.path / "spool" / "webhook", cursor) == []


def test_a_journal_on_a_filesystem_remounted_read_only(small_disk: SmallDisk) -> None:
    journal = Spool(small_disk.path / "spool")
    first = journal.append(events(0, 2))
    journal._close_fd()  # a remount is refused while a file is open for writing (the kernel's own is not)
    done = subprocess.run(["mount", "-o", "remount,ro", str(small_disk.path)], capture_output=True, timeout=10)
    if done.returncode != 0:
        pytest.skip("remounting read-only is not permitted here")
    try:
        with pytest.raises(JournalError, match="the filesystem is read-only"):
            journal.append(events(2, 4))
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk.path)], capture_output=True, timeout=10)
    second = journal.append(events(4, 5))
    journal.close()
    assert recovered_ids(small_disk.path / "spool") == ["p0", "p1", "p4"]
    assert second[0]["off"] > first[-1]["off"]


def test_generations_rotate_and_the_processed_ones_are_deleted(tmp_path: Path) -> None:
    journal = Spool(tmp_path, rotate_bytes=300)
    assert journal.problem is None
    positions = [journal.append(events(i, i + 2))[-1] for i in range(0, 12, 2)]
    journal.close()
    gens = sorted({p["gen"] for p in positions})
    assert gens == [1, 2, 3, 4, 5, 6]  # a batch of two lines passes 300 bytes: each batch starts a file
    cursor = positions[2]  # p0..p5 processed
    again = Spool(tmp_path)
    assert again.gen == 7  # a new start writes a new generation
    got = again.recover(cursor)
    assert [e.id for e, _ in got] == ["p6", "p7", "p8", "p9", "p10", "p11"]  # type: ignore[attr-defined]
    assert [pos for _, pos in got][1::2] == positions[3:]
    names = sorted(p.name for p in tmp_path.glob("*.jsonl"))
    assert names == ["00000004.jsonl", "00000005.jsonl", "00000006.jsonl", "00000007.jsonl"]
    again.close()
    assert recovered_ids(tmp_path, positions[-1]) == []
    assert sorted(p.name for p in tmp_path.glob("*.jsonl")) == ["00000008.jsonl"]  # only this start's file
    with pytest.raises(JournalError, match="the journal is closed"):
        again.append(events(0, 1))


def test_a_write_the_kernel_takes_in_pieces_is_completed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = Spool(tmp_path)
    real_write = os.write
    monkeypatch.setattr(spool_mod.os, "write", lambda fd, data: real_write(fd, data[:7]))
    positions = journal.append(events(0, 3))
    monkeypatch.undo()
    journal.close()
    assert journal._path(1).stat().st_size == positions[-1]["off"]
    assert recovered_ids(tmp_path) == ["p0", "p1", "p2"]


def test_damaged_lines_in_the_journal_are_skipped_not_fatal(tmp_path: Path) -> None:
    journal = Spool(tmp_path)
    journal.append(events(0, 1))
    journal.close()
    with journal._path(1).open("ab") as fh:
        fh.write(b"not json at all\n\xff\xfe{\"broken\n")
    journal = Spool(tmp_path)
    journal.append(events(1, 2))
    journal.close()
    assert recovered_ids(tmp_path) == ["p0", "p1"]


def test_health_sees_space_return_without_waiting_for_a_push(small_disk: SmallDisk,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spool_mod, "PROBE_FREE_BYTES", 256 * 1024)  # the test disk holds 1 MiB in all
    journal = Spool(small_disk.path / "spool")
    small_disk.fill()
    with pytest.raises(JournalError):
        journal.append(events(0, 20, pad=200))
    assert journal.still_failing() is not None and "the disk is full" in journal.still_failing()
    small_disk.free()
    assert journal.still_failing() is None
    assert journal.append(events(20, 21))
    journal.close()
