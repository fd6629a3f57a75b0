"""The feishu_app notifier against a local Feishu Open API: one card per incident, edited in place."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from monitor.errors import NotifyError

from .feishufake import FakeFeishu


def _make(make_notifier: Any, fs: FakeFeishu) -> Any:
    return make_notifier("feishu_app", app_id="cli_test", app_secret="app-secret", chat_id="oc_crisis",
                         api_url=fs.api_url)


async def test_one_card_per_incident_edited_in_place(make_notifier: Any, make_alert: Any) -> None:
    async with FakeFeishu() as fs:
        n = _make(make_notifier, fs)
        inc = make_alert("yellow", "opened")
        await n.send(inc)
        await n.send(dataclasses.replace(make_alert("red", "escalated"), acked_by=None))
        await n.send(dataclasses.replace(make_alert("red", "acknowledged"), acked_by="ou_lin"))
        await n.send(make_alert("red", "resolved"))
    msgs = fs.messages()
    assert fs.tokens_issued == 1  # cached
    assert (msgs[0].method, msgs[0].path) == ("POST", "/open-apis/im/v1/messages?receive_id_type=chat_id")
    assert msgs[0].body["receive_id"] == "oc_crisis" and msgs[0].body["msg_type"] == "interactive"
    first = msgs[0].card()
    assert first["header"]["template"] == "orange"
    buttons = first["elements"][-1]["actions"]
    assert [(b["value"]["action"], b["value"]["incident"]) for b in buttons] == [
        (a, inc.incident_id) for a in ("ack", "resolve", "snooze_1h", "false_alarm")]
    edits = [c for c in msgs if c.method == "PATCH"]
    replies = [c for c in msgs if c.path.endswith("/reply")]
    assert [c.path for c in edits] == ["/open-apis/im/v1/messages/om_1"] * 3
    assert len(replies) == 3 and all(c.path == "/open-apis/im/v1/messages/om_1/reply" for c in replies)
    assert edits[0].card()["header"]["template"] == "red"
    assert "Acknowledged by: ou_lin" in edits[1].card()["elements"][0]["text"]["content"]
    last = edits[2].card()
    assert last["header"]["template"] == "green" and len(last["elements"]) == 1  # no buttons once resolved
    assert all(c.headers["Authorization"] == "Bearer t-1" for c in msgs)


async def test_expired_token_is_refetched_on_retry_and_fatal_codes_are_not_retried(make_notifier: Any,
                                                                                   make_alert: Any) -> None:
    async with FakeFeishu() as fs:
        n = _make(make_notifier, fs)
        await n.send(make_alert("blue", "opened"))
        fs.tokens_issued += 1  # Feishu rotated the token: ours is now invalid
        with pytest.raises(NotifyError) as exc:
            await n.send(make_alert("blue", "repeated"))
        assert exc.value.retryable and "99991663" in str(exc.value)
        await n.send(make_alert("blue", "repeated"))  # fetches a new token
        fs.codes.append(230002)
        with pytest.raises(NotifyError) as fatal:
            await n.send(make_alert("blue", "repeated"))
    assert not fatal.value.retryable and "add the app bot to the chat" in str(fatal.value)
