"""A running daemon (real Service, HTTP on 127.0.0.1) with a slack_app notifier aimed at a local
fake Slack and one open incident per level.

The daemon runs on a :class:`VirtualClock` starting at ``NOW``: every check the interactivity routes make
against the time (Slack's and Feishu's 5-minute timestamp window, e-mail link expiry, nonces, the audit
log's times) reads that clock, so requests are signed at ``NOW`` and the edges are exact, however slowly a
loaded machine runs the test. It moves only when a test moves it (:meth:`Daemon.tick`, between actions
whose order the audit log must show). Only the waits for background delivery use real time."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from monitor.clock import VirtualClock
from monitor.config import load_config
from monitor.models import Incident
from monitor.service import Service
from monitor.store_actions import ActionStore
from tests.alerts.conftest import make_alert, playbooks  # noqa: F401  (fixtures shared with tests/alerts)
from tests.alerts.notifiers.slackfake import FakeSlack
from tests.support import WordScorer, write_config

TOKEN = "a-long-enough-api-token"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)  # the daemons' virtual time
DELIVERY_TIMEOUT = 30.0  # real seconds to wait for background delivery (milliseconds when the machine is idle)
INCIDENTS = {"blue": "acme-20260301-080000", "yellow": "acme-20260301-090000", "red": "acme-20260301-100000"}


def sign(body: bytes, ts: int | None = None, secret: str = SECRET) -> dict[str, str]:
    """Slack's request signature, stamped ``ts`` (default: the daemon's virtual now)."""
    stamp = str(int(NOW.timestamp()) if ts is None else ts)
    sig = "v0=" + hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": sig,
            "Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class Daemon:
    svc: Service
    http: aiohttp.ClientSession
    base: str
    slack: FakeSlack

    @property
    def store(self) -> Any:
        assert self.svc.rt is not None
        return self.svc.rt.store

    @property
    def actions(self) -> ActionStore:
        return ActionStore(self.store)

    def tick(self, seconds: float = 1.0) -> None:
        """Let ``seconds`` of the daemon's virtual time pass (actions at one instant tie in the audit log)."""
        clock = self.svc.clock
        assert isinstance(clock, VirtualClock)
        clock.set(clock.now() + timedelta(seconds=seconds))

    def incident(self, inc_id: str) -> Incident:
        found = self.store.get_incident(inc_id)
        assert found is not None
        return found[1]

    async def wait_for(self, check: Callable[[], bool], timeout: float = DELIVERY_TIMEOUT) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not check():
            assert loop.time() < end, "timed out waiting"
            await asyncio.sleep(0.05)


def daemon_config(tmp_path: Path, api_url: str, extra: str = "") -> Path:
    return write_config(tmp_path, f"""\
        store: {{path: state.db}}
        playbooks: @PLAYBOOKS@
        server: {{port: 0, api_token: {TOKEN}}}
        notifiers:
          - kind: slack_app
            token: xoxb-test
            channel: C0CRISIS
            signing_secret: {SECRET}
            api_url: {api_url}
        {extra}""")


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    async with FakeSlack() as slack:
        svc = Service(load_config(daemon_config(tmp_path, slack.api_url)), VirtualClock(NOW), scorer=WordScorer())
        await svc.start()
        assert svc.rt is not None
        now = svc.clock.now()
        for level, inc_id in INCIDENTS.items():
            inc = Incident(id=inc_id, brand="acme", category=level, level=level, status="open",  # type: ignore
                           opened_at=now, level_since=now, last_signal_at=now, trigger=f"{level}.volume")
            svc.rt.store.save_incident(f"acme/{level}", inc)
            ActionStore(svc.rt.store).save_thread(inc_id, "slack_app", "C0CRISIS", f"{level}.000100")
        try:
            async with aiohttp.ClientSession() as http:
                yield Daemon(svc, http, f"http://127.0.0.1:{svc.port}", slack)
        finally:
            await svc.shutdown()
