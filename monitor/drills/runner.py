"""Run one live drill end to end: play the recording on a scaled clock, let people respond, score it."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from monitor.clock import Clock, ScaledClock, SystemClock
from monitor.config import Loaded, StoreConfig
from monitor.drill import DrillRun, _run_json, delivery_summary, first_timestamp, scorecard_of
from monitor.drills import live
from monitor.drills.marking import drill_configs, mark_notifiers
from monitor.errors import MonitorError
from monitor.feed import BadLine, read_feed
from monitor.pipeline import Scorer
from monitor.report import build_report, write_report
from monitor.sources.base import Batch
from monitor.store import Store, open_store

log = logging.getLogger(__name__)
MAX_BATCH = 500


def _drill_loaded(loaded: Loaded, state: Path) -> Loaded:
    cfg = loaded.config.model_copy(update={"store": StoreConfig(path=state)})
    return Loaded(config=cfg, rules=loaded.rules, playbooks=loaded.playbooks, file=loaded.file)


async def run_live_drill(loaded: Loaded, feed: Path, *, report_dir: Path, speed: float, notify: bool = True,
                         drill_id: str | None = None, scorer: Scorer | None = None, color: bool | None = None,
                         wall: Clock | None = None, stop: asyncio.Event | None = None,
                         history: bool = True) -> dict[str, Any]:
    """Play ``feed`` at ``speed`` drill seconds per real second; deliver marked DRILL; return the report."""
    from monitor.alerts.notifiers.base import NOTIFIERS
    from monitor.runtime import build_runtime

    feed = Path(feed)
    if not feed.is_file():
        raise MonitorError(f"{feed}: recording not found")
    wall = wall or SystemClock()
    drill_id = drill_id or f"drill-{feed.stem}-{wall.now():%Y%m%dT%H%M%S}"
    report_dir.mkdir(parents=True, exist_ok=True)
    state = report_dir / "drill-state.db"
    for suffix in ("", "-wal", "-shm"):  # a live drill is played once, in real time: always fresh
        Path(f"{state}{suffix}").unlink(missing_ok=True)
    keep = history and loaded.file != "<embedded default>"
    home_cfg = loaded.config.store.model_copy()
    home: Store | None = open_store(home_cfg) if keep else None
    run_loaded = _drill_loaded(loaded, state)
    if notify:
        configs = drill_configs(loaded.config.notifiers, loaded.config.drills)
    else:
        terminal = NOTIFIERS.get("terminal")
        assert terminal is not None
        configs = [terminal.Config(kind="terminal", name="terminal")]
    clock = ScaledClock(first_timestamp(feed), speed, wall)
    rt = await build_runtime(run_loaded, clock, notifier_configs=configs, scorer=scorer, color=color, http=notify)
    rt.engine.id_prefix = live.PREFIX  # type: ignore[attr-defined]
    mark_notifiers(rt.notifiers, drill_id)
    drill = live.LiveDrill(drill_id, rt, clock, state, wall)
    live.register(home, drill)
    run = DrillRun()
    started = time.perf_counter()
    halt = asyncio.Event()
    dispatcher = asyncio.create_task(rt.dispatcher.run(halt))
    name = f"live:{feed.name}"
    log.warning("live drill %s started: %s at speed %g (drill time %s)", drill_id, feed, speed, clock.now())
    try:
        lines = iter(read_feed(feed))
        pending = next(lines, None)
        while pending is not None and not (stop and stop.is_set()):
            lineno, item = pending
            if isinstance(item, BadLine):
                run.bad_lines.append(f"{feed.name}: line {lineno}: {item.reason}")
                pending = next(lines, None)
                continue
            await live.pace(drill, item.ts, stop)
            batch = Batch(cursor=lineno)
            now = clock.now()
            while pending is not None and len(batch.events) < MAX_BATCH:
                lineno, item = pending
                if isinstance(item, BadLine):
                    run.bad_lines.append(f"{feed.name}: line {lineno}: {item.reason}")
                elif item.ts > now:
                    break
                else:
                    batch.events.append(item)
                    run.sources[item.source] += 1
                    run.first_ts = run.first_ts or item.ts
                    run.last_ts = item.ts
                batch.cursor = lineno
                pending = next(lines, None)
            live.apply_queued(drill)
            run.totals.add(await rt.pipeline.process(name, batch))
        # the recording is over: time runs on until every open incident can have resolved
        cfg = loaded.config.engine
        tail = clock.now() + cfg.window + cfg.quiet_period
        while rt.engine.incidents and clock.now() < tail and not (stop and stop.is_set()):
            await live.pace(drill, min(tail, clock.now() + timedelta(minutes=5)), stop)
        live.between(drill)
        await rt.dispatcher.drain(timeout=loaded.config.runtime.drain_timeout.total_seconds())
    finally:
        live.unregister(home, drill)
        halt.set()
        await dispatcher
        run.wall_seconds = time.perf_counter() - started
        report = build_report(rt.store, run_loaded, feed=feed, run=_run_json(run), now=wall.now())
        report["deliveries"] = delivery_summary(rt.store)
        report["drill_actions"] = list(drill.done)
        from monitor.drills.tracked import done_times

        done = done_times(rt.store)
        await rt.close()
        if home is not None:
            home.close()
    report["scorecard"] = scorecard_of(report, loaded, feed, home_cfg if keep else None, drill_id, "live",
                                       report_dir, done)
    write_report(report, report_dir)
    return report

