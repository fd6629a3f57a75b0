"""Live drills: the recording plays on a scaled wall clock and people respond as in a real crisis.

``monitor drill FEED --live --speed N --notify`` (or a scheduled drill inside the daemon)
builds the same runtime as the daemon on a :class:`~monitor.clock.ScaledClock`, with its own
SQLite state store (drill incidents never enter the daemon's store) and incident ids that
start with ``drill-``. Its notifiers are the configured ones, marked DRILL
(monitor.drills.marking). People answer through the usual means:

- in the same process (a scheduled drill in the daemon): Slack buttons, PagerDuty, e-mail
  links and the API end in :func:`monitor.interact.actions.perform`, which hands a ``drill-``
  incident to :func:`route` and so to the drill's own engine, at the drill's time;
- from another process (``monitor incidents ack drill-...`` or a daemon serving the buttons of a
  drill started from the command line): the action is queued in the drill's state store, found
  through the daemon store's ``drill-live:<id>`` registration, and done by the drill at the drill
  time of the moment it was asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.clock import Clock, ScaledClock
from monitor.errors import MonitorError
from monitor.models import format_ts, parse_ts
from monitor.store import Store

log = logging.getLogger(__name__)
PREFIX = "drill-"
REGISTRY = "drill-live:"
QUEUE = "drill-action:"


@dataclass
class LiveDrill:
    drill_id: str
    rt: Any  # monitor.runtime.Runtime
    clock: ScaledClock
    state: Path
    wall: Clock
    done: list[str] = field(default_factory=list)


LIVE: dict[str, LiveDrill] = {}
"""The live drills running in this process, by drill id."""


def owner_of(incident_id: str) -> LiveDrill | None:
    for drill in list(LIVE.values()):
        with contextlib.suppress(MonitorError):
            if drill.rt.store.get_incident(incident_id) is not None:
                return drill
    return None


def task_owner(task_id: str) -> LiveDrill | None:
    """The live drill in this process whose task tracker holds ``task_id`` (its checklist in the console/API)."""
    from monitor.tasks.store import TaskStore

    for drill in list(LIVE.values()):
        with contextlib.suppress(MonitorError):
            if TaskStore(drill.rt.store).task(task_id) is not None:
                return drill
    return None


def register(home: Store | None, drill: LiveDrill) -> None:
    LIVE[drill.drill_id] = drill
    if home is not None:
        home.set_meta(REGISTRY + drill.drill_id, json.dumps({"state": str(drill.state.resolve()),
                                                             "started": format_ts(drill.clock.wall_start),
                                                             "speed": drill.clock.speed}))


def unregister(home: Store | None, drill: LiveDrill) -> None:
    LIVE.pop(drill.drill_id, None)
    if home is not None:
        with contextlib.suppress(MonitorError):
            home.execute("DELETE FROM meta WHERE key = ?", (REGISTRY + drill.drill_id,))


def running(home: Store) -> dict[str, dict[str, Any]]:
    """Live drills registered in the daemon's store (possibly by other processes)."""
    out = {}
    for key, value in home.query("SELECT key, value FROM meta WHERE key LIKE ?", (REGISTRY + "%",)):
        with contextlib.suppress(ValueError):
            out[key[len(REGISTRY):]] = json.loads(value)
    return out


def route(home: Store | None, action: str, incident_id: str, actor: str, channel: str, wall_now: Any) -> Any:
    """Do ``action`` on a drill incident: here if its drill runs in this process, else queue it for the
    drill that holds it. None when ``incident_id`` is not a drill's (the caller acts as usual)."""
    from monitor.interact.actions import Outcome, perform

    if not incident_id.startswith(PREFIX):
        return None
    drill = owner_of(incident_id)
    if drill is not None:
        return perform(drill.rt, action, incident_id, actor, channel, drill.clock.at_wall(wall_now), drill=False)
    for drill_id, info in (running(home) if home is not None else {}).items():
        try:
            state = Store(Path(info["state"]))
        except (MonitorError, KeyError, OSError):
            continue
        try:
            if state.get_incident(incident_id) is None:
                continue
            queue(state, action, incident_id, actor, channel, wall_now)
        finally:
            state.close()
        return Outcome(True, f"{action} of drill incident {incident_id} handed to drill {drill_id}")
    return None


def queue(state: Store, action: str, incident_id: str, actor: str, channel: str, wall_now: Any) -> None:
    state.set_meta(QUEUE + secrets.token_hex(8), json.dumps({"action": action, "incident_id": incident_id,
                                                             "actor": actor, "channel": channel,
                                                             "at": format_ts(wall_now)}))


def apply_queued(drill: LiveDrill) -> int:
    """Do the actions other processes queued for this drill, each at the drill time it was asked."""
    from monitor.interact.actions import perform

    store = drill.rt.store
    rows = store.query("SELECT key, value FROM meta WHERE key LIKE ? ORDER BY key", (QUEUE + "%",))
    items = []
    for key, value in rows:
        store.execute("DELETE FROM meta WHERE key = ?", (key,))
        with contextlib.suppress(ValueError, KeyError, MonitorError):
            req = json.loads(value)
            items.append((parse_ts(req["at"]), req))
    for at, req in sorted(items, key=lambda x: x[0]):
        outcome = perform(drill.rt, str(req["action"]), str(req["incident_id"]), str(req["actor"]),
                          str(req["channel"]), max(drill.clock.at_wall(at), drill.rt.engine.now or at), drill=False)
        drill.done.append(f"{req['action']} {req['incident_id']} by {req['actor']}: {outcome.message}")
    return len(items)


def tick_seconds(speed: float) -> float:
    """Real seconds between timer checks: a drill minute, kept between 20 ms and 1 s."""
    return min(1.0, max(0.02, 60.0 / speed))


async def pace(drill: LiveDrill, until: Any, stop: asyncio.Event | None = None) -> None:
    """Wait (real time) until drill time ``until``, ticking the engine and applying queued actions.

    With no open incident nothing can fall due between events, so the wait is one step (at most a
    real second, to stay responsive to people and to stop)."""
    while drill.clock.now() < until and not (stop and stop.is_set()):
        left = (until - drill.clock.now()).total_seconds() / drill.clock.speed
        step = tick_seconds(drill.clock.speed) if drill.rt.engine.incidents else 1.0
        await drill.wall.sleep(max(1e-6, min(step, left)))  # clocks keep microseconds: never a zero step
        await asyncio.sleep(0)  # a virtual wall clock (tests) sleeps without yielding: let others run
        between(drill)


def between(drill: LiveDrill) -> None:
    """Let drill time pass with no events: timers (overdue, repeats, all-clear) and people's queued actions."""
    try:
        apply_queued(drill)
        drill.rt.pipeline.tick()
    except MonitorError as exc:  # a busy store: the next tick tries again
        log.warning("drill %s: tick failed: %s", drill.drill_id, exc)
