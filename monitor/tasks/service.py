"""The checklist's one interface for every channel: CLI, HTTP API, web console and reports.

:class:`TaskBook` reads tasks with their owners and overdue flag *at an instant it is given*
(the caller's Clock: the daemon's, or a drill's virtual time), ticks tasks, and edits and
approves the holding statement. Every change is written to the audit log
(:mod:`monitor.store_actions`) in the same transaction, and so is every refused approval.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from monitor.models import format_ts
from monitor.store_actions import ActionStore
from monitor.tasks.model import Statement, Task, TaskError, TaskView
from monitor.tasks.settings import TasksConfig
from monitor.tasks.store import TaskStore

MAX_STATEMENT_CHARS = 20_000
OUTCOMES = ("on_time", "late", "overdue", "open")


class TaskBook:
    """Tasks and statements of one store, read and changed under one ``tasks:`` config."""

    def __init__(self, store: Any, config: TasksConfig | None = None) -> None:
        self.store = store
        self.config = config or TasksConfig()
        self.rows = TaskStore(store)
        self.audit = ActionStore(store)
        self._owners: dict[str, tuple[str, ...]] = {}

    # -- reading ----------------------------------------------------------------------------
    def view(self, task: Task, now: datetime) -> TaskView:
        owners = self._owners.get(task.role)
        if owners is None:
            owners = self._owners[task.role] = tuple(self.config.owners(task.role))
        return TaskView(task, owners, task.overdue(now), task.outcome(now))

    def tasks(self, now: datetime, incident_id: str | None = None, *, overdue: bool = False,
              open_only: bool = False) -> list[TaskView]:
        """Tasks (of one incident, or all), in deadline order within each level; ``overdue`` keeps only those."""
        views = [self.view(t, now) for t in self.rows.tasks(incident_id, open_only=open_only or overdue)]
        return [v for v in views if v.overdue] if overdue else views

    def task(self, task_id: str, now: datetime) -> TaskView:
        found = self.rows.task(task_id)
        if found is None:
            raise TaskError(f"no task {task_id!r} (see `monitor tasks list`)", "not_found")
        return self.view(found, now)

    def next_deadline(self, incident_id: str, now: datetime) -> TaskView | None:
        """The open task due soonest (overdue ones first): what the console's "Now" page shows."""
        open_ = [self.view(t, now) for t in self.rows.tasks(incident_id, open_only=True)]
        return min(open_, key=lambda v: (v.task.due_at, v.task.id), default=None)

    def outcomes(self, incident_id: str, at: datetime) -> dict[str, Any]:
        """Counts for reports: done on time, done late, overdue (not done, past due) and open, as of ``at``."""
        views = self.tasks(at, incident_id)
        counts = {k: sum(1 for v in views if v.outcome == k) for k in OUTCOMES}
        return {"total": len(views), **counts, "not_done": counts["overdue"] + counts["open"],
                "as_of": format_ts(at), "tasks": [v.to_json() for v in views]}

    # -- ticking ----------------------------------------------------------------------------
    def mark_done(self, task_id: str, actor: str, now: datetime, *, channel: str = "api",
                  done: bool = True) -> TaskView:
        """Tick (or, with ``done=False``, untick) a task as ``actor``; audited. Ticking twice keeps the first."""
        with self.store.transaction():
            task = self.task(task_id, now).task
            if done and task.done_at is None:
                self.rows.set_done(task_id, actor, now)
            elif not done and task.done_at is not None:
                self.rows.set_done(task_id, None, None)
            self.audit.audit(at=now, actor=actor, channel=channel, action="task_done" if done else "task_undone",
                             incident_id=task.incident_id, task=task_id, role=task.role,
                             late=done and now > task.due_at)
        return self.task(task_id, now)

    # -- the holding statement ---------------------------------------------------------------
    def statement(self, incident_id: str) -> Statement:
        """The current statement with its versions and the incident's live numbers."""
        found = self.rows.statement(incident_id)
        if found is None:
            raise TaskError(f"no statement for incident {incident_id!r}: it is drafted when an incident opens "
                            f"(see `monitor incidents list`)", "not_found")
        return Statement(found.incident_id, found.versions, self.numbers(incident_id))

    def numbers(self, incident_id: str) -> dict[str, Any]:
        """The incident's latest evidence in brief: what the draft was filled with, as it stands now."""
        from monitor.alerts.playbooks import live_numbers
        from monitor.alerts.records import evidence_from_json

        raw = self.store.incident_evidence(incident_id)
        evidence = evidence_from_json(raw) if raw else None
        out: dict[str, Any] = dict(live_numbers(evidence))
        if evidence is not None:
            out.update(trigger=evidence.trigger, observed=evidence.observed, threshold=evidence.threshold,
                       per_platform=dict(evidence.platforms))
        return out

    def edit_statement(self, incident_id: str, text: str, actor: str, now: datetime, *,
                       channel: str = "api") -> Statement:
        """A new version by ``actor``. An approved text that is changed is no longer approved."""
        if not isinstance(text, str) or not text.strip():
            raise TaskError("the statement text is empty; send the full text of the statement")
        if len(text) > MAX_STATEMENT_CHARS:
            raise TaskError(f"the statement is {len(text)} characters; at most {MAX_STATEMENT_CHARS} are kept")
        with self.store.transaction():
            current = self.statement(incident_id)
            if text == current.current.text:
                return current  # nothing changed: the approval (if any) stands
            version = self.rows.add_version(incident_id, current.current.level, text, actor, now)
            self.audit.audit(at=now, actor=actor, channel=channel, action="statement_edit", incident_id=incident_id,
                             version=version.version, cleared_approval=current.approved)
        return self.statement(incident_id)

    def may_approve(self, actor: str, *, admin: bool = False) -> bool:
        return admin or self.config.may_approve(actor)

    def approve_statement(self, incident_id: str, actor: str, now: datetime, *, channel: str = "api",
                          admin: bool = False, version: int | None = None) -> Statement:
        """Approve the current text as ``actor`` (an approver role's person, or an API admin).

        ``version`` (what the approver read) must still be current: an edit in between is never
        approved unseen. A refusal is audited and raised as ``forbidden``.
        """
        if not self.may_approve(actor, admin=admin):
            self.statement(incident_id)  # an unknown incident is "not found", whoever asks
            with self.store.transaction():
                self.audit.audit(at=now, actor=actor, channel=channel, action="statement_approve",
                                 incident_id=incident_id, ok=False, error="not an approver")
            raise TaskError(f"{actor} may not approve statements: approvers are the people of the role(s) "
                            f"{', '.join(self.config.approvers) or 'none'} (tasks.roles in monitor.yaml) "
                            f"and API admins", "forbidden")
        with self.store.transaction():
            current = self.statement(incident_id)
            if version is not None and version != current.current.version:
                raise TaskError(f"version {version} is no longer current (version {current.current.version} is); "
                                f"read the statement again before approving it", "conflict")
            if current.approved:
                return current
            self.rows.approve(incident_id, current.current.version, actor, now)
            self.audit.audit(at=now, actor=actor, channel=channel, action="statement_approve",
                             incident_id=incident_id, ok=True, version=current.current.version)
        return self.statement(incident_id)
