"""Feishu / Lark: the interactive card and its signature as received, and the code mapping."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

import pytest

from monitor.clock import VirtualClock
from monitor.errors import NotifyError

from ..conftest import EXAMPLES, red_evidence
from .fakes import HookServer

WALL = datetime(2026, 3, 1, 8, 0, 30, tzinfo=UTC)
OK = {"code": 0, "data": {}, "msg": "success"}


async def test_signed_card_as_received(hook: HookServer, make_notifier: Any, make_alert: Any) -> None:
    hook.reply(200, OK)
    feishu = make_notifier("feishu", url=hook.url("/open-apis/bot/v2/hook/abc"), secret="sec")
    feishu.wall_clock = VirtualClock(WALL)
    await feishu.send(make_alert("red", "escalated"))
    body = hook.requests[0].json()
    ts = int(WALL.timestamp())
    expected = base64.b64encode(hmac.new(f"{ts}\nsec".encode(), b"", hashlib.sha256).digest()).decode()
    assert body["timestamp"] == str(ts) and body["sign"] == expected
    assert body["msg_type"] == "interactive"
    card = body["card"]
    assert card["config"] == {"wide_screen_mode": True}
    assert card["header"] == {"title": {"tag": "plain_text", "content": (
        "[RED] Acme — incident INC-acme-20260301-1 escalated: brand is trending on weibo_hot (#3)")},
        "template": "red"}
    notice, facts, hr, *secs, note = card["elements"]
    assert notice == {"tag": "div", "text": {"tag": "lark_md", "content": (
        "The incident is now red: a new playbook applies. Owner: Chief Executive Officer. "
        "Acknowledge within 15m (by 2026-03-01 08:15 UTC).")}}
    assert facts["fields"][0] == {"is_short": True, "text": {"tag": "lark_md", "content": "**Level**\nRED"}}
    assert hr == {"tag": "hr"}
    assert secs[0]["text"]["content"].startswith("**Why**\n- Rule: the brand enters a trending list")
    assert note == {"tag": "note", "elements": [{"tag": "plain_text",
                                                 "content": "Brand Monitor · notification INC-acme-20260301-1#3"}]}


async def test_unsigned_bot_gets_no_signature_fields(hook: HookServer, make_notifier: Any, make_alert: Any) -> None:
    hook.reply(200, {"StatusCode": 0, "StatusMessage": "success"})  # the older answer shape
    await make_notifier("feishu", url=hook.url()).send(make_alert("blue", "opened"))
    body = hook.requests[0].json()
    assert set(body) == {"msg_type", "card"} and body["card"]["header"]["template"] == "blue"


async def test_at_all_from_a_post_stays_text(hook: HookServer, make_notifier: Any, make_alert: Any) -> None:
    hook.reply(200, OK)
    evil = dataclasses.replace(EXAMPLES[0], text='<at id=all></at> <at user_id="all">所有人</at> [x](https://e.example)')
    await make_notifier("feishu", url=hook.url()).send(make_alert(evidence=red_evidence(examples=(evil,))))
    raw = hook.requests[0].body.decode()
    assert "<at " not in raw and "](https://e.example" not in raw


@pytest.mark.parametrize(("reply", "retryable", "says"), [
    ({"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}, False,
     "signature mismatch or clock skew"),
    ({"code": 19024, "msg": "Key Words Not Found"}, False, "the bot requires a keyword"),
    ({"code": 9499, "msg": "Bad Request"}, False, "Bad Request"),
    ({"code": 11232, "msg": "frequency limited"}, True, "frequency limited"),
])
async def test_error_codes_in_a_200(reply: dict[str, Any], retryable: bool, says: str, hook: HookServer,
                                    make_notifier: Any, make_alert: Any) -> None:
    hook.reply(200, reply)
    with pytest.raises(NotifyError) as exc:
        await make_notifier("feishu", url=hook.url()).send(make_alert())
    assert exc.value.retryable is retryable
    assert f"feishu notifier 'feishu': error {reply['code']} from 127.0.0.1:{hook.port}" in str(exc.value)
    assert says in str(exc.value)


async def test_http_failures_and_garbage(hook: HookServer, make_notifier: Any, make_alert: Any) -> None:
    hook.reply(500, "oops")
    hook.reply(200, "<html>proxy login</html>")
    feishu = make_notifier("feishu", url=hook.url())
    for _ in range(2):
        with pytest.raises(NotifyError) as exc:
            await feishu.send(make_alert())
        assert exc.value.retryable
