"""Crisis drills: replay a recorded feed through the daemon's own pipeline on a virtual clock.

A 48-hour recording runs in seconds at ``--speed max``, or paced (``--speed 3600`` = an
hour a second) for a live exercise. Notifiers are dry (terminal) unless ``notify`` is
set. State lives in a SQLite file beside the report, so a drill that is killed and run
again continues where it stopped without losing a notification; a send cut off by the
kill goes out again (same e-mail Message-ID and webhook delivery key, so receivers drop
the copy; a Slack incoming webhook may show it twice, at most one message per crash).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from pathlib import Path
from typing import Any

from monitor.alerts.notifiers.base import NotifierConfig
from monitor.clock import SystemClock, VirtualClock
from monitor.config import Loaded
from monitor.console.data import incident_charts
from monitor.errors import MonitorError
from monitor.feed import BadLine, read_feed
from monitor.models import format_ts
from monitor.pipeline import BatchStats, Scorer
from monitor.report import build_report, write_report
from monitor.runtime import build_runtime
from monitor.sources.replay import ReplayConfig
from monitor.store import Store

log = logging.getLogger(__name__)
_SOURCE, _TS = attrgetter("source"), attrgetter("ts")


def parse_speed(value: str) -> float | None:
    """``max`` -> None (as fast as possible); otherwise virtual seconds per real second."""
    if value.strip().lower() in ("max", "inf", "0"):
        return None
    try:
        speed = float(value)
    except ValueError:
        raise MonitorError(f"--speed must be a number (virtual seconds per real second) or 'max', got {value!r}") \
            from None
    if speed <= 0:
        raise MonitorError(f"--speed must be positive, got {value!r}")
    return speed


def feed_identity(feed: Path) -> str:
    """Which recording a drill state belongs to: a resumed drill must be the same recording."""
    digest = hashlib.sha256()
    with feed.open("rb") as fh:
        digest.update(fh.read(1 << 20))
    return f"{feed.resolve()}|{feed.stat().st_size}|{digest.hexdigest()[:16]}"


def first_timestamp(feed: Path) -> datetime:
    for _, item in read_feed(feed):
        if not isinstance(item, BadLine):
            return item.ts
    raise MonitorError(f"{feed}: no valid event in the recording (one JSON object per line: type, ts, source, ...)")


@dataclass
class DrillRun:
    """What one invocation did (a resumed drill reports only its own part here)."""

    totals: BatchStats = field(default_factory=BatchStats)
    bad_lines: list[str] = field(default_factory=list)
    sources: Counter[str] = field(default_factory=Counter)
    resumed_from_line: int = 0
    wall_seconds: float = 0.0
    first_ts: datetime | None = None
    last_ts: datetime | None = None


async def run_drill(loaded: Loaded, feed: Path, *, report_dir: Path, speed: float | None = None,
                    notify: bool = False, fresh: bool = False, state: Path | None = None,
                    scorer: Scorer | None = None, color: bool | None = None,
                    progress: Callable[[int], None] | None = None, drill_id: str | None = None,
                    history: bool = True) -> dict[str, Any]:
    """Replay ``feed``; write report.json and report.html into ``report_dir``; return the report.

    ``progress`` is told the line reached after each batch (the CLI's progress display). The
    report's ``scorecard`` judges the drill against the feed's phase marks; with ``history`` and
    a config file, it is also kept in the configured store for the next drill's comparison."""
    feed = Path(feed)
    if not feed.is_file():
        raise MonitorError(f"{feed}: recording not found")
    report_dir.mkdir(parents=True, exist_ok=True)
    state = state or report_dir / "drill-state.db"
    identity = feed_identity(feed)
    if not fresh and state.exists():
        store = Store(state)
        owner = store.get_meta("drill_feed")
        store.close()
        if owner != identity:
            log.warning("%s holds the state of another recording; starting this drill fresh", state)
            fresh = True
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{state}{suffix}").unlink(missing_ok=True)
    home = loaded.config.store.model_copy()  # the daemon's store: the drill history, never drill incidents
    keep = history and loaded.file != "<embedded default>"
    loaded.config.store.path = state
    clock = VirtualClock(first_timestamp(feed), speed=speed)
    dry: list[NotifierConfig] | None = None
    if not notify:
        from monitor.alerts.notifiers.base import NOTIFIERS

        terminal = NOTIFIERS.get("terminal")
        assert terminal is not None
        dry = [terminal.Config(kind="terminal", name="terminal")]
    rt = await build_runtime(loaded, clock, notifier_configs=dry, scorer=scorer, color=color, http=notify)
    rt.store.set_meta("drill_feed", identity)
    run = DrillRun()
    started = time.perf_counter()
    stop = asyncio.Event()
    dispatcher = asyncio.create_task(rt.dispatcher.run(stop))
    name = f"replay:{feed.name}"
    try:
        source = rt.make_source(ReplayConfig(kind="replay", name=name, path=feed, speed=speed))
        cursor = rt.store.get_cursor(name)
        run.resumed_from_line = int(cursor or 0)
        if run.resumed_from_line:
            log.warning("resuming drill from line %d of %s (use --fresh to start over)", run.resumed_from_line, feed)
        async for batch in source.stream(cursor):
            for reason in batch.skipped:
                run.bad_lines.append(f"{feed.name}: {reason}")
            if batch.events:
                run.sources.update(map(_SOURCE, batch.events))
                run.first_ts = run.first_ts or batch.events[0].ts
                latest = max(map(_TS, batch.events))
                run.last_ts = latest if run.last_ts is None or latest > run.last_ts else run.last_ts
            run.totals.add(await rt.pipeline.process(name, batch))
            if progress is not None and isinstance(batch.cursor, int):
                progress(batch.cursor)
        # after the recording ends, time runs on until every open incident can have resolved
        cfg = loaded.config.engine
        if rt.engine.now is not None:
            tail_end = rt.engine.now + cfg.window + cfg.quiet_period
            clock.set(tail_end)
            rt.pipeline.tick()
        await rt.dispatcher.drain(timeout=loaded.config.runtime.drain_timeout.total_seconds())
    finally:
        stop.set()
        await dispatcher
        run.wall_seconds = time.perf_counter() - started
        report = build_report(rt.store, rt.loaded, feed=feed, run=_run_json(run), now=SystemClock().now(),
                              as_of=clock.now())
        report["deliveries"] = delivery_summary(rt.store)
        from monitor.drills.tracked import done_times

        tracked = done_times(rt.store)
        charts = incident_charts(rt.store, rt.loaded, clock.now())  # the console's timeline, in report.html
        await rt.close()
    report["scorecard"] = scorecard_of(report, loaded, feed, home if keep else None, drill_id, "replay", report_dir,
                                       tracked)
    write_report(report, report_dir, charts)
    return report


def scorecard_of(report: dict[str, Any], loaded: Loaded, feed: Path, home: Any, drill_id: str | None, mode: str,
                 report_dir: Path, done: Any = None) -> dict[str, Any]:
    """Score the drill (monitor.drills.scorecard); record it in the daemon's store ``home`` when given."""
    from monitor.drills.outcome import score_drill
    from monitor.store import open_store

    now = SystemClock().now()
    drill_id = drill_id or f"{feed.stem}-{now:%Y%m%dT%H%M%S}"
    store = open_store(home) if home is not None else None
    try:
        return score_drill(report, loaded, feed, drill_id=drill_id, mode=mode, history_store=store, done=done,
                           report_dir=report_dir, finished_at=now)
    finally:
        if store is not None:
            store.close()


def delivery_summary(store: Store) -> dict[str, Any]:
    """Where every delivery stands: sent, still pending (a retry waits, or a send was cut off), failed.

    ``undelivered`` (pending + failed) > 0 after a ``--notify`` drill means some of the team's
    channels did not get everything; ``monitor drill`` then exits with status 3. Pending ones
    go out when the same drill is run again (or by the daemon, for a live store).
    """
    per: dict[str, dict[str, int]] = {}
    totals = {"sent": 0, "pending": 0, "failed": 0}
    for (notifier, status), n in sorted(store.delivery_counts().items()):
        key = "pending" if status == "sending" else status
        if key not in totals:
            continue
        per.setdefault(notifier, {"sent": 0, "pending": 0, "failed": 0})[key] += n
        totals[key] += n
    return {**totals, "undelivered": totals["pending"] + totals["failed"], "per_notifier": per}


def _run_json(run: DrillRun) -> dict[str, Any]:
    span = (run.last_ts - run.first_ts).total_seconds() if run.first_ts and run.last_ts else 0.0
    t = run.totals
    return {
        "events": t.events, "duplicates": t.duplicates, "matched": t.matched, "negative": t.negative,
        "trends": t.trends, "quotes": t.quotes, "bad_lines": run.bad_lines, "per_source": dict(run.sources),
        "labels": dict(t.labels), "resumed_from_line": run.resumed_from_line,
        "wall_seconds": round(run.wall_seconds, 3),
        "first_event": format_ts(run.first_ts) if run.first_ts else None,
        "last_event": format_ts(run.last_ts) if run.last_ts else None,
        "virtual_seconds": span, "speedup": round(span / run.wall_seconds, 1) if run.wall_seconds else None,
    }
