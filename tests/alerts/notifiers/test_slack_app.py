"""The slack_app notifier against a local Slack Web API: one thread per incident, the root kept
current across a whole drill, buttons, escalations broadcast, rate limits and fatal errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from monitor.alerts.notifiers.base import NotifierContext
from monitor.alerts.notifiers.slack_app import SlackAppConfig, SlackAppNotifier
from monitor.clock import VirtualClock
from monitor.config import BUNDLED_FEED, load_config
from monitor.drill import run_drill
from monitor.errors import NotifyError
from monitor.store import Store
from tests.support import ROOT, write_config
from tests.test_e2e import EXPECTED

from ..conftest import T0
from .slackfake import FakeSlack

BUTTON_IDS = ["ack", "resolve", "snooze_1h", "false_alarm"]


def _actions(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b for b in blocks if b["type"] == "actions"]


def _fields(blocks: list[dict[str, Any]]) -> str:
    return " ".join(f["text"] for b in blocks for f in b.get("fields", []))


def _notifier(slack: FakeSlack, store: Store | None = None, **extra: Any) -> SlackAppNotifier:
    cfg = SlackAppConfig.model_validate({"kind": "slack_app", "token": "xoxb-test", "channel": "C0CRISIS",
                                         "signing_secret": "s", "api_url": slack.api_url, **extra})
    return SlackAppNotifier(cfg, NotifierContext(clock=VirtualClock(T0), store=store))


async def test_a_whole_drill_is_one_thread_with_the_root_kept_current(tmp_path: Path, shipped_scorer) -> None:
    async with FakeSlack() as slack:
        cfg = write_config(tmp_path, f"""\
            store: {{path: unused.db}}
            keywords: {ROOT / 'keywords.yaml'}
            playbooks: @PLAYBOOKS@
            notifiers:
              - kind: slack_app
                name: pr-app
                token: xoxb-test
                channel: C0CRISIS
                signing_secret: shh
                api_url: {slack.api_url}
            """)
        report = await run_drill(load_config(cfg), BUNDLED_FEED, report_dir=tmp_path / "report", notify=True,
                                 scorer=shipped_scorer, color=False)
        notes = report["notifications"]
        assert [(n["level"], n["transition"], n["brand"]) for n in notes] == EXPECTED
        incident = notes[0]["incident_id"]

        posts, updates = slack.posts(), slack.updates()
        root, replies = posts[0], posts[1:]
        assert "thread_ts" not in root.args and root.args["channel"] == "C0CRISIS"
        assert root.headers["Authorization"] == "Bearer xoxb-test"
        assert [e["action_id"] for e in _actions(root.args["blocks"])[0]["elements"]] == BUTTON_IDS
        assert {e["value"] for e in _actions(root.args["blocks"])[0]["elements"]} == {incident}
        root_ts = "1001.000100"
        # every notification is one thread reply, in order; every later one also edits the root
        assert len(replies) == len(notes) and len(updates) == len(notes) - 1
        assert all(r.args["thread_ts"] == root_ts for r in replies)
        assert all(u.args["ts"] == root_ts and u.args["channel"] == "C0CRISIS" for u in updates)
        for reply, n in zip(replies, notes, strict=True):
            assert n["id"] in str(reply.args["blocks"])
            assert reply.args["reply_broadcast"] is (n["transition"] in ("escalated", "overdue"))
            has_buttons = bool(_actions(reply.args["blocks"]))
            assert has_buttons is (n["transition"] != "resolved")
        # the root shows the current level each time, and is closed (no buttons) at the end
        for update, n in zip(updates, notes[1:], strict=True):
            assert update.args["blocks"][0]["text"]["text"].startswith(
                "ALL CLEAR" if n["transition"] == "resolved" else n["level"].upper())
        assert "*State*\nresolved" in _fields(updates[-1].args["blocks"])
        assert not _actions(updates[-1].args["blocks"])
        assert "*State*\nopen, unacknowledged" in _fields(updates[0].args["blocks"])
        assert "acknowledge by" in _fields(updates[0].args["blocks"])  # the next deadline


async def test_thread_survives_a_restart_through_the_store(tmp_path: Path, make_alert: Any) -> None:
    store = Store(tmp_path / "s.db")
    async with FakeSlack() as slack:
        first = _notifier(slack, store)
        await first.send(make_alert("yellow", "opened"))
        await first.close()
        second = _notifier(slack, store)  # a new process: only the store remembers the root
        acked = dataclasses.replace(make_alert("yellow", "acknowledged"), acked_by="alice")
        await second.send(acked)
        await second.close()
    store.close()
    assert [c.method for c in slack.calls] == ["chat.postMessage", "chat.postMessage", "chat.update",
                                               "chat.postMessage"]
    assert slack.calls[2].args["ts"] == slack.calls[3].args["thread_ts"] == "1001.000100"
    assert "*Acknowledged by*\nalice" in _fields(slack.calls[2].args["blocks"])


async def test_rate_limit_is_retryable_with_retry_after(make_alert: Any) -> None:
    async with FakeSlack() as slack:
        slack.errors.append((429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "7"}))
        n = _notifier(slack)
        with pytest.raises(NotifyError) as exc:
            await n.send(make_alert("red", "opened"))
        assert exc.value.retryable and exc.value.retry_after == 7.0
        assert "ratelimited" in str(exc.value)
        await n.send(make_alert("red", "opened"))  # the retry goes through and opens the thread
        await n.close()
    assert [c.method for c in slack.calls] == ["chat.postMessage"] * 3


async def test_fatal_answers_are_not_retried_and_say_what_to_do(make_alert: Any) -> None:
    async with FakeSlack() as slack:
        slack.errors.append((200, {"ok": False, "error": "not_in_channel"}, {}))
        n = _notifier(slack)
        with pytest.raises(NotifyError) as exc:
            await n.send(make_alert("red", "opened"))
        await n.close()
    assert not exc.value.retryable
    assert str(exc.value) == ("slack_app notifier 'slack_app': chat_postMessage: not_in_channel "
                              "(invite the app to the channel (/invite @Brand Monitor))")
    assert "xoxb-test" not in str(exc.value)


async def test_system_alerts_post_to_the_channel_without_a_thread(blind_spot_alert: Any) -> None:
    async with FakeSlack() as slack:
        n = _notifier(slack)
        await n.send(blind_spot_alert)
        await n.close()
    (call,) = slack.calls
    assert "thread_ts" not in call.args and not _actions(call.args["blocks"])


def test_socket_mode_needs_an_app_token() -> None:
    with pytest.raises(ValueError, match="socket_mode needs app_token"):
        SlackAppConfig.model_validate({"kind": "slack_app", "token": "x", "channel": "C", "socket_mode": True})


def test_the_shipped_manifest_creates_an_app_that_fits_the_notifier() -> None:
    import yaml

    manifest = yaml.safe_load((ROOT / "examples" / "slack-app-manifest.yaml").read_text())
    assert "chat:write" in manifest["oauth_config"]["scopes"]["bot"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["interactivity"]["request_url"].endswith("/slack/interactivity")


async def test_escalations_broadcast_and_the_resolved_root_has_no_buttons(make_alert: Any) -> None:
    async with FakeSlack() as slack:
        n = _notifier(slack)
        for transition in ("opened", "escalated", "repeated", "overdue", "resolved"):
            await n.send(make_alert("red", transition))
        await n.close()
    replies = [c for c in slack.posts() if "thread_ts" in c.args]
    assert [r.args["reply_broadcast"] for r in replies] == [False, True, False, True, False]
    assert _actions(slack.posts()[0].args["blocks"]) and _actions(slack.updates()[0].args["blocks"])
    assert not _actions(slack.updates()[-1].args["blocks"]) and not _actions(replies[-1].args["blocks"])
