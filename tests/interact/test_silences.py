"""Silences: start and expiry, suppressed notifications recorded (store, report.json), red guarded,
the CLI and the HTTP API, each change audited."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.alerts.dispatch import Outbox
from monitor.alerts.notifiers.base import NotifierContext
from monitor.alerts.notifiers.terminal import TerminalNotifier
from monitor.clock import VirtualClock
from monitor.config import load_config
from monitor.report import build_report
from monitor.store import Store
from monitor.store_actions import ActionError, ActionStore
from tests.alerts.conftest import T0
from tests.support import ROOT, write_config

from .conftest import TOKEN, Daemon

HOUR = timedelta(hours=1)


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    store = Store(tmp_path / "s.db")
    term = TerminalNotifier(TerminalNotifier.Config.model_validate({"kind": "terminal"}),
                            NotifierContext(clock=VirtualClock(T0)))
    return Outbox(store, [term])


def _at(make_alert: Any, level: str, minutes: int, n: int, **kw: Any) -> Any:
    return dataclasses.replace(make_alert(level, "repeated"), ts=T0 + timedelta(minutes=minutes),
                               id=f"acme-x#{n}", incident_id="acme-x", **kw)


def test_a_silence_suppresses_in_its_window_and_records_what_it_hid(outbox: Outbox, make_alert: Any) -> None:
    actions = ActionStore(outbox.store)
    s = actions.add_silence(brand="acme", level="yellow", starts_at=T0 + timedelta(minutes=10),
                            ends_at=T0 + timedelta(minutes=70), created_by="ops", reason="known outage post")
    outbox.enqueue(_at(make_alert, "yellow", 5, 1))  # before it starts
    outbox.enqueue(_at(make_alert, "yellow", 30, 2))  # inside
    outbox.enqueue(_at(make_alert, "blue", 31, 3))  # another level
    outbox.enqueue(_at(make_alert, "yellow", 70, 4))  # it has ended
    notes = {n["id"]: n for n in outbox.store.notifications()}
    assert len(notes) == 4  # never lost
    assert notes["acme-x#2"]["suppressed"] == {"silence": s.id, "notifiers": ["terminal"],
                                               "reason": "known outage post", "by": "ops",
                                               "until": "2026-03-01T09:10:00Z"}
    assert [n for n, r in notes.items() if "suppressed" in r] == ["acme-x#2"]
    assert outbox.store.deliveries_for("acme-x#2") == []
    assert [d["notifier"] for d in outbox.store.deliveries_for("acme-x#1")] == ["terminal"]


def test_expiring_a_silence_lets_alerts_through_again(outbox: Outbox, make_alert: Any) -> None:
    actions = ActionStore(outbox.store)
    s = actions.add_silence(brand="acme", starts_at=T0, ends_at=T0 + 5 * HOUR, created_by="ops", reason="r")
    outbox.enqueue(_at(make_alert, "blue", 10, 1))
    actions.expire_silence(s.id, T0 + timedelta(minutes=20))
    outbox.enqueue(_at(make_alert, "blue", 30, 2))
    notes = {n["id"]: n for n in outbox.store.notifications()}
    assert "suppressed" in notes["acme-x#1"] and "suppressed" not in notes["acme-x#2"]
    assert actions.silences(T0 + timedelta(minutes=30)) == []


def test_red_needs_include_red(outbox: Outbox, make_alert: Any) -> None:
    actions = ActionStore(outbox.store)
    with pytest.raises(ActionError, match="a silence of red alerts needs --include-red"):
        actions.add_silence(brand="acme", level="red", starts_at=T0, ends_at=T0 + HOUR, created_by="x", reason="r")
    actions.add_silence(brand="acme", starts_at=T0, ends_at=T0 + HOUR, created_by="x", reason="all levels")
    outbox.enqueue(_at(make_alert, "red", 10, 1))  # a brand-wide silence does not hide red
    assert "suppressed" not in outbox.store.notifications()[0]
    actions.add_silence(brand="acme", level="red", starts_at=T0, ends_at=T0 + HOUR, created_by="x", reason="drill",
                        include_red=True)
    outbox.enqueue(_at(make_alert, "red", 11, 2))
    assert outbox.store.notifications()[1]["suppressed"]["reason"] == "drill"


def test_report_json_shows_suppressed_notifications(tmp_path: Path, outbox: Outbox, make_alert: Any) -> None:
    ActionStore(outbox.store).add_silence(brand="acme", starts_at=T0, ends_at=T0 + HOUR, created_by="x",
                                          reason="r")
    outbox.enqueue(_at(make_alert, "blue", 10, 1))
    cfg = write_config(tmp_path, "store: {path: s.db}\nplaybooks: @PLAYBOOKS@\n")
    report = build_report(outbox.store, load_config(cfg), feed=Path("f"), run={}, now=T0)
    assert report["notifications"][0]["suppressed"]["notifiers"] == ["terminal"]
    assert report["notifications"][0]["deliveries"] == []


def test_report_counts_not_a_crisis_marks(tmp_path: Path, outbox: Outbox) -> None:
    from monitor.models import Incident

    for inc_id in ("acme-1", "acme-2"):
        outbox.store.save_incident(inc_id, Incident(id=inc_id, brand="acme", category=None, level="blue",
                                                    status="resolved", opened_at=T0, level_since=T0,
                                                    last_signal_at=T0))
    ActionStore(outbox.store).mark("acme-2", "false_alarm", "dave", T0)
    cfg = write_config(tmp_path, "store: {path: s.db}\nplaybooks: @PLAYBOOKS@\n")
    report = build_report(outbox.store, load_config(cfg), feed=Path("f"), run={}, now=T0)
    assert {i["id"]: i["false_alarm"] for i in report["incidents"]} == {"acme-1": False, "acme-2": True}
    assert report["summary"]["false_alarms"] == 1


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor", *args, "--config", str(tmp_path / "monitor.yaml")],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_cli_add_list_expire_and_audit(tmp_path: Path) -> None:
    # The one place here on the real clock: each command is its own process reading the system time (the CLI
    # has no virtual clock to hand). Robust under load: the silence lasts 2 h while a command takes seconds, and
    # the two audited commands run one after the other in separate processes, so their times never tie.
    write_config(tmp_path, f"store: {{path: {tmp_path / 'state.db'}}}\nplaybooks: @PLAYBOOKS@\n")
    red = _cli(tmp_path, "silence", "add", "--brand", "acme", "--level", "red", "--for", "2h", "--reason", "x")
    assert red.returncode == 1 and "needs --include-red" in red.stderr
    added = _cli(tmp_path, "silence", "add", "--brand", "acme", "--level", "blue", "--for", "2h",
                 "--reason", "launch day", "--by", "pat", "--json")
    assert added.returncode == 0, added.stderr
    s = json.loads(added.stdout)
    assert (s["brand"], s["level"], s["created_by"], s["reason"]) == ("acme", "blue", "pat", "launch day")
    listed = json.loads(_cli(tmp_path, "silence", "list", "--json").stdout)
    assert [(x["id"], x["active"]) for x in listed] == [(s["id"], True)]
    assert _cli(tmp_path, "silence", "expire", s["id"], "--by", "sam").returncode == 0
    assert json.loads(_cli(tmp_path, "silence", "list", "--active", "--json").stdout) == []
    audit = json.loads(_cli(tmp_path, "audit", "--json").stdout)
    assert [(e["actor"], e["channel"], e["action"]) for e in audit] == [("pat", "cli", "silence"),
                                                                        ("sam", "cli", "silence_expire")]


async def test_http_api_silences_and_audit(daemon: Daemon) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with daemon.http.post(daemon.base + "/silences", json={"brand": "acme", "level": "red", "for": "1h",
                                                                 "reason": "x"}, headers=auth) as r:
        assert r.status == 400 and "include-red" in (await r.json())["error"]
    async with daemon.http.post(daemon.base + "/silences", json={"brand": "acme", "for": "1h", "reason": "x"}) as r:
        assert r.status == 401  # mutations need a token
    async with daemon.http.post(daemon.base + "/silences", json={"brand": "acme", "for": "1h", "reason": "ok",
                                                                 "by": "quinn"}, headers=auth) as r:
        assert r.status == 201
        sid = (await r.json())["id"]
    async with daemon.http.get(daemon.base + "/silences?active=1") as r:
        assert [x["id"] for x in await r.json()] == [sid]
    daemon.tick()  # a second later on the daemon's virtual clock (one instant would tie in the audit log)
    async with daemon.http.post(daemon.base + f"/silences/{sid}/expire", json={}, headers=auth) as r:
        assert r.status == 200 and (await r.json())["active"] is False
    async with daemon.http.get(daemon.base + "/audit") as r:
        assert [(e["actor"], e["action"]) for e in await r.json()] == [("quinn", "silence"),
                                                                       ("api", "silence_expire")]


def test_a_story_silence_hides_only_alerts_led_by_that_story(outbox: Outbox, make_alert: Any) -> None:
    actions = ActionStore(outbox.store)
    s = actions.add_silence(brand="acme", story="weibo:W1", starts_at=T0, ends_at=T0 + HOUR, created_by="pr",
                            reason="the recall rumour is handled")

    def led_by(story: str, n: int) -> Any:
        alert = _at(make_alert, "yellow", 5, n)
        detail = {**alert.evidence.detail, "stories": [{"id": story, "text": "...", "posts": 12},
                                                       {"id": "weibo:W1" if story != "weibo:W1" else "x:9",
                                                        "text": "...", "posts": 3}]}
        return dataclasses.replace(alert, evidence=dataclasses.replace(alert.evidence, detail=detail))

    outbox.enqueue(led_by("weibo:W1", 1))  # the silenced story leads: hidden, recorded
    outbox.enqueue(led_by("reddit:t3_new", 2))  # a new story leads (the old one is second): told
    outbox.enqueue(_at(make_alert, "yellow", 6, 3))  # no stories in the evidence: told
    notes = {n["id"]: n for n in outbox.store.notifications()}
    assert notes["acme-x#1"]["suppressed"]["silence"] == s.id
    assert "suppressed" not in notes["acme-x#2"] and "suppressed" not in notes["acme-x#3"]
