"""Feishu card buttons: verified callbacks act (and the card is edited in place); bad, stale or replayed
callbacks are refused with 401 and change nothing; the URL check is answered. The daemon runs on a virtual
clock (tests/interact/conftest.py), so the 5-minute timestamp window is checked to the second."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from monitor.clock import VirtualClock
from monitor.config import load_config
from monitor.interact.feishu import lark_signature
from monitor.models import Incident
from monitor.service import Service
from monitor.store_actions import ActionStore
from tests.alerts.notifiers.feishufake import FakeFeishu
from tests.support import WordScorer, write_config

from .conftest import DELIVERY_TIMEOUT, NOW

VTOKEN = "feishu-verification-token"
INC = "acme-20260301-080000"


@pytest.fixture
async def fs_daemon(tmp_path: Path) -> AsyncIterator[tuple[Service, str, FakeFeishu]]:
    async with FakeFeishu() as fs:
        cfg = write_config(tmp_path, f"""\
            store: {{path: state.db}}
            playbooks: @PLAYBOOKS@
            server: {{port: 0}}
            notifiers:
              - kind: feishu_app
                app_id: cli_test
                app_secret: app-secret
                chat_id: oc_crisis
                verification_token: {VTOKEN}
                api_url: {fs.api_url}
            """)
        svc = Service(load_config(cfg), VirtualClock(NOW), scorer=WordScorer())
        await svc.start()
        assert svc.rt is not None
        now = svc.clock.now()
        svc.rt.store.save_incident("acme", Incident(id=INC, brand="acme", category=None, level="yellow",
                                                    status="open", opened_at=now, level_since=now,
                                                    last_signal_at=now))
        ActionStore(svc.rt.store).save_thread(INC, "feishu_app", "oc_crisis", "om_root")
        try:
            yield svc, f"http://127.0.0.1:{svc.port}/feishu/card", fs
        finally:
            await svc.shutdown()


def click(action: str, user: str = "ou_lin") -> bytes:
    return json.dumps({"open_id": user, "user_id": user, "open_message_id": "om_root", "token": VTOKEN,
                       "action": {"tag": "button", "value": {"action": action, "incident": INC}}}).encode()


def signed(body: bytes, ts: int | None = None, token: str = VTOKEN, nonce: str = "n1") -> dict[str, str]:
    stamp = str(int(NOW.timestamp()) if ts is None else ts)
    return {"X-Lark-Request-Timestamp": stamp, "X-Lark-Request-Nonce": nonce,
            "X-Lark-Signature": lark_signature(stamp, nonce, token, body), "Content-Type": "application/json"}


async def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.post(url, data=body, headers=headers) as r:
        return r.status, await r.json()


async def test_ack_acts_and_the_card_is_edited_in_place(fs_daemon: Any) -> None:
    svc, url, fs = fs_daemon
    status, answer = await post(url, b := click("ack"), signed(b))
    assert status == 200 and answer["toast"] == {"type": "success", "content": "Acknowledged by ou_lin"}
    found = svc.rt.store.get_incident(INC)
    assert found[1].acked_by == "ou_lin"
    entry = ActionStore(svc.rt.store).audit_log(INC)[0]
    assert (entry["actor"], entry["channel"], entry["action"]) == ("ou_lin", "feishu", "ack")
    end = asyncio.get_running_loop().time() + DELIVERY_TIMEOUT
    while not any(c.method == "PATCH" for c in fs.calls):  # the dispatcher delivers the "acknowledged" notification
        assert asyncio.get_running_loop().time() < end, "timed out waiting for the card's update"
        await asyncio.sleep(0.05)
    patch = next(c for c in fs.calls if c.method == "PATCH")
    assert patch.path == "/open-apis/im/v1/messages/om_root"
    assert "Acknowledged by: ou_lin" in patch.card()["elements"][0]["text"]["content"]


@pytest.mark.parametrize("case", ["bad-signature", "other-token", "stale", "future", "replay"])
async def test_bad_stale_or_replayed_callbacks_change_nothing(fs_daemon: Any, case: str) -> None:
    svc, url, _ = fs_daemon
    body = click("resolve")
    headers = signed(body)
    if case == "bad-signature":
        headers["X-Lark-Signature"] = "0" * 40
    elif case == "other-token":
        headers = signed(body, token="not-ours")
    elif case == "stale":
        headers = signed(body, ts=int(NOW.timestamp()) - 301)
    elif case == "future":
        headers = signed(body, ts=int(NOW.timestamp()) + 301)
    else:
        assert (await post(url, body, headers))[0] == 200
    status, _ = await post(url, body, headers)
    assert status == 401
    found = svc.rt.store.get_incident(INC)
    assert found[1].status == ("resolved" if case == "replay" else "open")
    assert len(ActionStore(svc.rt.store).audit_log()) == (1 if case == "replay" else 0)


async def test_url_verification_is_answered_only_with_our_token(fs_daemon: Any) -> None:
    _, url, _ = fs_daemon
    body = {"type": "url_verification", "challenge": "c-123", "token": VTOKEN}
    assert await post(url, json.dumps(body).encode(), {"Content-Type": "application/json"}) == (
        200, {"challenge": "c-123"})
    body["token"] = "nope"
    assert (await post(url, json.dumps(body).encode(), {"Content-Type": "application/json"}))[0] == 401


@pytest.mark.parametrize("skew", [-300, 300])
async def test_a_timestamp_five_minutes_off_is_still_accepted(fs_daemon: Any, skew: int) -> None:
    svc, url, _ = fs_daemon
    status, answer = await post(url, b := click("ack"), signed(b, ts=int(NOW.timestamp()) + skew))
    assert status == 200, answer
    assert svc.rt.store.get_incident(INC)[1].acked_by == "ou_lin"
