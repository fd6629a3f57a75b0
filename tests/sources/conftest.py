"""Shared fixtures for collector tests: a scripted fake channel on 127.0.0.1, a fake clock.

``FakeChannel`` serves canned responses per path (the last one repeats) and records every
request, so a test states exactly what the channel says and checks exactly what we asked.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from monitor.clock import SystemClock
from monitor.sources.base import SourceContext

FIXTURES = Path(__file__).parent / "fixtures"

Reply = web.StreamResponse | Callable[[web.Request], Any]


def fixture_text(kind: str, name: str) -> str:
    return (FIXTURES / kind / name).read_text(encoding="utf-8")


def fixture_json(kind: str, name: str) -> Any:
    return json.loads(fixture_text(kind, name))


@dataclass
class Seen:
    """One request the fake channel received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeChannel:
    """A scripted HTTP server: ``script(path, reply, ...)``; replies are used in order, the last repeats."""

    scripts: dict[tuple[str, str], list[Reply]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    server: TestServer | None = None

    def script(self, path: str, *replies: Reply, method: str = "GET") -> None:
        self.scripts[(method, path)] = list(replies)

    def requests(self, path: str | None = None) -> list[Seen]:
        return [s for s in self.seen if path is None or s.path == path]

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.seen.append(Seen(request.method, request.path, dict(request.query), dict(request.headers), body))
        replies = self.scripts.get((request.method, request.path))
        if not replies:
            return web.Response(status=404, text=f"no script for {request.method} {request.path}")
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        if callable(reply):
            result = reply(request)
            if hasattr(result, "__await__"):
                result = await result
            return result
        return _copy(reply)


def _copy(resp: web.StreamResponse) -> web.StreamResponse:
    """web.Response objects can be sent once; scripts may repeat one, so send a fresh copy."""
    assert isinstance(resp, web.Response)
    headers = {k: v for k, v in resp.headers.items() if k.lower() not in ("content-length", "content-type")}
    return web.Response(status=resp.status, body=resp.body, headers=headers, content_type=resp.content_type,
                        charset=resp.charset)


def json_reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, text=json.dumps(data), content_type="application/json", headers=headers)


def text_reply(text: str, status: int = 200, content_type: str = "text/plain",
               headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, text=text, content_type=content_type, headers=headers)


@pytest.fixture
async def channel() -> AsyncIterator[FakeChannel]:
    fake = FakeChannel()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake._handle)
    fake.server = TestServer(app, host="127.0.0.1")
    await fake.server.start_server()
    try:
        yield fake
    finally:
        await fake.server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


class FakeClock:
    """A clock tests move by hand; ``sleep`` advances it and records the request."""

    def __init__(self, start: datetime | None = None, *, moves: bool = True) -> None:
        self.t = start or datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
        self.moves = moves
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.moves:
            self.t += timedelta(seconds=seconds)


class SleepRecorder:
    """Stands in for asyncio.sleep: records requested waits, returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def context(clock: Any, session: aiohttp.ClientSession, sleep: Callable[[float], Any]) -> SourceContext:
    """A runtime context whose HTTP layer waits through ``sleep`` (recorded or faked, never slept)."""
    return SourceContext(clock=clock, session=session, user_agent="BrandMonitorTest/1.0",
                         extra={"http_options": {"sleep": sleep}})


@pytest.fixture
def ctx(session: aiohttp.ClientSession) -> SourceContext:
    """A runtime context on the real clock; HTTP waits recorded instead of slept."""
    return context(SystemClock(), session, SleepRecorder())


FAST = {"backoff": 0.001, "backoff_max": 0.01, "max_wait": 120}
"""Config overrides that keep retry delays in milliseconds."""


def make_source(cls: type, ctx: SourceContext, **settings: Any) -> Any:
    """Build a source from settings (as monitor.yaml would give them) with millisecond backoff."""
    config = cls.Config.model_validate({"kind": cls.kind, **FAST, **settings})
    return cls(config, ctx)


def stored(cursor: Any) -> Any:
    """The cursor as the store gives it back: through JSON."""
    return json.loads(json.dumps(cursor))


NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)  # 1772352000: the fixtures' "now"


@pytest.fixture
def fixed_ctx(session: aiohttp.ClientSession) -> SourceContext:
    """A runtime context whose clock stands at NOW (fixtures are dated around it); waits recorded."""
    return context(FakeClock(NOW, moves=False), session, SleepRecorder())


def clocked_source(cls: type, channel: FakeChannel, session: aiohttp.ClientSession, now: datetime = NOW,
                   **settings: Any) -> tuple[Any, FakeClock]:
    """A source pointed at the fake channel, on a clock at ``now`` that the HTTP layer's waits move.

    The waits (rate limits, Retry-After, backoff) land in ``clock.sleeps`` and advance the
    clock, so a test asserts the spacing the channel asked for without sleeping.
    """
    clock = FakeClock(now)
    return make_source(cls, context(clock, session, clock.sleep), base_url=channel.url, **settings), clock


def waits(ctx: SourceContext) -> list[float]:
    """The waits the HTTP layer asked for (recorded, not slept)."""
    return ctx.extra["http_options"]["sleep"].calls
