"""Live updates: one watcher, many Server-Sent Event streams.

The watcher reads a small fingerprint of the store (open incidents, the newest notification,
the newest audit entry) once per ``interval`` and, when it changes, wakes every open stream
with a ``change`` event; the browser then fetches the page again and swaps its live part. So
fifty open consoles cost one query per interval and one queue each, not fifty polls, and
actions taken anywhere (Slack, the CLI, another replica) show up too.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from typing import Any

from aiohttp import web

KEEPALIVE = 15.0  # seconds between comments on a quiet stream (proxies close silent ones)
MAX_STREAMS = 500


def fingerprint(store: Any) -> str:
    parts = [store.query("SELECT id, data FROM incidents WHERE status='open' ORDER BY id"),
             store.query("SELECT MAX(seq) FROM notifications"),
             store.query("SELECT COUNT(*), MAX(ts) FROM audit_log")]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


class Hub:
    """Fans one change signal out to every open event stream."""

    def __init__(self, store: Any, interval: float = 1.0, stopping: asyncio.Event | None = None) -> None:
        self.store = store  # a callable returning the runtime's store (it changes on restart)
        self.stopping = stopping  # set when the daemon stops: every stream ends at once
        self.interval = interval
        self.queues: set[asyncio.Queue[str]] = set()
        self.version = ""
        self._task: asyncio.Task[None] | None = None
        self.extra: list[Any] = []  # more callables whose value is part of the fingerprint (tasks)

    def check(self) -> bool:
        """Recompute the fingerprint; tell every stream when it moved."""
        store = self.store()
        if store is None:
            return False
        parts = [fingerprint(store), *(repr(f()) for f in self.extra)]
        version = hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
        if version == self.version:
            return False
        self.version = version
        for q in list(self.queues):
            if q.empty():  # a slow reader gets one pending signal, never a backlog
                q.put_nowait(version)
        return True

    async def _watch(self) -> None:
        while self.queues:
            with contextlib.suppress(Exception):  # a store hiccup skips one check; the next one catches up
                self.check()
            await asyncio.sleep(self.interval)
        self._task = None

    def subscribe(self) -> asyncio.Queue[str]:
        if len(self.queues) >= MAX_STREAMS:
            raise web.HTTPServiceUnavailable(text="too many open live streams; reload later")
        q: asyncio.Queue[str] = asyncio.Queue(maxsize=1)
        self.queues.add(q)
        if self._task is None:
            with contextlib.suppress(Exception):
                self.check()
            self._task = asyncio.get_running_loop().create_task(self._watch())
        return q

    def unsubscribe(self, q: asyncio.Queue[str]) -> None:
        self.queues.discard(q)

    async def stream(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                           "X-Accel-Buffering": "no"})
        await resp.prepare(request)
        q = self.subscribe()
        try:
            await resp.write(f"retry: 3000\nevent: hello\ndata: {self.version}\n\n".encode())
            while True:
                version = await self._next(q)
                if version is None:
                    await resp.write(b": keepalive\n\n")
                    continue
                if not version:  # the daemon is stopping: end the stream (the browser reconnects later)
                    break
                await resp.write(f"event: change\ndata: {version}\n\n".encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.unsubscribe(q)
        return resp

    async def _next(self, q: asyncio.Queue[str]) -> str | None:
        """The next version; ``""`` when the daemon stops, None after a quiet ``KEEPALIVE``."""
        waits: set[asyncio.Future[Any]] = {asyncio.ensure_future(q.get())}
        if self.stopping is not None:
            waits.add(asyncio.ensure_future(self.stopping.wait()))
        done, pending = await asyncio.wait(waits, timeout=KEEPALIVE, return_when=asyncio.FIRST_COMPLETED)
        for p in pending:
            p.cancel()
        if self.stopping is not None and self.stopping.is_set():
            return ""
        got = [d.result() for d in done if isinstance(d.result(), str)]
        return got[0] if got else None

    async def close(self) -> None:
        """End every open stream now, so a shutdown does not wait on browsers that never hang up."""
        for q in list(self.queues):
            while not q.empty():
                q.get_nowait()
            q.put_nowait("")
        self.queues.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
