"""A real daemon on 127.0.0.1 in a thread of its own, for clients that block (schemathesis, requests)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from monitor.clock import SystemClock
from monitor.config import Loaded
from monitor.service import Service
from tests.support import WordScorer


class ThreadedDaemon:
    """The service, its event loop and base URL; ``call`` runs a coroutine on the daemon's loop."""

    def __init__(self, service: Service, loop: asyncio.AbstractEventLoop) -> None:
        self.service = service
        self.loop = loop
        self.base = f"http://127.0.0.1:{service.port}"

    def call(self, fn: Callable[[Service], Awaitable[Any]], timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(fn(self.service), self.loop).result(timeout)


@contextmanager
def threaded_daemon(loaded: Loaded, timeout: float = 60) -> Iterator[ThreadedDaemon]:
    ready = threading.Event()
    box: dict[str, Any] = {}

    async def main() -> None:
        service = Service(loaded, SystemClock(), scorer=WordScorer())
        try:
            await service.start()
        except BaseException as exc:
            box["error"] = exc
            ready.set()
            raise
        box["daemon"] = ThreadedDaemon(service, asyncio.get_running_loop())
        ready.set()
        try:
            await service.stop_event.wait()
        finally:
            await service.shutdown()

    thread = threading.Thread(target=lambda: asyncio.run(main()), name="daemon", daemon=True)
    thread.start()
    assert ready.wait(timeout), "the daemon did not start"
    if "error" in box:
        raise box["error"]
    daemon: ThreadedDaemon = box["daemon"]
    try:
        yield daemon
    finally:
        daemon.loop.call_soon_threadsafe(daemon.service.stop_event.set)
        thread.join(timeout)
