"""Replays a scenario through the real engine (SQLite on disk), in batches, optionally restarting midway."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.alerts.engine import Engine
from monitor.alerts.levels import EngineConfig
from monitor.alerts.playbooks import load_playbooks
from monitor.models import Alert
from monitor.store import Store
from tests.scenarios.generator import Item

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = load_playbooks(ROOT / "playbooks")


class Runner:
    def __init__(self, path: Path, **cfg: Any) -> None:
        self.store = Store(path)
        self.config = EngineConfig.model_validate(cfg)
        self.alerts: list[Alert] = []
        self.engine = self.restart()

    def restart(self) -> Engine:
        self.engine = Engine(self.config, PLAYBOOKS, self.store, self.alerts.append, {"acme": "Acme", "zeta": "Zeta"})
        self.engine.load()
        return self.engine

    def play(self, items: list[Item], *, restart_at: datetime | None = None, batch: timedelta = timedelta(minutes=5),
             tail: bool = True) -> Runner:
        """Feed ``items`` in batches of ``batch`` of event time; restart once at ``restart_at``."""
        groups: dict[int, list[Item]] = {}
        step = batch.total_seconds()
        for it in sorted(items, key=lambda x: x.ts):
            groups.setdefault(int(it.ts.timestamp() // step), []).append(it)
        for _, group in sorted(groups.items()):
            if restart_at is not None and group[0].ts >= restart_at:
                self.restart()
                restart_at = None
            with self.engine.batch():
                for it in group:
                    self.engine.advance(it.ts)
                    if it.post is not None:
                        self.engine.on_post(it.post)
                    elif it.trend is not None:
                        self.engine.on_trend(it.trend, list(it.matches))
                    elif it.quote is not None:
                        self.engine.on_quote(it.quote, list(it.brands))
                self.engine.advance(group[-1].ts)
        if tail and items:
            self.advance(max(i.ts for i in items) + self.config.window + self.config.quiet_period)
        return self

    def advance(self, at: datetime) -> None:
        with self.engine.batch():
            self.engine.advance(at)

    def seq(self) -> list[tuple[str, str, str]]:
        return [(a.transition, a.level, a.brand) for a in self.alerts]

    def timeline(self) -> list[tuple[str, str, str, str]]:
        return [(a.ts.isoformat(), a.transition, a.level, a.reason) for a in self.alerts]
