"""A real engine (the alerts tests' harness) with the checklist attached, on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.tasks import TaskBook, TasksConfig
from monitor.tasks.track import attach
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
