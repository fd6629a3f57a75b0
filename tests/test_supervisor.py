"""Supervised tasks: a failure is counted, shown and followed by a restart with back-off."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime

import pytest

from monitor.clock import VirtualClock
from monitor.health import HealthTracker, TaskHealth
from monitor.metrics import Metrics
from monitor.supervisor import Supervisor

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def supervisor(initial: float = 0.01, maximum: float = 0.04) -> Supervisor:
    return Supervisor(HealthTracker(Metrics()), VirtualClock(T0), asyncio.Event(), initial=initial,
                      maximum=maximum)


async def test_a_failing_task_is_restarted_with_back_off_until_it_finishes() -> None:
    sup = supervisor()
    runs: list[float] = []
    seen_failures: list[int] = []

    async def body(task: TaskHealth) -> None:
        runs.append(asyncio.get_running_loop().time())
        seen_failures.append(task.failures)
        if len(runs) <= 3:
            raise RuntimeError(f"boom {len(runs)}")

    await asyncio.wait_for(sup.run("stream:x", body), timeout=5)
    task = sup.health.tasks["stream:x"]
    assert len(runs) == 4 and task.restarts == 3 and task.state == "done"
    assert seen_failures == [0, 1, 2, 3]
    assert task.last_error == "RuntimeError: boom 3" and task.problem() is not None  # no progress yet
    gaps = [b - a for a, b in itertools.pairwise(runs)]
    assert gaps[0] >= 0.009 and gaps[1] >= 0.019 and gaps[2] >= 0.039  # doubling, capped at maximum
    assert 'brand_monitor_task_failures_total{task="stream:x"} 3' in sup.health.metrics.render()
    assert not sup.health.healthy(T0)


async def test_progress_resets_the_back_off_and_the_health() -> None:
    sup = supervisor(initial=0.01, maximum=10)
    calls = 0

    async def body(task: TaskHealth) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            task.progress(T0)  # did useful work, then failed again
        if calls < 5:
            raise OSError("flaky")

    await asyncio.wait_for(sup.run("t", body), timeout=5)
    task = sup.health.tasks["t"]
    assert task.restarts == 4 and task.failures == 2  # counted from the progress on
    assert sup.delay(task) == 0.02


async def test_stop_ends_the_back_off_wait_and_cancel_stops_the_task() -> None:
    sup = supervisor(initial=30, maximum=30)

    async def failing(task: TaskHealth) -> None:
        raise ValueError("down")

    runner = asyncio.create_task(sup.run("t", failing))
    await asyncio.sleep(0.05)
    assert sup.health.tasks["t"].state == "restarting"
    sup.stop.set()
    await asyncio.wait_for(runner, timeout=10)  # did not sit out the 30 s (10: room for a busy machine)
    assert sup.health.tasks["t"].state == "stopped"

    sup2 = supervisor()

    async def forever(task: TaskHealth) -> None:
        await asyncio.sleep(3600)

    runner = asyncio.create_task(sup2.run("u", forever))
    await asyncio.sleep(0.01)
    runner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runner
    assert sup2.health.tasks["u"].state == "stopped"


def test_components_and_problems_on_healthz() -> None:
    health = HealthTracker()
    health.probes["store"] = lambda: {"status": "unhealthy", "problem": "store x: disk is full"}
    health.task_failed("dispatcher", "StoreError: disk is full", T0)
    comps = health.components()
    assert comps["store"]["problem"] == "store x: disk is full"
    assert comps["tasks"]["dispatcher"]["status"] == "unhealthy"
    assert health.problems(T0) == ["store: store x: disk is full",
                                   "task dispatcher failed 1 time(s) in a row, retrying: StoreError: disk is full"]

    def broken() -> dict:
        raise RuntimeError("probe died")

    health.probes["store"] = broken
    assert health.components()["store"] == {"status": "unhealthy", "problem": "RuntimeError: probe died"}
    health.probes.clear()
    health.task("dispatcher").progress(T0)
    assert health.healthy(T0)


async def test_the_failure_is_logged_with_its_traceback_and_handed_on(caplog: pytest.LogCaptureFixture) -> None:
    sup = supervisor()
    errors: list[str] = []
    states: list[str] = []

    async def body(task: TaskHealth) -> None:
        states.append(task.state)
        if len(states) == 1:
            raise KeyError("gone")

    with caplog.at_level("ERROR", logger="monitor.supervisor"):
        await asyncio.wait_for(sup.run("dispatcher", body, on_failure=errors.append), timeout=5)
    assert states == ["running", "running"] and errors == ["KeyError: 'gone'"]
    (record,) = caplog.records
    assert record.getMessage() == "task dispatcher failed (KeyError: 'gone'); restart 1 in 0.0 s"
    assert record.exc_info is not None and record.task == "dispatcher"  # type: ignore[attr-defined]
    assert sup.health.tasks["dispatcher"].last_failure_at == T0
    assert [sup.delay(TaskHealth("x", failures=n)) for n in (1, 2, 3, 4)] == [0.01, 0.02, 0.04, 0.04]


async def test_a_failure_while_stopping_ends_the_task_without_a_restart() -> None:
    sup = supervisor()
    calls = 0

    async def body(task: TaskHealth) -> None:
        nonlocal calls
        calls += 1
        sup.stop.set()
        raise RuntimeError("failed on the way out")

    await asyncio.wait_for(sup.run("t", body), timeout=5)
    task = sup.health.tasks["t"]
    assert calls == 1 and task.state == "stopped" and task.restarts == 0 and task.failures == 1
