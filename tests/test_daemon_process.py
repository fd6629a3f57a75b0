"""`monitor run` as a real process: JSON logs, /healthz, and SIGTERM draining in-flight work."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import sys
from pathlib import Path

import aiohttp
from aiohttp import web

from tests.alerts.notifiers.fakes import free_port
from tests.support import ROOT, serve, write_config

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><guid>slow-1</guid><title>Acme news</title><link>https://news.example/1</link>
<description>Acme opened a store</description></item></channel></rss>"""


async def test_sigterm_lets_the_in_flight_poll_finish_and_exits_cleanly(tmp_path: Path) -> None:
    polls: list[float] = []
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow_feed(request: web.Request) -> web.Response:
        polls.append(asyncio.get_running_loop().time())
        started.set()
        # the daemon is told to stop while this poll is in flight: held until the daemon says it waits for it
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(release.wait(), timeout=90)
        return web.Response(text=RSS, content_type="application/rss+xml")

    server = await serve({("GET", "/feed.xml"): slow_feed})
    cfg = write_config(tmp_path, f"""\
        store: {{path: state.db}}
        playbooks: @PLAYBOOKS@
        server: {{port: 0}}
        sources:
          - {{kind: rss, name: news, url: "{server.make_url('/feed.xml')}", interval: 1h}}
        """)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor", "run", "--config", str(cfg), env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        await asyncio.wait_for(started.wait(), timeout=120)
        proc.send_signal(signal.SIGTERM)
        head = b""
        async with asyncio.timeout(60):
            while b"in-flight poll" not in head and (line := await proc.stderr.readline()):
                head += line
        release.set()
        _, rest = await asyncio.wait_for(proc.communicate(), timeout=60)
        err = head + rest
    finally:
        if proc.returncode is None:
            proc.kill()
        await server.close()
    assert proc.returncode == 0
    logs = [json.loads(line) for line in err.decode().splitlines() if line.startswith("{")]
    messages = [r["message"] for r in logs]
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in logs)
    assert "waiting for 1 in-flight poll(s)" in messages
    assert messages[-1] == "brand monitor stopped"
    with sqlite3.connect(tmp_path / "state.db") as db:  # the poll's result was stored before exit
        ((key,),) = db.execute("SELECT key FROM seen").fetchall()
        assert key.startswith("news:") and key.endswith("slow-1")
        assert db.execute("SELECT source FROM cursors").fetchall() == [("news",)]
    assert len(polls) == 1


async def test_healthz_answers_on_a_running_daemon(tmp_path: Path) -> None:
    port = free_port()
    cfg = write_config(tmp_path, f"""\
        store: {{path: state.db}}
        playbooks: @PLAYBOOKS@
        server: {{port: {port}}}
        """)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor", "run", "--config", str(cfg), env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        body = None
        async with aiohttp.ClientSession() as http:
            for _ in range(600):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                        body = await r.json()
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.2)
        assert body is not None and body["status"] == "ok" and body["outbox"] == {"pending": 0, "failed": 0}
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), timeout=60) == 0
