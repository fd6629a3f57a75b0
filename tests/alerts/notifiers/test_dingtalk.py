"""DingTalk: markdown message and the signed query as received, and the errcode mapping."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

import pytest

from monitor.alerts.notifiers.dingtalk import MAX_CHARS
from monitor.alerts.render import ZWSP
from monitor.clock import VirtualClock
from monitor.errors import NotifyError

from ..conftest import EXAMPLES, red_evidence
from .fakes import HookServer

WALL = datetime(2026, 3, 1, 8, 0, 30, 250000, tzinfo=UTC)
OK = {"errcode": 0, "errmsg": "ok"}


async def test_signed_markdown_as_received(hook: HookServer, make_notifier: Any, make_alert: Any) -> None:
    hook.reply(200, OK)
    ding = make_notifier("dingtalk", url=hook.url("/robot/send?access_token=tok"), secret="SECabc")
    ding.wall_clock = VirtualClock(WALL)
    await ding.send(make_alert("red", "escalated"))
    req = hook.requests[0]
    ts = int(WALL.timestamp() * 1000)
    expected = base64.b64encode(hmac.new(b"SECabc", f"{ts}\nSECabc".encode(), hashlib.sha256).digest()).decode()
    assert req.path == "/robot/send"
    assert req.query == {"access_token": "tok", "timestamp": str(ts), "sign": expected}
    body = req.json()
    assert body["msgtype"] == "markdown" and body["at"] == {"isAtAll": False}
    assert body["markdown"]["title"] == ("[RED] Acme — incident INC-acme-20260301-1 escalated: brand is trending on "
                                         "weibo_hot (#3)")
    text = body["markdown"]["text"]
    assert text.startswith("**[RED] Acme — incident INC-acme-20260301-1 escalated")
    assert "- [weibo](https://weibo.com/123/w1) · 小王" in text
    assert text.endswith("Brand Monitor · notification INC-acme-20260301-1#3")


async def test_unsigned_url_is_left_alone(hook: HookServer, make_notifier: Any, make_alert: Any) -> None:
    hook.reply(200, OK)
    await make_notifier("dingtalk", url=hook.url("/robot/send?access_token=tok")).send(make_alert())
    assert hook.requests[0].query == {"access_token": "tok"}


async def test_nobody_gets_pinged_by_a_post(hook: HookServer, make_notifier: Any, make_alert: Any) -> None:
    hook.reply(200, OK)
    evil = dataclasses.replace(EXAMPLES[0], text="@所有人 @13800138000 @all 快看", author="@all")
    await make_notifier("dingtalk", url=hook.url()).send(make_alert(evidence=red_evidence(examples=(evil,))))
    body = hook.requests[0].json()
    text = body["markdown"]["text"]
    assert "@所有人" not in text and "@13800138000" not in text and "@all" not in text
    assert f"@{ZWSP}所有人" in text and body["at"] == {"isAtAll": False}


async def test_long_messages_are_cut_but_keep_the_keyword_footer(hook: HookServer, make_notifier: Any,
                                                                  make_alert: Any) -> None:
    hook.reply(200, OK)
    alert = make_alert()
    alert = dataclasses.replace(alert, playbook=dataclasses.replace(alert.playbook, statement="声明" * 4000))
    await make_notifier("dingtalk", url=hook.url()).send(alert)
    text = hook.requests[0].json()["markdown"]["text"]
    assert len(text) <= MAX_CHARS and "… (truncated)" in text and text.endswith("notification INC-acme-20260301-1#3")


@pytest.mark.parametrize(("reply", "retryable"), [
    ({"errcode": 310000, "errmsg": "keywords not in content"}, False),
    ({"errcode": 300001, "errmsg": "token is not exist"}, False),
    ({"errcode": 130101, "errmsg": "send too fast"}, True),
    ({"errcode": -1, "errmsg": "系统繁忙"}, True),
])
async def test_errcode_mapping(reply: dict[str, Any], retryable: bool, hook: HookServer, make_notifier: Any,
                               make_alert: Any) -> None:
    hook.reply(200, reply)
    with pytest.raises(NotifyError) as exc:
        await make_notifier("dingtalk", url=hook.url("/robot/send?access_token=secret-token")).send(make_alert())
    assert exc.value.retryable is retryable and reply["errmsg"] in str(exc.value)
    assert "secret-token" not in str(exc.value)
