"""Role-task outcomes from the task tracker (monitor.tasks) of a drill's own store."""

from __future__ import annotations

from typing import Any

from monitor.errors import MonitorError


def done_times(store: Any) -> list[Any] | None:
    """The drill's tracked role tasks (None when nothing was tracked: the scorecard falls back to acks)."""
    from monitor.tasks.store import TaskStore

    try:
        tasks = [t for t in TaskStore(store).tasks() if t.kind == "role"]
    except MonitorError:
        return None
    return tasks or None
