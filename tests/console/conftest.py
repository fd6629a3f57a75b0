"""A real daemon (Service on 127.0.0.1, SQLite on disk) with console accounts, and a signed-in client."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from monitor.clock import SystemClock
from monitor.config import load_config
from monitor.console.users import Accounts
from monitor.service import Service
from monitor.store_actions import ActionStore
from tests.support import WordScorer, wait_until, write_config

PASSWORD = "correct horse battery"
INGEST = "ingest-token-0123456789"
PEOPLE = {"alice": "responder", "vera": "viewer", "lena": "responder", "root": "admin"}


def console_config(tmp_path: Path, console: str = "", timezone: str = "Asia/Shanghai") -> Path:
    return write_config(tmp_path, f"""\
        store: {{path: state.db}}
        playbooks: @PLAYBOOKS@
        timezone: {timezone}
        server: {{port: 0, console: {{{console}}}}}
        sources:
          - {{kind: webhook, name: push, token: {INGEST}}}
        tasks:
          people: {{alice: {{}}, lena: {{}}}}
          roles: {{PR: [alice], Legal: [lena], Customer service: [alice]}}
        """)


class Room:
    """The daemon, its base URL and helpers to feed it and sign in."""

    def __init__(self, svc: Service) -> None:
        self.svc = svc
        self.base = f"http://127.0.0.1:{svc.port}"
        self.pushed = 0

    @property
    def store(self) -> Any:
        assert self.svc.rt is not None
        return self.svc.rt.store

    async def push(self, http: aiohttp.ClientSession, n: int = 12, text: str = "Acme broken again {i}",
                   platform: str = "push") -> None:
        """``n`` negative posts about Acme, a minute apart and ending now, through the push source."""
        now = datetime.now(UTC)
        lines = []
        for i in range(n):
            self.pushed += 1
            lines.append(json.dumps({"type": "post", "source": platform, "id": f"e{self.pushed}",
                                     "ts": (now - timedelta(minutes=n - i)).isoformat().replace("+00:00", "Z"),
                                     "text": text.format(i=i), "url": f"https://example.com/p/{self.pushed}"},
                                    ensure_ascii=False))
        async with http.post(f"{self.base}/ingest", data="\n".join(lines),
                             headers={"Authorization": f"Bearer {INGEST}"}) as r:
            assert r.status == 202, await r.text()

    def close_incident(self, incident_id: str) -> None:
        """Acknowledge (as sam, from Slack), tick the first task and resolve it, as the team would."""
        from monitor.interact.actions import perform
        from monitor.tasks import TaskBook

        rt, now = self.svc.rt, self.svc.clock.now()
        assert perform(rt, "ack", incident_id, "sam", "slack", now).ok
        book = TaskBook(self.store, self.svc.loaded.config.tasks)
        book.mark_done(book.tasks(now, incident_id)[0].task.id, "alice", now, channel="cli")
        assert perform(rt, "resolve", incident_id, "sam", "slack", now).ok

    def audit(self, incident_id: str | None = None) -> list[dict[str, Any]]:
        return ActionStore(self.store).audit_log(incident_id)

    async def incident(self) -> Any:
        await wait_until(lambda: self.store.list_incidents(status="open"), what="an open incident")
        return self.store.list_incidents(status="open")[0]

    async def login(self, http: aiohttp.ClientSession, name: str, password: str = PASSWORD) -> aiohttp.ClientResponse:
        async with http.get(f"{self.base}/console/login") as r:
            token = csrf_of(await r.text())
        async with http.post(f"{self.base}/console/login", data={"csrf": token, "name": name, "password": password,
                                                                 "next": "/"}, allow_redirects=False) as r:
            await r.read()
            return r

    async def csrf(self, http: aiohttp.ClientSession, path: str = "/") -> str:
        async with http.get(self.base + path) as r:
            assert r.status == 200, await r.text()
            return csrf_of(await r.text())


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


async def start_room(tmp_path: Path, console: str = "", timezone: str = "Asia/Shanghai") -> Room:
    tmp_path.mkdir(parents=True, exist_ok=True)
    svc = Service(load_config(console_config(tmp_path, console, timezone)), SystemClock(), scorer=WordScorer())
    await svc.start()
    assert svc.rt is not None
    accounts = Accounts(svc.rt.store)
    now = datetime.now(UTC)
    for name, role in PEOPLE.items():
        accounts.add(name, role, PASSWORD, now)
    return Room(svc)


@pytest.fixture
async def room(tmp_path: Path):
    r = await start_room(tmp_path)
    try:
        yield r
    finally:
        await r.svc.shutdown()


@pytest.fixture
async def http():
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
        yield s
