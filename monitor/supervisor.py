"""Supervision for the daemon's long-running tasks: a task never dies silently.

A stream consumer or the dispatcher that raises is logged, counted on /healthz and in
/metrics (``task_failures_total``), and started again after an exponential back-off
(``initial`` doubling up to ``maximum`` seconds, back to ``initial`` once the task has made
progress). Only a clean return or the stop event ends a supervised task. The back-off waits
on the event loop's own time, like the scheduler does; timestamps shown come from the Clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from monitor.clock import Clock
from monitor.health import HealthTracker, TaskHealth

log = logging.getLogger(__name__)


class Supervisor:
    """Runs task bodies under restart-with-back-off; one per daemon."""

    def __init__(self, health: HealthTracker, clock: Clock, stop: asyncio.Event, *, initial: float = 1.0,
                 maximum: float = 60.0) -> None:
        self.health = health
        self.clock = clock
        self.stop = stop
        self.initial = initial
        self.maximum = maximum

    def delay(self, task: TaskHealth) -> float:
        """Seconds to wait before the next restart: doubles with each failure in a row."""
        return min(self.initial * 2 ** max(task.failures - 1, 0), self.maximum)

    async def run(self, name: str, body: Callable[[TaskHealth], Awaitable[None]],
                  on_failure: Callable[[str], None] | None = None) -> None:
        """Run ``body(task)`` until it returns or the daemon stops, restarting it when it raises.

        ``body`` calls ``task.progress(now)`` after useful work, which resets the back-off.
        """
        task = self.health.task(name)
        while not self.stop.is_set():
            task.state = "running"
            try:
                await body(task)
            except asyncio.CancelledError:
                task.state = "stopped"
                raise
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                self.health.task_failed(name, error, self.clock.now())
                if on_failure is not None:
                    on_failure(error)
                if self.stop.is_set():
                    break
                task.state = "restarting"
                task.restarts += 1
                wait = self.delay(task)
                log.error("task %s failed (%s); restart %d in %.1f s", name, error, task.restarts, wait,
                          exc_info=exc, extra={"task": name})
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), wait)
                continue
            task.state = "done"
            return
        task.state = "stopped"
