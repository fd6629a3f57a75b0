"""Over a chat tool's size limit, example posts go first; the playbook and statement stay.

Checked on the bodies a local server receives: Feishu's 20 KB request limit, WeCom's 4096
UTF-8 bytes, DingTalk's 5000 characters."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from monitor.alerts.notifiers.trim import fewer_examples_first
from monitor.models import Example

from ..conftest import T0, red_evidence
from .fakes import HookServer

OK = {"errcode": 0, "errmsg": "ok", "code": 0, "msg": "success"}


def _long_examples(n: int, chars: int) -> tuple[Example, ...]:
    return tuple(Example(source="weibo", id=f"w{i}", ts=T0, text=f"第{i}条:" + "艾克美电池起火" * (chars // 7),
                         url=f"https://weibo.com/1/w{i}", author=f"用户{i}", reposts=5, score=0.9)
                 for i in range(n))


def _big(make_alert: Any, examples: int, chars: int, statement: str) -> Any:
    alert = make_alert("red", "escalated", evidence=red_evidence(examples=_long_examples(examples, chars)))
    return dataclasses.replace(alert, playbook=dataclasses.replace(alert.playbook, statement=statement))


def test_the_most_examples_that_fit() -> None:
    built: list[int] = []

    def build(n: int) -> int:
        built.append(n)
        return n * 100

    assert fewer_examples_first(build, lambda size: size <= 250, 5) == 200
    assert built == [5, 4, 3, 2]
    assert fewer_examples_first(lambda n: n, lambda _n: False, 3) == 0


@pytest.mark.parametrize(("kind", "repeat"), [("wecom", 60), ("dingtalk", 250)])
async def test_examples_are_dropped_before_the_playbook_and_statement(kind: str, repeat: int, hook: HookServer,
                                                                      make_notifier: Any, make_alert: Any) -> None:
    hook.reply(200, OK)
    statement = "Statement from Acme: we are investigating every report. " + "我们正在调查。" * repeat
    notifier = make_notifier(kind, url=hook.url(), max_examples=5)
    await notifier.send(_big(make_alert, 5, 400, statement))
    body = hook.requests[0].json()
    text = body["markdown"]["content" if kind == "wecom" else "text"]
    if kind == "wecom":
        assert len(text.encode("utf-8")) <= 4096
    else:
        assert len(text) <= 5000
    assert "Statement from Acme: we are investigating every report." in text  # the statement stays
    assert "Decide the response line" in text  # so do the playbook's tasks
    assert "第0条" in text or "第1条" not in text  # examples were cut from the end, not the start
    assert "第4条" not in text  # ... and not all of them fit
    assert "… (truncated)" not in text  # nothing else had to go


async def test_feishu_bodies_stay_under_20_kb_and_keep_the_playbook(hook: HookServer, make_notifier: Any,
                                                                    make_alert: Any) -> None:
    hook.reply(200, OK)
    statement = "Statement from Acme. " + "我们正在调查每一份报告，并将在24小时内公布事实。" * 150
    feishu = make_notifier("feishu", url=hook.url(), secret="sec", max_examples=10)
    await feishu.send(_big(make_alert, 10, 1500, statement))
    raw = hook.requests[0].body
    assert len(raw) <= 20_000
    card = hook.requests[0].json()["card"]
    text = "\n".join(e["text"]["content"] for e in card["elements"] if e.get("tag") == "div" and "text" in e)
    assert "Statement from Acme." in text and "Decide the response line" in text
    assert "第9条" not in text
