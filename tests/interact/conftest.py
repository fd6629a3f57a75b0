"""A running daemon (real Service, HTTP on 127.0.0.1) with a slack_app notifier aimed at a local
fake Slack and one open incident per level."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from monitor.clock import SystemClock
from monitor.config import load_config
from monitor.models import Incident
from monitor.service import Service
from monitor.store_actions import ActionStore
from tests.alerts.conftest import make_alert, playbooks  # noqa: F401  (fixtures shared with tests/alerts)
from tests.alerts.notifiers.slackfake import FakeSlack
from tests.support import WordScorer, write_config

TOKEN = "a-long-enough-api-token"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
INCIDENTS = {"blue": "acme-20260301-080000", "yellow": "acme-20260301-090000", "red": "acme-20260301-100000"}


def sign(body: bytes, ts: int | None = None, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(time.time()) if ts is None else ts)
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

    def incident(self, inc_id: str) -> Incident:
        found = self.store.get_incident(inc_id)
        assert found is not None
        return found[1]

    async def wait_for(self, check: Callable[[], bool], timeout: float = 10.0) -> None:
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
        svc = Service(load_config(daemon_config(tmp_path, slack.api_url)), SystemClock(), scorer=WordScorer())
        await svc.start()
        assert svc.rt is not None
        now = datetime.now(UTC)
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
