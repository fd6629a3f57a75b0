"""What the checklist holds: tasks with deadlines, and the holding statement's versions.

Plain frozen dataclasses: the store returns them, :class:`monitor.tasks.service.TaskBook`
decorates them with owners and the overdue flag at a given instant (never the wall clock),
and ``to_json`` is what the CLI, the HTTP API, the console and report.json show.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.errors import MonitorError
from monitor.models import format_ts

KINDS = ("role", "media", "follow_up")
"""role: a playbook role's task; media: brief one media-list contact; follow_up: a 3-7-21 follow-up."""


class TaskError(MonitorError):
    """A task or statement action that cannot be done as asked.

    ``reason`` is ``not_found`` (unknown task or incident), ``forbidden`` (the person's role
    may not), ``conflict`` (the statement changed since it was read) or ``invalid`` (bad input);
    HTTP maps them to 404, 403, 409 and 400, the CLI to exit 2.
    """

    def __init__(self, message: str, reason: str = "invalid") -> None:
        super().__init__(message)
        self.reason = reason


def task_id(incident_id: str, level: str, kind: str, position: int) -> str:
    """Stable and URL-safe: the same level's tasks get the same ids however often it alerts."""
    digest = hashlib.sha256(f"{incident_id}\0{level}\0{kind}\0{position}".encode()).hexdigest()
    return "t-" + digest[:16]


def _ts(value: datetime | None) -> str | None:
    return format_ts(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class Task:
    """One tracked task of an incident, as stored."""

    id: str
    incident_id: str
    level: str  # the level whose playbook gave it
    kind: str  # see KINDS
    position: int  # order within (level, kind)
    role: str
    text: str
    level_at: datetime  # when the incident reached ``level``: deadlines count from here
    due_at: datetime
    done_at: datetime | None = None
    done_by: str | None = None
    reminded_at: datetime | None = None

    @property
    def done(self) -> bool:
        return self.done_at is not None

    def overdue(self, at: datetime) -> bool:
        """Not done and the deadline has passed (a task due exactly now is not yet overdue)."""
        return self.done_at is None and at > self.due_at

    def outcome(self, at: datetime) -> str:
        """``on_time``, ``late`` (done after its deadline), ``overdue`` or ``open`` as of ``at``."""
        if self.done_at is not None:
            return "on_time" if self.done_at <= self.due_at else "late"
        return "overdue" if self.overdue(at) else "open"


@dataclass(frozen=True, slots=True)
class TaskView:
    """A task with what depends on config and time: its owners, and whether it is overdue."""

    task: Task
    owners: tuple[str, ...]
    overdue: bool
    outcome: str

    def to_json(self) -> dict[str, Any]:
        t = self.task
        return {"id": t.id, "incident_id": t.incident_id, "level": t.level, "kind": t.kind, "role": t.role,
                "text": t.text, "owners": list(self.owners), "level_at": format_ts(t.level_at),
                "due_at": format_ts(t.due_at), "done": t.done, "done_at": _ts(t.done_at), "done_by": t.done_by,
                "overdue": self.overdue, "outcome": self.outcome, "reminded_at": _ts(t.reminded_at)}


@dataclass(frozen=True, slots=True)
class StatementVersion:
    """One text of the holding statement; ``approved_*`` is set when this very text was approved."""

    incident_id: str
    version: int
    level: str
    text: str
    author: str  # "brand-monitor" for the drafts filled from the playbook
    at: datetime
    approved_by: str | None = None
    approved_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "level": self.level, "text": self.text, "author": self.author,
                "at": format_ts(self.at), "approved_by": self.approved_by, "approved_at": _ts(self.approved_at)}


DRAFT_AUTHOR = "brand-monitor"


@dataclass(frozen=True, slots=True)
class Statement:
    """An incident's holding statement: its versions, oldest first; the last one is current.

    ``state``: ``draft`` (as filled from the playbook), ``edited`` (changed by a person, waiting for
    approval) or ``approved`` (the current text was approved; any edit clears it).
    """

    incident_id: str
    versions: tuple[StatementVersion, ...]
    numbers: dict[str, Any] = field(default_factory=dict)  # the live numbers the draft was filled with

    @property
    def current(self) -> StatementVersion:
        return self.versions[-1]

    @property
    def state(self) -> str:
        cur = self.current
        if cur.approved_at is not None:
            return "approved"
        return "draft" if cur.author == DRAFT_AUTHOR else "edited"

    @property
    def approved(self) -> bool:
        return self.state == "approved"

    def to_json(self) -> dict[str, Any]:
        cur = self.current
        return {"incident_id": self.incident_id, "state": self.state, "approved": self.approved,
                "text": cur.text, "version": cur.version, "level": cur.level, "author": cur.author,
                "edited_at": format_ts(cur.at), "approved_by": cur.approved_by, "approved_at": _ts(cur.approved_at),
                "numbers": self.numbers, "versions": [v.to_json() for v in self.versions]}
