"""Scheduled drills: the daemon starts a live drill unannounced, on its own APScheduler.

With ``drills.enabled``, :func:`attach` adds one job (``_drill``) to the daemon's scheduler
(quarterly by default). When it fires, the scenario is composed over a generated (or the
configured recorded) normal period that starts now, and a live drill runs as a background
task on a scaled clock over the daemon's own clock, delivering to the daemon's notifiers
marked DRILL; people respond through the daemon's buttons and links, which reach the drill
in this process. Only one drill runs at a time; the daemon's shutdown stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.drills.settings import DrillsConfig, schedule_trigger_args

log = logging.getLogger(__name__)
WARMUP_HOURS = 6.0  # normal traffic before the scenario starts (a generated baseline)


def trigger(cfg: DrillsConfig) -> Any:
    kind, args = schedule_trigger_args(cfg.schedule)
    jitter = int(cfg.jitter.total_seconds()) or None
    if kind == "interval":
        return IntervalTrigger(seconds=float(args["seconds"]), timezone="UTC", jitter=jitter)  # type: ignore[arg-type]
    return CronTrigger(**_cron_fields(str(args["crontab"])), timezone="UTC", jitter=jitter)


def _cron_fields(crontab: str) -> dict[str, str]:
    minute, hour, day, month, dow = crontab.split()
    return {"minute": minute, "hour": hour, "day": day, "month": month, "day_of_week": dow}


def attach(service: Any) -> None:
    """Add the drill job to the daemon's scheduler when drills are enabled."""
    cfg: DrillsConfig = service.loaded.config.drills
    if not cfg.enabled or service.scheduler is None:
        return
    service.scheduler.add_job(service._job, trigger(cfg), args=["drill", lambda: start(service)], id="_drill",
                              max_instances=1, coalesce=True)
    log.info("scheduled drills: %s (%s)", cfg.schedule, cfg.scenario)


def _tasks(service: Any) -> set[asyncio.Task[Any]]:
    tasks: set[asyncio.Task[Any]] = service.__dict__.setdefault("drill_tasks", set())
    return tasks


async def start(service: Any) -> asyncio.Task[Any] | None:
    """Compose the scenario from now and start the live drill in the background; None if one is running."""
    from monitor.drills.compose import compose
    from monitor.drills.runner import run_live_drill
    from monitor.drills.scenario import load_scenario

    cfg: DrillsConfig = service.loaded.config.drills
    running = [t for t in _tasks(service) if not t.done()]
    if running or cfg.scenario is None or service.rt is None:
        if running:
            log.warning("a scheduled drill is due but one is still running; skipped")
        return None
    scenario = load_scenario(cfg.scenario)
    now = service.clock.now()
    drill_id = f"drill-{scenario.scenario}-{now:%Y%m%dT%H%M%S}"
    store_dir = Path(service.loaded.config.store.path).parent
    folder = (cfg.state_dir if cfg.state_dir.is_absolute() else store_dir / cfg.state_dir) / drill_id
    folder.mkdir(parents=True, exist_ok=True)
    feed = folder / "drill.jsonl"
    hours = max(4 * WARMUP_HOURS, scenario.length.total_seconds() / 3600 + 2 * WARMUP_HOURS)
    warmup = timedelta(hours=min(WARMUP_HOURS, hours / 4))
    compose(scenario, now + warmup, feed, baseline=cfg.baseline, seed=int(now.timestamp()),
            generate_hours=hours, baseline_posts=int(hours * 40))
    told = ", ".join(cfg.told_in_advance) or "nobody"
    log.warning("scheduled drill %s starts now (scenario %s, speed %g); told in advance: %s", drill_id,
                scenario.scenario, cfg.speed, told)
    task = asyncio.create_task(run_live_drill(service.loaded, feed, report_dir=folder / "report", speed=cfg.speed,
                                              drill_id=drill_id, scorer=service.rt.scorer, wall=service.clock,
                                              stop=service.stop_event), name=drill_id)
    _tasks(service).add(task)
    task.add_done_callback(_finished)
    return task


def _finished(task: asyncio.Task[Any]) -> None:
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        log.error("drill %s failed: %s", task.get_name(), exc, exc_info=exc)
        return
    card = task.result().get("scorecard", {})
    acks = card.get("acknowledgements", {})
    log.warning("drill %s finished: %s on time, %s late, %s missed acknowledgements; %s escalation(s)",
                task.get_name(), acks.get("on_time"), acks.get("late"), acks.get("missed"), card.get("escalations"))


async def stop(service: Any, timeout: float) -> None:
    """At shutdown: running drills see the stop event, score what they have and finish."""
    tasks = [t for t in _tasks(service) if not t.done()]
    if tasks:
        _done, pending = await asyncio.wait(tasks, timeout=timeout)
        for t in pending:
            t.cancel()
            with contextlib.suppress(BaseException):
                await t
