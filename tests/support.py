"""Shared test helpers: local servers, config files, and a deterministic scorer double.

The scorer double is for tests whose subject is NOT sentiment (the service, HTTP API,
health): it keeps them fast and independent of the model. End-to-end tests use the real
shipped model.
"""

from __future__ import annotations

import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from monitor.models import Sentiment

ROOT = Path(__file__).resolve().parents[1]
NEGATIVE_WORDS = ("broken", "died", "defect", "worst", "awful", "angry", "leak", "shock", "坏", "差", "漏")


class WordScorer:
    """Negative when a listed word occurs, else neutral. A test double, not a model."""

    model_id = "test-double/words"

    def __init__(self) -> None:
        self.calls = 0

    def score(self, texts: list[str], langs: list[str | None] | None = None) -> list[Sentiment]:
        self.calls += 1
        return [Sentiment("negative" if any(w in t.lower() for w in NEGATIVE_WORDS) else "neutral", 0.9,
                          self.model_id) for t in texts]


KEYWORDS = """\
brands:
  acme:
    name: Acme
    aliases: [Acme, 艾克美]
    ticker: ACME
rules:
  - id: acme-any
    brand: acme
    category: general
    query: '{brand}'
"""


def write_config(tmp: Path, body: str, keywords: str = KEYWORDS) -> Path:
    (tmp / "keywords.yaml").write_text(keywords, encoding="utf-8")
    cfg = tmp / "monitor.yaml"
    text = textwrap.dedent(body).replace("@PLAYBOOKS@", str(ROOT / "playbooks"))
    cfg.write_text(text, encoding="utf-8")
    return cfg


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def serve(routes: dict[tuple[str, str], Handler]) -> TestServer:
    """A real aiohttp server on 127.0.0.1 with the given (method, path) -> handler routes."""
    app = web.Application()
    for (method, path), handler in routes.items():
        app.router.add_route(method, path, handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


class Recorder:
    """An endpoint that stores what it receives (Slack, webhooks)."""

    def __init__(self) -> None:
        self.bodies: list[Any] = []
        self.headers: list[dict[str, str]] = []

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.headers.append(dict(request.headers))
        try:
            self.bodies.append(await request.json())
        except ValueError:
            self.bodies.append(raw.decode("utf-8", "replace"))
        return web.Response(text="ok")


async def wait_until(predicate: Callable[[], object], timeout: float = 30.0, interval: float = 0.02,
                     what: str = "the condition") -> None:
    """Poll ``predicate`` until it is true; fail after ``timeout`` real seconds.

    For the few tests that must run against real time (processes, live polling): wait on what the test
    needs to have happened, with a deadline generous enough for a loaded machine, never a fixed sleep.
    """
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        await asyncio.sleep(interval)
