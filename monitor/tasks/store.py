"""The checklist's tables (migration 0005_tasks of each backend) through the store's ``query``/``execute``.

Portable SQL with ``?`` placeholders (the PostgreSQL store converts them), like
:mod:`monitor.store_actions`. Inserts are idempotent: a task whose id exists is left as it is,
so its done/reminded state survives any number of alerts at its level.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from monitor.store import from_epoch, to_epoch
from monitor.tasks.model import Statement, StatementVersion, Task

_TASK_COLUMNS = ("id, incident_id, level, kind, position, role, text, level_at, due_at, done_at, done_by, "
                 "reminded_at")
_ORDER = " ORDER BY level_at, due_at, kind, position"


def _opt(value: Any) -> datetime | None:
    return from_epoch(value) if value is not None else None


def _task(r: Any) -> Task:
    return Task(id=r[0], incident_id=r[1], level=r[2], kind=r[3], position=int(r[4]), role=r[5], text=r[6],
                level_at=from_epoch(r[7]), due_at=from_epoch(r[8]), done_at=_opt(r[9]), done_by=r[10],
                reminded_at=_opt(r[11]))


def _version(r: Any) -> StatementVersion:
    return StatementVersion(incident_id=r[0], version=int(r[1]), level=r[2], text=r[3], author=r[4],
                            at=from_epoch(r[5]), approved_by=r[6], approved_at=_opt(r[7]))


class TaskStore:
    """Rows of ``incident_tasks`` and ``statement_versions``; no rules, no clock."""

    def __init__(self, store: Any) -> None:
        self.store = store

    # -- tasks ------------------------------------------------------------------------------
    def add_tasks(self, tasks: Iterable[Task]) -> int:
        """Insert the tasks not yet stored (by id); returns how many were new."""
        added = 0
        with self.store.transaction():
            for t in tasks:
                if self.store.query("SELECT 1 FROM incident_tasks WHERE id=?", (t.id,)):
                    continue
                self.store.execute(
                    f"INSERT INTO incident_tasks({_TASK_COLUMNS}) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL)",
                    (t.id, t.incident_id, t.level, t.kind, t.position, t.role, t.text, to_epoch(t.level_at),
                     to_epoch(t.due_at)))
                added += 1
        return added

    def has_level(self, incident_id: str, level: str) -> bool:
        return bool(self.store.query("SELECT 1 FROM incident_tasks WHERE incident_id=? AND level=?",
                                     (incident_id, level)))

    def task(self, task_id: str) -> Task | None:
        rows = self.store.query(f"SELECT {_TASK_COLUMNS} FROM incident_tasks WHERE id=?", (task_id,))
        return _task(rows[0]) if rows else None

    def tasks(self, incident_id: str | None = None, *, open_only: bool = False) -> list[Task]:
        sql, args = f"SELECT {_TASK_COLUMNS} FROM incident_tasks", []
        where = []
        if incident_id is not None:
            where.append("incident_id=?")
            args.append(incident_id)
        if open_only:
            where.append("done_at IS NULL")
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [_task(r) for r in self.store.query(sql + _ORDER, tuple(args))]

    def due_unreminded(self, at: datetime) -> list[Task]:
        """Open tasks past their deadline that no reminder was queued for yet."""
        rows = self.store.query(f"SELECT {_TASK_COLUMNS} FROM incident_tasks WHERE done_at IS NULL AND "
                                f"reminded_at IS NULL AND due_at < ?" + _ORDER, (to_epoch(at),))
        return [_task(r) for r in rows]

    def set_done(self, task_id: str, by: str | None, at: datetime | None) -> int:
        """Tick (``at`` given) or untick (``at`` None) a task."""
        return int(self.store.execute("UPDATE incident_tasks SET done_at=?, done_by=? WHERE id=?",
                                      (to_epoch(at) if at is not None else None, by if at is not None else None,
                                       task_id)))

    def set_reminded(self, task_id: str, at: datetime) -> int:
        return int(self.store.execute("UPDATE incident_tasks SET reminded_at=? WHERE id=? AND reminded_at IS NULL",
                                      (to_epoch(at), task_id)))

    # -- statement --------------------------------------------------------------------------
    def statement(self, incident_id: str) -> Statement | None:
        rows = self.store.query("SELECT incident_id, version, level, text, author, at, approved_by, approved_at "
                                "FROM statement_versions WHERE incident_id=? ORDER BY version", (incident_id,))
        return Statement(incident_id, tuple(_version(r) for r in rows)) if rows else None

    def add_version(self, incident_id: str, level: str, text: str, author: str, at: datetime) -> StatementVersion:
        """A new current text (unapproved: the approval belongs to the text it was given to)."""
        with self.store.transaction():
            rows = self.store.query("SELECT MAX(version) FROM statement_versions WHERE incident_id=?", (incident_id,))
            version = int(rows[0][0] or 0) + 1
            self.store.execute("INSERT INTO statement_versions(incident_id, version, level, text, author, at, "
                               "approved_by, approved_at) VALUES(?, ?, ?, ?, ?, ?, NULL, NULL)",
                               (incident_id, version, level, text, author, to_epoch(at)))
        return StatementVersion(incident_id, version, level, text, author, at)

    def approve(self, incident_id: str, version: int, by: str, at: datetime) -> int:
        return int(self.store.execute("UPDATE statement_versions SET approved_by=?, approved_at=? "
                                      "WHERE incident_id=? AND version=?", (by, to_epoch(at), incident_id, version)))
