"""Slack buttons through both interactivity paths: signed HTTP POSTs and Socket Mode.

A good signature acts, a bad or stale one is refused with 401 and changes nothing, a replayed
request acts once, and the Slack user who clicked is the actor in the audit log and the thread.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest

from monitor.clock import VirtualClock
from monitor.config import load_config
from monitor.service import Service
from tests.alerts.notifiers.slackfake import FakeSlack, block_actions
from tests.support import WordScorer

from .conftest import DELIVERY_TIMEOUT, INCIDENTS, NOW, Daemon, daemon_config, sign

BLUE, YELLOW, RED = INCIDENTS["blue"], INCIDENTS["yellow"], INCIDENTS["red"]


def form(action: str, incident: str, user: str = "alice") -> bytes:
    return urlencode({"payload": json.dumps(block_actions(action, incident, user))}).encode()


async def click(d: Daemon, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    async with d.http.post(d.base + "/slack/interactivity", data=body, headers=headers) as r:
        return r.status, await r.text()


def thread_lines(d: Daemon, incident_ts: str) -> list[str]:
    return [c.args.get("text", "") for c in d.slack.posts() if c.args.get("thread_ts") == incident_ts]


async def test_ack_button_acknowledges_as_the_slack_user(daemon: Daemon) -> None:
    status, _ = await click(daemon, body := form("ack", BLUE), sign(body))
    assert status == 200
    inc = daemon.incident(BLUE)
    assert inc.acked_by == "alice" and inc.acked_at is not None
    (entry,) = daemon.actions.audit_log(BLUE)
    assert (entry["actor"], entry["channel"], entry["action"], entry["detail"]) == ("alice", "slack", "ack",
                                                                                 {"ok": True})
    # the engine's "acknowledged" notification goes into the incident's thread, naming alice
    await daemon.wait_for(lambda: any("alice" in json.dumps(c.args) for c in daemon.slack.posts()))
    reply = next(c for c in daemon.slack.posts() if "alice" in json.dumps(c.args))
    assert reply.args["thread_ts"] == "blue.000100"
    update = next(c for c in daemon.slack.updates())
    assert update.args["ts"] == "blue.000100" and "acknowledged by alice" in json.dumps(update.args["blocks"])


async def test_resolve_button_resolves(daemon: Daemon) -> None:
    status, _ = await click(daemon, body := form("resolve", YELLOW, "bob"), sign(body))
    assert status == 200
    inc = daemon.incident(YELLOW)
    assert (inc.status, inc.resolved_by) == ("resolved", "bob")
    assert [(e["actor"], e["action"]) for e in daemon.actions.audit_log(YELLOW)] == [("bob", "resolve")]


async def test_snooze_button_silences_the_incident_for_an_hour_and_says_so(daemon: Daemon) -> None:
    status, _ = await click(daemon, body := form("snooze_1h", YELLOW, "carol"), sign(body))
    assert status == 200
    (silence,) = daemon.actions.silences()
    assert (silence.incident_id, silence.level, silence.created_by) == (YELLOW, "yellow", "carol")
    assert (silence.ends_at - silence.starts_at).total_seconds() == 3600
    assert daemon.incident(YELLOW).status == "open"
    assert thread_lines(daemon, "yellow.000100")[0].startswith("Snoozed for 1 h by carol")
    assert [(e["actor"], e["action"]) for e in daemon.actions.audit_log(YELLOW)] == [("carol", "snooze_1h")]


async def test_snooze_refuses_red_and_says_why_in_the_thread(daemon: Daemon) -> None:
    status, _ = await click(daemon, body := form("snooze_1h", RED), sign(body))
    assert status == 200
    assert daemon.actions.silences() == []
    assert thread_lines(daemon, "red.000100")[0].startswith("Snooze 1 h by alice refused: a red incident cannot")
    (entry,) = daemon.actions.audit_log(RED)
    assert entry["detail"]["ok"] is False


async def test_not_a_crisis_marks_and_resolves(daemon: Daemon) -> None:
    status, _ = await click(daemon, body := form("false_alarm", BLUE, "dave"), sign(body))
    assert status == 200
    assert daemon.incident(BLUE).status == "resolved"
    (mark,) = daemon.actions.marks(BLUE)
    assert (mark["mark"], mark["actor"]) == ("false_alarm", "dave")
    assert thread_lines(daemon, "blue.000100")[0] == "Marked not a crisis by dave"


@pytest.mark.parametrize("case", ["bad-signature", "wrong-secret", "stale", "future", "no-headers", "tampered"])
async def test_bad_or_stale_requests_are_refused_and_change_nothing(daemon: Daemon, case: str) -> None:
    body = form("resolve", BLUE)
    headers = sign(body)
    if case == "bad-signature":
        headers["X-Slack-Signature"] = "v0=" + "0" * 64
    elif case == "wrong-secret":
        headers = sign(body, secret="not-the-secret")
    elif case == "stale":
        headers = sign(body, ts=int(NOW.timestamp()) - 301)  # the daemon's clock is virtual: exact edges
    elif case == "future":
        headers = sign(body, ts=int(NOW.timestamp()) + 301)
    elif case == "no-headers":
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    else:
        body = form("resolve", YELLOW)  # signed for BLUE, sent for YELLOW
    status, text = await click(daemon, body, headers)
    assert status == 401, text
    assert daemon.incident(BLUE).status == daemon.incident(YELLOW).status == "open"
    assert daemon.actions.audit_log() == []


@pytest.mark.parametrize("skew", [-300, 300])
async def test_a_timestamp_five_minutes_off_is_still_accepted(daemon: Daemon, skew: int) -> None:
    status, text = await click(daemon, body := form("ack", BLUE), sign(body, ts=int(NOW.timestamp()) + skew))
    assert status == 200, text
    assert daemon.incident(BLUE).acked_by == "alice"


async def test_a_replayed_request_acts_once(daemon: Daemon) -> None:
    body = form("ack", BLUE)
    headers = sign(body)
    assert (await click(daemon, body, headers))[0] == 200
    status, text = await click(daemon, body, headers)
    assert status == 401 and "replayed" in text
    assert len(daemon.actions.audit_log(BLUE)) == 1


async def test_interactivity_needs_no_bearer_token_but_the_api_still_does(daemon: Daemon) -> None:
    async with daemon.http.post(daemon.base + "/incidents/x/ack", data=b"payload=x",
                                headers={"Content-Type": "application/x-www-form-urlencoded"}) as r:
        assert r.status == 401


async def test_socket_mode_clicks_act_like_http_ones(tmp_path: Path) -> None:
    from monitor.models import Incident
    from monitor.store_actions import ActionStore

    async with FakeSlack() as slack:
        extra = "    socket_mode: true\n    app_token: xapp-test\n"
        cfg = daemon_config(tmp_path, slack.api_url).read_text().replace(
            f"api_url: {slack.api_url}\n", f"api_url: {slack.api_url}\n{extra}")
        (tmp_path / "monitor.yaml").write_text(cfg)
        svc = Service(load_config(tmp_path / "monitor.yaml"), VirtualClock(NOW), scorer=WordScorer())
        await svc.start()
        try:
            assert svc.rt is not None
            now = svc.clock.now()
            svc.rt.store.save_incident("acme", Incident(id=BLUE, brand="acme", category=None, level="blue",
                                                        status="open", opened_at=now, level_since=now,
                                                        last_signal_at=now))
            await asyncio.wait_for(slack.connected.wait(), DELIVERY_TIMEOUT)
            assert slack.calls[0].method == "apps.connections.open"
            assert slack.calls[0].headers["Authorization"] == "Bearer xapp-test"
            await slack.push_interaction("env-1", block_actions("ack", BLUE, "erin"))
            d = Daemon(svc, aiohttp.ClientSession(), "", slack)
            try:
                await d.wait_for(lambda: d.incident(BLUE).acked_by == "erin")
                await d.wait_for(lambda: "env-1" in slack.acks)
            finally:
                await d.http.close()
            entry = ActionStore(svc.rt.store).audit_log(BLUE)[0]
            assert (entry["actor"], entry["channel"], entry["action"]) == ("erin", "slack", "ack")
        finally:
            await svc.shutdown()


async def test_a_refused_ack_is_explained_in_the_thread(daemon: Daemon) -> None:
    assert (await click(daemon, body := form("ack", BLUE), sign(body)))[0] == 200
    assert (await click(daemon, body := form("ack", BLUE, "bob"), sign(body)))[0] == 200
    assert daemon.incident(BLUE).acked_by == "alice"
    line = thread_lines(daemon, "blue.000100")[0]
    assert line.startswith("Acknowledge by bob refused: ") and "already acknowledged by alice" in line
