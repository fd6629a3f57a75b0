"""The playbook as a checklist: an incident's role tasks, media briefings, 3-7-21 follow-ups and
holding statement, tracked with owners, deadlines, reminders and an approval step.

How it fits
-----------
- :mod:`monitor.tasks.track` — ``attach(engine, config)`` (called by ``build_runtime``) records the
  tasks of each level an incident reaches, in the transaction that queues its alert. Idempotent.
- :mod:`monitor.tasks.reminders` — the daemon's periodic job: one reminder per overdue task to
  each owner's notifier, through the outbox (retried like any alert; never sent twice).
- :mod:`monitor.tasks.api` — HTTP routes; :mod:`monitor.cli.tasks` — ``monitor tasks ...``.
- :mod:`monitor.tasks.report` — task outcomes for report.json and report.html.
- Tables: migration ``0005_tasks`` (``incident_tasks``, ``statement_versions``).

Interface for other channels (the web console)
----------------------------------------------
``book = TaskBook(store, loaded.config.tasks)``; every ``now`` is the caller's ``clock.now()``::

    book.tasks(now, incident_id=None, overdue=False, open_only=False) -> list[TaskView]
    book.task(task_id, now) -> TaskView                       # TaskError("not_found")
    book.next_deadline(incident_id, now) -> TaskView | None   # open task due soonest
    book.mark_done(task_id, actor, now, channel="console", done=True) -> TaskView   # audited
    book.outcomes(incident_id, at) -> {"total", "on_time", "late", "overdue", "open", "not_done", "tasks"}
    book.statement(incident_id) -> Statement                  # TaskError("not_found")
    book.edit_statement(incident_id, text, actor, now, channel="console") -> Statement  # clears approval
    book.may_approve(actor, admin=False) -> bool
    book.approve_statement(incident_id, actor, now, channel="console", admin=is_admin,
                           version=version_read) -> Statement  # TaskError("forbidden"/"conflict")

``TaskView.to_json()``: id, incident_id, level, kind (role|media|follow_up), role, text, owners,
level_at, due_at, done, done_at, done_by, overdue, outcome (on_time|late|overdue|open), reminded_at.
``Statement.to_json()``: incident_id, state (draft|edited|approved), approved, text, version, level,
author, edited_at, approved_by, approved_at, numbers (the live numbers), versions[].
``TaskError.reason`` is not_found / forbidden / conflict / invalid (HTTP 404 / 403 / 409 / 400).
Access roles (viewer, responder, admin) are checked by the channel; approving additionally
needs a person of an approver role (``tasks.approvers``, default Legal) or an admin.
"""

from __future__ import annotations

from monitor.tasks.model import KINDS, Statement, StatementVersion, Task, TaskError, TaskView
from monitor.tasks.service import TaskBook
from monitor.tasks.settings import Person, TasksConfig

__all__ = ["KINDS", "Person", "Statement", "StatementVersion", "Task", "TaskBook", "TaskError", "TaskView",
           "TasksConfig"]
