"""Each stateful alerting component owns its reconfigure(): windows, the engine, the outbox, the dispatcher."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

from monitor.alerts.dispatch import Dispatcher, Outbox
from monitor.alerts.levels import EngineConfig, Window
from monitor.alerts.notifiers.base import Notifier, NotifierConfig, NotifierContext
from monitor.clock import SystemClock, VirtualClock
from monitor.store import Store
from tests.alerts.test_engine import Harness, minutes, sp
from tests.alerts.test_levels import sig

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- engine and windows


def test_a_window_adopts_new_thresholds_and_keeps_its_signals() -> None:
    w = Window(EngineConfig(detection="fixed"), brand="acme")
    w.add_post(sig(1, T0, kind="social", outlet="daily.example"))
    assert not w.is_news(w.posts[0])
    w.reconfigure(EngineConfig.model_validate({"detection": "fixed", "yellow": {"media_outlets": ["Daily.example"]}}))
    assert len(w.posts) == 1 and w.is_news(w.posts[0])  # the outlet list is re-derived, the post kept
    assert w.config.yellow.media_outlets == ["Daily.example"]


def test_the_engine_reconfigures_its_windows_and_judges_with_the_new_threshold(tmp_path: Path) -> None:
    h = Harness(tmp_path, detection="fixed")
    h.post(*[sp(i, minutes(i)) for i in range(6)])
    assert h.alerts == []  # 6 posts, blue fires above 10
    lower = EngineConfig.model_validate({"detection": "fixed", "blue": {"platform_posts": 5}})
    h.engine.reconfigure(lower, h.engine.playbooks, {"acme": "Acme Corp"})
    assert all(w.config is lower for w in h.engine.windows.values())
    h.post(sp(6, minutes(7)))
    assert h.seq() == [("opened", "blue", "acme")]  # the six posts held through the reload counted
    assert h.alerts[0].brand_name == "Acme Corp"


# --------------------------------------------------------------------------- outbox and dispatcher


class Sink(Notifier[NotifierConfig]):
    """Records deliveries."""

    kind = "sink"

    def __init__(self, name: str) -> None:
        super().__init__(NotifierConfig(kind="sink", name=name), NotifierContext(clock=SystemClock()))
        self.sent: list[str] = []

    async def send(self, alert) -> None:  # type: ignore[no-untyped-def]
        self.sent.append(alert.id)


async def test_outbox_and_dispatcher_route_to_the_reloaded_notifiers(tmp_path: Path, make_alert) -> None:
    store = Store(tmp_path / "state.db")
    old, new = Sink("old"), Sink("new")
    outbox = Outbox(store, [old])
    dispatcher = Dispatcher(store, [old], VirtualClock(T0), rng=random.Random(1))
    outbox.enqueue(make_alert(transition="opened", id="inc-1#1", seq=1))
    dispatcher.channels.ok("old", T0)
    outbox.reconfigure([old, new])
    dispatcher.reconfigure([old, new])
    outbox.enqueue(make_alert(transition="escalated", id="inc-1#2", seq=2))
    await dispatcher.run_once()
    assert old.sent == ["inc-1#1", "inc-1#2"] and new.sent == ["inc-1#2"]
    dispatcher.reconfigure([new])  # "old" removed: no longer judged, queued rows wait by name
    assert set(dispatcher.by_name) == {"new"} and "old" not in dispatcher.channels.channels
    store.close()
