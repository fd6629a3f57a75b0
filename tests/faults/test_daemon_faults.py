"""`monitor run` as a real process when its database's -shm file is made immutable while it runs.

Before: the next write to SQLite's memory-mapped -shm killed the daemon with SIGBUS (exit 135)
and nothing was said. Now: the store refuses to touch SQLite, /healthz says why (503), pushes
that were answered 202 stay in the journal, SIGTERM still exits 0, and after ``chattr -i`` the
next start processes every accepted event.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.alerts.notifiers.fakes import free_port
from tests.faults.conftest import can_chattr, chattr
from tests.support import ROOT, write_config

TOKEN = "push-token-0123456789"


class Daemon:
    def __init__(self, cfg: Path, port: int) -> None:
        self.cfg = cfg
        self.base = f"http://127.0.0.1:{port}"
        self.proc: asyncio.subprocess.Process | None = None
        self.accepted: list[str] = []
        self.next_id = 0

    async def __aenter__(self) -> Daemon:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "monitor", "run", "--config", str(self.cfg),
            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE)
        self.http = aiohttp.ClientSession()
        for _ in range(600):
            try:
                await self.health()
                return self
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
        raise AssertionError("the daemon did not start")

    async def __aexit__(self, *exc: object) -> None:
        await self.http.close()
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()

    async def health(self) -> tuple[int, dict[str, Any]]:
        async with self.http.get(f"{self.base}/healthz") as r:
            return r.status, await r.json()

    async def push(self, n: int) -> int:
        ids = [f"e{self.next_id + k}" for k in range(n)]
        self.next_id += n
        body = [{"type": "post", "ts": "2026-03-01T08:00:00Z", "id": i, "text": f"Acme kettle {i}"} for i in ids]
        async with self.http.post(f"{self.base}/ingest", data=json.dumps(body),
                                  headers={"Authorization": f"Bearer {TOKEN}"}) as r:
            if r.status == 202:
                self.accepted += ids
            return r.status

    async def until(self, predicate, timeout: float = 20.0) -> dict[str, Any]:
        for _ in range(int(timeout * 10)):
            status, body = await self.health()
            if predicate(status, body):
                return body
            await asyncio.sleep(0.1)
        raise AssertionError(f"not reached: {body}")

    async def stop(self) -> tuple[int, str]:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(self.proc.communicate(), timeout=60)
        return self.proc.returncode or 0, err.decode()


@pytest.mark.skipif(not can_chattr(), reason="needs root and chattr")
async def test_an_shm_made_immutable_under_a_running_daemon(tmp_path: Path) -> None:
    port = free_port()
    cfg = write_config(tmp_path, f"""\
        store: {{path: state.db}}
        playbooks: @PLAYBOOKS@
        server: {{port: {port}}}
        health: {{check_interval: 1s}}
        runtime: {{tick: 1s}}
        sources:
          - {{kind: webhook, name: push, token: {TOKEN}}}
        """)
    shm = tmp_path / "state.db-shm"
    try:
        async with Daemon(cfg, port) as d:
            assert await d.push(20) == 202
            await d.until(lambda s, b: b["sources"]["push"]["events"] == 20)
            if not chattr("+i", shm):
                pytest.skip("this filesystem has no immutable attribute")
            statuses = [await d.push(10)]
            body = await d.until(lambda s, b: s == 503 and b["components"]["store"]["status"] == "unhealthy")
            assert "its shared-memory file" in body["components"]["store"]["problem"]
            assert "chattr -i -a" in body["components"]["store"]["problem"]
            statuses += [await d.push(10) for _ in range(3)]
            code, err = await d.stop()
            assert code == 0, err[-3000:]  # was 135 (SIGBUS)
            assert "leaving the database connection open" in err
            accepted = d.accepted
        chattr("-i", shm)
        async with Daemon(cfg, port) as d:  # the journal past the stored cursor is processed now
            await d.until(lambda s, b: s == 200 and b["sources"]["push"]["events"] == len(accepted) - 20)
            code, _ = await d.stop()
            assert code == 0
    finally:
        chattr("-i", shm)
    with sqlite3.connect(tmp_path / "state.db") as db:
        seen = {k for (k,) in db.execute("SELECT key FROM seen WHERE key LIKE 'push:%'")}
    print(f"\nimmutable -shm: pushes answered {statuses}, {len(accepted)} accepted, {len(seen)} processed")
    assert len(accepted) >= 30 and seen == {f"push:{i}" for i in accepted}
