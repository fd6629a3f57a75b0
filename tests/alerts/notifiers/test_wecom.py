"""WeCom: the markdown message as received, its 4096-byte limit, escaping and errcode mapping."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from monitor.errors import NotifyError

from ..conftest import EXAMPLES, red_evidence
from .fakes import HookServer

OK = {"errcode": 0, "errmsg": "ok"}


async def test_markdown_as_received(hook: HookServer, make_notifier: Any, make_alert: Any) -> None:
    hook.reply(200, OK)
    await make_notifier("wecom", url=hook.url("/cgi-bin/webhook/send?key=k")).send(make_alert("yellow", "opened"))
    req = hook.requests[0]
    assert req.query == {"key": "k"}
    body = req.json()
    assert set(body) == {"msgtype", "markdown"} and body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert content.startswith('<font color="warning">**[YELLOW] Acme — incident INC-acme-20260301-1 opened: ')
    assert "**Why**\n- Rule: the brand enters a trending list" in content
    assert content.endswith("Brand Monitor · notification INC-acme-20260301-1#3")
    assert len(content.encode()) <= 4096


async def test_all_clear_is_green_and_the_limit_is_in_bytes(hook: HookServer, make_notifier: Any,
                                                           make_alert: Any) -> None:
    hook.reply(200, OK)
    hook.reply(200, OK)
    wecom = make_notifier("wecom", url=hook.url())
    await wecom.send(make_alert("red", "resolved", reason="all clear"))
    assert hook.requests[0].json()["markdown"]["content"].startswith('<font color="info">**[ALL CLEAR] Acme')
    alert = make_alert()
    alert = dataclasses.replace(alert, playbook=dataclasses.replace(alert.playbook, statement="危机声明" * 800))
    await wecom.send(alert)
    content = hook.requests[1].json()["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096 < len(content) * 3
    assert "… (truncated)" in content and content.endswith("notification INC-acme-20260301-1#3")


async def test_mentions_from_posts_stay_text(hook: HookServer, make_notifier: Any, make_alert: Any) -> None:
    hook.reply(200, OK)
    evil = dataclasses.replace(EXAMPLES[0], text='<@zhangsan> <@all> @all <font color="warning">fake</font>')
    await make_notifier("wecom", url=hook.url()).send(make_alert(evidence=red_evidence(examples=(evil,))))
    content = hook.requests[0].json()["markdown"]["content"]
    assert "<@" not in content and "@all" not in content and content.count("<font") == 1


@pytest.mark.parametrize(("reply", "retryable"), [
    ({"errcode": 93000, "errmsg": "invalid webhook url"}, False),
    ({"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}, False),
    ({"errcode": 45009, "errmsg": "api freq out of limit"}, True),
    ({"errcode": -1, "errmsg": "system busy"}, True),
])
async def test_errcode_mapping(reply: dict[str, Any], retryable: bool, hook: HookServer, make_notifier: Any,
                               make_alert: Any) -> None:
    hook.reply(200, reply)
    with pytest.raises(NotifyError) as exc:
        await make_notifier("wecom", url=hook.url()).send(make_alert())
    assert exc.value.retryable is retryable
    assert str(exc.value).startswith(f"wecom notifier 'wecom': error {reply['errcode']} from 127.0.0.1:")
