"""Overdue tasks remind their owners, once, through each owner's own notifier and the outbox.

The daemon's scheduler runs :func:`remind` every ``tasks.check_interval`` (on the engine leader
only). Each task past its deadline, not done and not yet reminded becomes one notification
(transition ``task_overdue``, level ``system``, id ``<incident>#task-<task id>``) queued for the notifiers of
its owners, and the task is marked reminded in the same transaction: the dispatcher delivers
it, retrying like any alert, and a restart neither loses nor repeats it. A task nobody with a
notifier owns stays unreminded, so a reload that names an owner still gets it out.

Resolved incidents remind only of their 3-7-21 follow-ups (what is left to do after the
all-clear); an incident marked "not a crisis" reminds of nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from monitor.alerts.records import alert_to_record
from monitor.models import Alert, format_ts
from monitor.store_actions import ActionStore
from monitor.tasks.model import Task
from monitor.tasks.settings import TasksConfig
from monitor.tasks.store import TaskStore

if TYPE_CHECKING:
    from monitor.service import Service

log = logging.getLogger(__name__)

TRANSITION = "task_overdue"


def reminder_alert(task: Task, incident: Any, brand_name: str, owners: list[str], at: datetime) -> Alert:
    """The notification a reminder is: stable id (one per task), the incident's brand and level."""
    late = at - task.due_at
    hours = int(late.total_seconds() // 3600)
    mins = int(late.total_seconds() % 3600 // 60)
    reason = (f"{task.role} task overdue by {hours}h{mins:02d}m (due {format_ts(task.due_at)}, {task.level} "
              f"playbook): {task.text} — owner(s): {', '.join(owners)}. Done? `monitor tasks done {task.id}` "
              f"or POST /tasks/{task.id}/done")
    # level "system": a message to a person, not a change of the incident; chat notifiers that keep an
    # incident's root message or card current (slack_app, feishu_app) post it apart and leave those alone
    return Alert(id=f"{task.incident_id}#task-{task.id}", incident_id=task.incident_id, brand=incident.brand,
                 brand_name=brand_name, category=incident.category, level="system", transition=TRANSITION, ts=at,
                 reason=reason, evidence=None, acked_by=incident.acked_by)


def remind(store: Any, config: TasksConfig, notifier_names: set[str], brand_names: dict[str, str],
           at: datetime) -> list[Alert]:
    """Queue a reminder for every overdue, unreminded task with a reachable owner; returns them."""
    if not config.reminders:
        return []
    rows, marks = TaskStore(store), ActionStore(store)
    false_alarms = {m["incident_id"] for m in marks.marks() if m["mark"] == "false_alarm"}
    sent: list[Alert] = []
    incidents: dict[str, Any] = {}
    with store.transaction():  # one commit for the check; a failure rolls every mark back with its notification
        for task in rows.due_unreminded(at):
            owners = config.owners(task.role)
            targets = sorted({n for o in owners if (n := config.people[o].notifier) and n in notifier_names})
            if not targets or task.incident_id in false_alarms:
                continue  # checked before reading the incident: unowned tasks pile up and are skipped cheaply
            if task.incident_id not in incidents:
                incidents[task.incident_id] = store.get_incident(task.incident_id)
            found = incidents[task.incident_id]
            if found is None:
                continue
            incident = found[1]
            if incident.status != "open" and task.kind != "follow_up":
                continue
            alert = reminder_alert(task, incident, brand_names.get(incident.brand, incident.brand), owners, at)
            if rows.set_reminded(task.id, at):  # another replica may have just done it
                store.add_notification(alert_to_record(alert), at, targets)
                sent.append(alert)
                log.info("task %s of incident %s is overdue: reminding %s via %s", task.id, task.incident_id,
                         ", ".join(owners), ", ".join(targets), extra={"incident": task.incident_id})
    return sent


def schedule(service: Service) -> None:
    """Add the reminder job to the daemon's scheduler (time from the daemon's Clock)."""
    cfg = service.loaded.config.tasks
    assert service.scheduler is not None
    service.scheduler.add_job(service._job, "interval", args=["task-reminders", lambda: check(service)],
                              seconds=cfg.check_interval.total_seconds(), id="_task_reminders", max_instances=1,
                              coalesce=True)


async def check(service: Service) -> None:
    from monitor.replicas import hooks as replica_hooks

    rt = service.rt
    if rt is None or service.stop_event.is_set() or not replica_hooks.leader(service):
        return
    sent = remind(rt.store, rt.loaded.config.tasks, {n.name for n in rt.notifiers}, rt.engine.brand_names,
                  service.clock.now())
    if sent:
        rt.outbox.wake.set()
