"""Overdue tasks remind their owners once, through their own notifier and the outbox (retried, never lost)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.alerts.dispatch import DispatchConfig, Dispatcher
from monitor.alerts.notifiers.base import NotifierContext
from monitor.alerts.notifiers.webhook import WebhookConfig, WebhookNotifier
from monitor.clock import VirtualClock
from monitor.store import Store
from monitor.store_actions import ActionStore
from monitor.tasks.reminders import remind
from tests.alerts.notifiers.fakes import HookServer
from tests.alerts.test_engine import minutes, sp

from .conftest import TEAM, Checklist

NOTIFIERS = {"alice-hook", "bob-hook"}
BRANDS = {"acme": "Acme"}
FIRST_DUE = minutes(10) + timedelta(hours=1)  # blue's first customer-service task: within 1h of the level


@pytest.fixture
async def hooks() -> AsyncIterator[dict[str, HookServer]]:
    async with HookServer() as alice, HookServer() as bob:
        yield {"alice-hook": alice, "bob-hook": bob}


def dispatcher(store: Store, hooks: dict[str, HookServer], clock: VirtualClock) -> Dispatcher:
    notifiers = [WebhookNotifier(WebhookConfig(kind="webhook", name=name, url=server.url("/in")),  # type: ignore
                                 NotifierContext(clock=clock)) for name, server in hooks.items()]
    return Dispatcher(store, notifiers, clock, DispatchConfig(retry_base=timedelta(seconds=30), jitter=0))


async def close(d: Dispatcher) -> None:
    for n in d.by_name.values():
        await n.close()


def _open_blue(c: Checklist) -> str:
    c.post(*[sp(i, minutes(i)) for i in range(11)])
    return c.alerts[0].incident_id


async def test_a_task_is_overdue_only_after_its_deadline_and_reminds_once(c: Checklist,
                                                                           hooks: dict[str, HookServer]) -> None:
    inc = _open_blue(c)
    assert remind(c.store, TEAM, NOTIFIERS, BRANDS, FIRST_DUE) == []  # due exactly now: not yet overdue
    assert [v.task.text for v in c.book.tasks(FIRST_DUE, inc, overdue=True)] == []
    late = FIRST_DUE + timedelta(seconds=1)
    [view] = c.book.tasks(late, inc, overdue=True)
    assert view.task.role == "Customer service" and view.owners == ("carol", "alice")
    [alert] = remind(c.store, TEAM, NOTIFIERS, BRANDS, late)
    assert alert.id == f"{inc}#task-{view.task.id}" and alert.transition == "task_overdue"
    clock = VirtualClock(late)
    d = dispatcher(c.store, hooks, clock)
    assert await d.run_once() == 1
    await close(d)
    [req] = hooks["alice-hook"].requests  # carol has no notifier: alice's hook only
    assert hooks["bob-hook"].requests == []
    doc = req.json()
    assert (doc["transition"], doc["level"], doc["incident_id"], doc["brand_name"]) == (
        "task_overdue", "system", inc, "Acme")  # a message to a person, not a level of the incident
    assert doc["headline"].startswith(f"[TASK OVERDUE] Acme — incident {inc}: Customer service task overdue by 0h00m")
    assert view.task.text in doc["reason"] and f"monitor tasks done {view.task.id}" in doc["reason"]
    assert remind(c.store, TEAM, NOTIFIERS, BRANDS, late + timedelta(hours=5))[0].id != alert.id  # others fall due
    assert alert.id not in [a.id for a in remind(c.store, TEAM, NOTIFIERS, BRANDS, late + timedelta(days=30))]
    assert c.book.task(view.task.id, late).task.reminded_at == late


async def test_done_tasks_and_unowned_roles_send_nothing(c: Checklist) -> None:
    inc = _open_blue(c)
    pr = next(v.task for v in c.book.tasks(minutes(10), inc) if v.task.role == "PR")
    c.book.mark_done(pr.id, "alice", minutes(20))
    at = minutes(10) + timedelta(hours=3)  # the 1h customer-service task and the 2h PR task are past due
    nobody = TEAM.model_copy(update={"roles": {}})
    assert remind(c.store, nobody, NOTIFIERS, BRANDS, at) == []  # nobody holds the role: it stays unreminded
    sent = remind(c.store, TEAM, NOTIFIERS, BRANDS, at)  # a reload named the owners: now it goes out
    assert [a.reason.split(" task ")[0] for a in sent] == ["Customer service"]  # the done PR task is quiet
    assert [v.task.role for v in c.book.tasks(at, inc, overdue=True)] == ["Customer service"]
    off = TEAM.model_copy(update={"reminders": False})
    assert remind(c.store, off, NOTIFIERS, BRANDS, at + timedelta(hours=2)) == []


async def test_resolved_incidents_remind_only_of_follow_ups_and_false_alarms_of_nothing(c: Checklist) -> None:
    inc = _open_blue(c)
    with c.engine.batch():
        c.engine.resolve(inc, "lee", minutes(30))
    late = minutes(10) + timedelta(days=4)  # the 3-day follow-up is due, and every role task long overdue
    sent = remind(c.store, TEAM, NOTIFIERS, BRANDS, late)
    assert [a.reason.split(" task ")[0] for a in sent] == ["PR"]  # the follow-up (owned by PR: alice)
    assert "Check that every logged complaint" in sent[0].reason
    ActionStore(c.store).mark(inc, "false_alarm", "lee", minutes(31))
    assert remind(c.store, TEAM, NOTIFIERS, BRANDS, late + timedelta(days=30)) == []


async def test_an_undeliverable_reminder_waits_in_the_outbox_and_is_not_repeated_after_restart(
        tmp_path: Path, hooks: dict[str, HookServer]) -> None:
    c = Checklist(tmp_path)
    inc = _open_blue(c)
    late = FIRST_DUE + timedelta(minutes=1)
    [alert] = remind(c.store, TEAM, NOTIFIERS, BRANDS, late)
    alice = hooks["alice-hook"]
    alice.reply(503, "down")
    alice.reply(503, "down")
    clock = VirtualClock(late)
    d = dispatcher(c.store, hooks, clock)
    await d.run_once()
    assert c.store.delivery_counts() == {("alice-hook", "pending"): 1}  # waiting for its retry, not lost
    await close(d)
    c.store.close()

    store = Store(tmp_path / "state.db")  # a restart: the same file
    assert remind(store, TEAM, NOTIFIERS, BRANDS, late + timedelta(seconds=10)) == []  # not queued twice
    d = dispatcher(store, hooks, clock)
    for wait in (1, 2):
        clock.set(clock.now() + timedelta(minutes=wait))  # past each retry's time (30 s, then 60 s)
        await d.run_once()
    await close(d)
    assert store.delivery_counts() == {("alice-hook", "sent"): 1}
    got = [r.json() for r in alice.requests]
    assert [g["id"] for g in got] == [alert.id, alert.id, alert.id]  # two refusals, then delivered
    assert store.query("SELECT COUNT(*) FROM notifications WHERE transition='task_overdue'")[0][0] == 1
    assert inc in alert.id
    store.close()


def test_a_pagerduty_reminder_pages_apart_from_its_incident(c: Checklist) -> None:
    from monitor.alerts.notifiers.pagerduty import PagerDutyConfig, pagerduty_event

    _open_blue(c)
    [alert] = remind(c.store, TEAM, NOTIFIERS, BRANDS, FIRST_DUE + timedelta(seconds=1))
    event = pagerduty_event(alert, PagerDutyConfig(kind="pagerduty", routing_key="k"))  # type: ignore[arg-type]
    assert event["dedup_key"] == alert.id != alert.incident_id and event["event_action"] == "trigger"
    assert event["payload"]["summary"].startswith("[TASK OVERDUE] Acme")


def test_a_store_failure_while_queueing_loses_no_reminder(c: Checklist, monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor.errors import StoreError

    inc = _open_blue(c)
    late = FIRST_DUE + timedelta(seconds=1)
    real = c.store.add_notification

    def full(*args: object, **kw: object) -> bool:
        raise StoreError("database or disk is full (injected)")

    monkeypatch.setattr(c.store, "add_notification", full)
    with pytest.raises(StoreError):
        remind(c.store, TEAM, NOTIFIERS, BRANDS, late)  # the daemon's job records the failure and runs again
    [view] = c.book.tasks(late, inc, overdue=True)
    assert view.task.reminded_at is None  # the mark was rolled back with the failed queueing
    monkeypatch.setattr(c.store, "add_notification", real)
    [alert] = remind(c.store, TEAM, NOTIFIERS, BRANDS, late + timedelta(minutes=1))
    assert alert.id == f"{inc}#task-{view.task.id}"
    assert c.store.delivery_counts() == {("alice-hook", "pending"): 1}


async def test_a_slack_app_reminder_leaves_the_incidents_root_message_alone(c: Checklist) -> None:
    from monitor.alerts.notifiers.slack_app import SlackAppConfig, SlackAppNotifier
    from tests.alerts.notifiers.slackfake import FakeSlack

    _open_blue(c)
    [alert] = remind(c.store, TEAM, NOTIFIERS, BRANDS, FIRST_DUE + timedelta(seconds=1))
    async with FakeSlack() as slack:
        cfg = SlackAppConfig.model_validate({"kind": "slack_app", "name": "alice-hook", "token": "xoxb-test",
                                             "channel": "C0ALICE", "signing_secret": "s", "api_url": slack.api_url})
        notifier = SlackAppNotifier(cfg, NotifierContext(clock=VirtualClock(FIRST_DUE), store=c.store))
        await notifier.send(alert)
        await notifier.close()
    assert slack.updates() == [] and len(slack.posts()) == 1  # no root edited, no thread opened
    post = slack.posts()[0].args
    assert post["channel"] == "C0ALICE" and post["text"].startswith("[TASK OVERDUE] Acme — incident ")
