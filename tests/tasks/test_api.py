"""The checklist over HTTP on a running daemon (real Service on 127.0.0.1): roles, audit, reminders."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from monitor.clock import SystemClock
from monitor.config import load_config
from monitor.http_api import incident_handle
from monitor.service import Service
from monitor.store_actions import ActionStore
from tests.alerts.notifiers.fakes import HookServer
from tests.support import WordScorer, write_config

from .conftest import seed

TOKEN = "a-long-enough-api-token"


@dataclass
class Room:
    svc: Service
    http: aiohttp.ClientSession
    base: str
    alice: HookServer
    incident: str
    tokens: dict[str, str]

    @property
    def store(self) -> Any:
        assert self.svc.rt is not None
        return self.svc.rt.store

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.get(who, who)}"}

    def audit(self) -> list[tuple[str, str, Any]]:
        return [(e["actor"], e["action"], e["detail"].get("ok")) for e in ActionStore(self.store).audit_log()]


def room_config(tmp_path: Path, alice_url: str, token: str | None = TOKEN) -> Path:
    api = f", api_token: {token}" if token else ""
    return write_config(tmp_path, f"""\
        store: {{path: state.db}}
        playbooks: @PLAYBOOKS@
        server: {{port: 0{api}}}
        notifiers:
          - {{kind: webhook, name: alice-hook, url: {alice_url}}}
        tasks:
          people: {{alice: {{notifier: alice-hook}}, bob: {{}}, rita: {{}}}}
          roles: {{PR: [alice], Legal: [bob]}}
          check_interval: 1s
        """)


@pytest.fixture
async def room(tmp_path: Path, make_alert: Any) -> AsyncIterator[Room]:
    async with HookServer() as alice:
        svc = Service(load_config(room_config(tmp_path, alice.url("/alice"))), SystemClock(), scorer=WordScorer())
        await svc.start()
        assert svc.rt is not None
        now = datetime.now(UTC)
        inc = seed(svc.rt.store, make_alert, svc.loaded.config.tasks, level="red", at=now - timedelta(minutes=90))
        actions = ActionStore(svc.rt.store)
        tokens = {name: actions.add_token(name, role, now) for name, role in
                  (("vic", "viewer"), ("rita", "responder"), ("bob", "responder"), ("ada", "admin"))}
        try:
            async with aiohttp.ClientSession() as http:
                yield Room(svc, http, f"http://127.0.0.1:{svc.port}", alice, inc, tokens)
        finally:
            await svc.shutdown()


async def test_tasks_are_listed_with_owners_and_overdue_flags(room: Room) -> None:
    async with room.http.get(room.base + f"/incidents/{room.incident}/tasks") as r:
        assert r.status == 200
        tasks = await r.json()
    roles = {t["role"]: t for t in tasks if t["kind"] == "role"}
    assert roles["PR"]["owners"] == ["alice"] and roles["Legal"]["owners"] == ["bob"]
    assert roles["Executives"]["owners"] == []
    assert (roles["PR"]["overdue"], roles["Legal"]["overdue"]) == (True, False)  # 1h and 2h after 90 minutes
    handle = incident_handle(room.incident, TOKEN)
    async with room.http.get(room.base + f"/incidents/{handle}/tasks?overdue=1") as r:
        assert {t["role"] for t in await r.json()} == {"Executives", "PR"}
    async with room.http.get(room.base + "/tasks?overdue=1") as r:
        assert len(await r.json()) == 2
    async with room.http.get(room.base + "/incidents/nope/tasks") as r:
        assert r.status == 404


async def test_ticking_needs_a_responder_and_is_audited(room: Room) -> None:
    async with room.http.get(room.base + f"/incidents/{room.incident}/tasks") as r:
        pr = next(t for t in await r.json() if t["role"] == "PR")
    url = room.base + f"/tasks/{pr['id']}/done"
    async with room.http.post(url, json={}) as r:
        assert r.status == 401
    async with room.http.post(url, json={}, headers=room.auth("vic")) as r:
        assert r.status == 403 and "vic is a viewer" in (await r.json())["error"]
    async with room.http.post(url, data="done", headers={**room.auth("rita"), "Content-Type": "text/plain"}) as r:
        assert r.status == 415
    async with room.http.post(url, json={"by": "someone-else"}, headers=room.auth("rita")) as r:
        body = await r.json()
        assert r.status == 200 and (body["done"], body["done_by"], body["outcome"]) == (True, "rita", "late")
    async with room.http.post(url, json={"done": False}, headers=room.auth("rita")) as r:
        assert (await r.json())["done"] is False
    async with room.http.post(url, json={"done": "yes"}, headers=room.auth("rita")) as r:
        assert r.status == 400
    async with room.http.post(room.base + "/tasks/t-nope/done", json={}, headers=room.auth("rita")) as r:
        assert r.status == 404
    assert room.audit() == [("rita", "task_done", None), ("rita", "task_undone", None)]


async def test_statement_edit_approve_and_an_edit_clears_the_approval(room: Room) -> None:
    url = room.base + f"/incidents/{room.incident}/statement"
    async with room.http.get(url) as r:
        st = await r.json()
    assert (st["state"], st["approved"], st["version"], st["author"]) == ("draft", False, 1, "brand-monitor")
    assert st["text"].startswith("Statement from Acme, ") and st["numbers"]["negative_posts"] == "15"
    new = st["text"] + "\nWe will update this page every two hours."
    async with room.http.put(url, json={"text": new}, headers=room.auth("rita")) as r:
        st = await r.json()
        assert r.status == 200 and (st["state"], st["version"], st["author"]) == ("edited", 2, "rita")
    async with room.http.post(url + "/approve", json={}, headers=room.auth("rita")) as r:
        assert r.status == 403 and "rita may not approve" in (await r.json())["error"]
    async with room.http.post(url + "/approve", json={"version": 1}, headers=room.auth("bob")) as r:
        assert r.status == 409  # bob read an old text
    async with room.http.post(url + "/approve", json={"version": 2}, headers=room.auth("bob")) as r:
        st = await r.json()
        assert r.status == 200 and (st["state"], st["approved_by"]) == ("approved", "bob") and st["approved_at"]
    async with room.http.put(url, json={"text": new + " Thank you."}, headers=room.auth("rita")) as r:
        st = await r.json()
        assert (st["state"], st["approved"], st["approved_by"], st["version"]) == ("edited", False, None, 3)
    assert st["versions"][1]["approved_by"] == "bob"  # the history keeps who approved which text
    async with room.http.post(url + "/approve", json={}, headers=room.auth("ada")) as r:
        assert r.status == 200 and (await r.json())["approved_by"] == "ada"  # an admin may approve
    for hostile in ({"text": "  "}, {"text": 42}, {"text": ["a"]}, {"text": "x" * 20_001}):
        async with room.http.put(url, json=hostile, headers=room.auth("rita")) as r:
            assert r.status == 400, hostile
    async with room.http.put(url, data=b'{"text": "' + b"x" * 3_000_000 + b'"}',
                             headers={**room.auth("rita"), "Content-Type": "application/json"}) as r:
        assert r.status == 413
    async with room.http.post(url + "/approve", json={"version": "2"}, headers=room.auth("bob")) as r:
        assert r.status == 400
    async with room.http.put(url, json={"text": "x"}, headers=room.auth("vic")) as r:
        assert r.status == 403
    async with room.http.get(room.base + "/incidents/nope/statement") as r:
        assert r.status == 404
    assert room.audit() == [("rita", "statement_edit", None), ("rita", "statement_approve", False),
                            ("bob", "statement_approve", True), ("rita", "statement_edit", None),
                            ("ada", "statement_approve", True)]


async def test_the_daemon_reminds_the_owner_of_an_overdue_task(room: Room) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + 15
    while not room.alice.requests:
        assert loop.time() < end, "no reminder arrived"
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.5)  # another check ran meanwhile: still one reminder
    [req] = room.alice.requests  # Executives' task is overdue too, but nobody holds that role
    doc = req.json()
    assert doc["transition"] == "task_overdue" and doc["reason"].startswith("PR task overdue by 0h30m")


async def test_without_a_token_the_api_changes_nothing(tmp_path: Path, make_alert: Any) -> None:
    svc = Service(load_config(room_config(tmp_path, "http://127.0.0.1:9/x", token=None)), SystemClock(),
                  scorer=WordScorer())
    await svc.start()
    try:
        assert svc.rt is not None
        inc = seed(svc.rt.store, make_alert, svc.loaded.config.tasks, at=datetime.now(UTC))
        async with aiohttp.ClientSession() as http:
            base = f"http://127.0.0.1:{svc.port}"
            async with http.put(base + f"/incidents/{inc}/statement", json={"text": "x", "by": "bob"}) as r:
                assert r.status == 403 and "read-only" in (await r.json())["error"]
            async with http.post(base + f"/incidents/{inc}/statement/approve", json={"by": "bob"}) as r:
                assert r.status == 403
    finally:
        await svc.shutdown()
