"""A real engine (the alerts tests' harness) with the checklist attached, on SQLite."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.alerts.records import evidence_to_json
from monitor.models import Incident
from monitor.tasks import TaskBook, TasksConfig
from monitor.tasks.track import attach, record
from tests.alerts.conftest import make_alert, playbooks  # noqa: F401  (fixtures shared with tests/alerts)
from tests.alerts.test_engine import Harness

TEAM = TasksConfig.model_validate({
    "people": {"alice": {"notifier": "alice-hook"}, "bob": {"notifier": "bob-hook"}, "carol": {}},
    "roles": {"PR": ["alice"], "legal": ["bob"], "Customer service": ["carol", "alice"]},
})


class Checklist(Harness):
    """The engine harness whose alerts also record tasks, with a TaskBook on the same store."""

    def __init__(self, tmp_path: Path, config: TasksConfig = TEAM, **cfg: object) -> None:
        super().__init__(tmp_path, **cfg)
        self.tasks_config = config
        self.book = TaskBook(self.store, config)

    def new_engine(self):  # type: ignore[no-untyped-def]
        engine = super().new_engine()
        attach(engine, lambda: self.tasks_config)
        return engine


@pytest.fixture
def c(tmp_path: Path) -> Checklist:
    return Checklist(tmp_path)


def seed(store: Any, alerts: Any, config: TasksConfig, *, level: str = "red", at: datetime,
         inc_id: str = "acme-20260301-080000") -> str:
    """An open incident that reached ``level`` at ``at`` (``alerts``: the make_alert fixture), with its tasks
    recorded as the engine would."""
    inc = Incident(id=inc_id, brand="acme", category=None, level=level, status="open",  # type: ignore[arg-type]
                   opened_at=at, level_since=at, last_signal_at=at, trigger=f"{level}.trending")
    alert = alerts(level, "opened", ts=at, incident_id=inc_id, id=f"{inc_id}#1")
    store.save_incident("acme", inc, evidence_to_json(alert.evidence))
    record(store, alert, config)
    return inc_id
