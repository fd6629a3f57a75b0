"""Turn an incident's level into tracked tasks, the moment its alert is queued.

:func:`attach` wraps the engine's ``emit`` (the outbox's ``enqueue``), so the tasks are written
in the same store transaction as the incident change and its notification: a crash leaves
either both or neither. For each alert of an open incident the level's playbook (already
rendered on the alert) gives:

- one ``role`` task per playbook task, due ``deadline`` after the level was reached;
- one ``media`` task per media-list contact ("Brief Reuters — newsdesk"), due ``tasks.media_deadline``;
- one ``follow_up`` task per 3-7-21 follow-up, due ``after`` (3d, 7d, 21d ...) from the level.

Task ids derive from (incident, level, kind, position), so re-alerting the same level adds
nothing and a higher level adds only its own tasks. The holding statement's draft is filled
from the same rendered playbook (its placeholders include the live numbers); a higher level
replaces the draft only while no person has edited it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from monitor.models import LEVELS, Alert
from monitor.tasks.model import DRAFT_AUTHOR, Task, task_id
from monitor.tasks.settings import TasksConfig
from monitor.tasks.store import TaskStore

log = logging.getLogger(__name__)

FRESH = ("opened", "escalated")  # transitions whose time is the moment the level was reached


def attach(engine: Any, config: Callable[[], TasksConfig]) -> None:
    """Record each alert's tasks before it is queued. ``config`` gives the current ``tasks:`` (reloads)."""
    emit = engine.emit

    def tracked(alert: Alert) -> Any:
        record(engine.store, alert, config())
        return emit(alert)

    engine.emit = tracked


def level_reached_at(store: Any, alert: Alert) -> datetime:
    """When the incident reached the alert's level: the alert's own time when it opened or escalated,
    else the stored incident's ``level_since`` (tasks missing after an upgrade count from there)."""
    if alert.transition in FRESH:
        return alert.ts
    found = store.get_incident(alert.incident_id)
    if found is not None and found[1].level == alert.level:
        return found[1].level_since  # type: ignore[no-any-return]
    return alert.ts


def tasks_for(alert: Alert, level_at: datetime, config: TasksConfig) -> list[Task]:
    """The level's tasks from the alert's rendered playbook, deadlines counted from ``level_at``."""
    pb, inc, level = alert.playbook, alert.incident_id, alert.level
    out = [Task(task_id(inc, level, "role", i), inc, level, "role", i, t.role, t.task, level_at,
                level_at + t.deadline) for i, t in enumerate(pb.tasks)]
    for i, m in enumerate(pb.media_list):
        text = f"Brief {m.outlet}" + (f" ({m.contact})" if m.contact else "") + (f": {m.note}" if m.note else "")
        out.append(Task(task_id(inc, level, "media", i), inc, level, "media", i, config.media_role, text, level_at,
                        level_at + config.media_deadline))
    for i, f in enumerate(pb.follow_up):
        out.append(Task(task_id(inc, level, "follow_up", i), inc, level, "follow_up", i, config.follow_up_role,
                        f.action, level_at, level_at + f.after))
    return out


def record(store: Any, alert: Alert, config: TasksConfig) -> int:
    """Store the tasks (and statement draft) of ``alert``'s level if not there yet; returns how many were new."""
    if alert.level not in LEVELS or alert.transition == "resolved" or alert.playbook is None:
        return 0
    tasks = TaskStore(store)
    if tasks.has_level(alert.incident_id, alert.level):
        return 0
    level_at = level_reached_at(store, alert)
    with store.transaction():
        added = tasks.add_tasks(tasks_for(alert, level_at, config))
        current = tasks.statement(alert.incident_id)
        text = alert.playbook.statement
        if current is None or (current.state == "draft" and current.current.text != text):
            tasks.add_version(alert.incident_id, alert.level, text, DRAFT_AUTHOR, level_at)
    log.info("incident %s: %d task(s) of the %s playbook tracked", alert.incident_id, added, alert.level,
             extra={"incident": alert.incident_id, "level": alert.level})
    return added
