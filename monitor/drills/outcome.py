"""After a drill: its scorecard into report.json, and into the drill history for the next comparison."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from monitor.config import Loaded
from monitor.drills import history, scorecard
from monitor.drills.settings import RosterShift
from monitor.errors import MonitorError
from monitor.models import format_ts, parse_ts
from monitor.store import Store

log = logging.getLogger(__name__)


def _shift_span(shift: RosterShift, day: datetime) -> tuple[datetime, datetime]:
    zone = ZoneInfo(shift.zone)
    a, b = shift.hours.split("-")
    start = datetime.combine(day.date(), time(int(a[:2]), int(a[3:])), zone)
    end_h, end_m = int(b[:2]), int(b[3:])
    end = datetime.combine(day.date(), time(0, 0), zone) + timedelta(hours=end_h, minutes=end_m)
    if end <= start:
        end += timedelta(days=1)
    return start, end


def on_call(roster: list[RosterShift], at: datetime) -> str | None:
    for shift in roster:
        for back in (0, 1):
            s, e = _shift_span(shift, at.astimezone(ZoneInfo(shift.zone)) - timedelta(days=back))
            if s <= at < e:
                return shift.name
    return None


def handovers(roster: list[RosterShift], window: timedelta, start: datetime, end: datetime,
              items: list[scorecard.Stint]) -> dict[str, Any] | None:
    """Each change of on-call shift inside the drill, and how the alerts that came during it fared."""
    if not roster:
        return None
    moments: set[datetime] = set()
    for shift in roster:
        zone = ZoneInfo(shift.zone)
        day = start.astimezone(zone) - timedelta(days=1)
        while day <= end.astimezone(zone) + timedelta(days=1):
            for edge in _shift_span(shift, day):  # a shift's start and its end can both change hands
                if start <= edge <= end:
                    moments.add(edge.astimezone(start.tzinfo))
            day += timedelta(days=1)
    rows = []
    for at in sorted(moments):
        before, after = on_call(roster, at - timedelta(minutes=1)), on_call(roster, at)
        if before == after:
            continue
        during = [s for s in items if at <= s.start < at + window]
        rows.append({"at": format_ts(at), "from": before, "to": after, "alerts": len(during),
                     "acknowledged_on_time": sum(1 for s in during
                                                     if s.acked_at and s.acked_at - s.start <= s.deadline),
                     "minutes_to_ack": [round((s.acked_at - s.start).total_seconds() / 60, 1) if s.acked_at else None
                                        for s in during]})
    return {"handover_minutes": window.total_seconds() / 60, "items": rows}


def score_drill(report: dict[str, Any], loaded: Loaded, feed: Path, *, drill_id: str, mode: str,
                history_store: Store | None, done: list[Any] | None = None,
                report_dir: Path | None = None, finished_at: datetime) -> dict[str, Any]:
    """The scorecard of a finished drill; recorded in ``history_store`` (the daemon's store) when given."""
    phases = scorecard.phase_marks(feed)
    run = report["run"]
    first = parse_ts(run["first_event"]) if run.get("first_event") else None
    last = parse_ts(run["last_event"]) if run.get("last_event") else None
    brand = phases[0].brand if phases else None
    alerts = [n for n in report["notifications"] if brand is None or n.get("brand") == brand]
    previous = None
    if history_store is not None and phases:
        try:
            previous = history.previous(history_store, phases[0].scenario, drill_id)
        except MonitorError as exc:
            log.warning("could not read the drill history: %s", exc)
    cfg = loaded.config.drills
    times = [parse_ts(n["ts"]) for n in alerts] + ([last] if last else [])
    span_end = max(times) if times else None
    items = scorecard.stints(alerts, loaded, span_end) if span_end else []
    hand = handovers(cfg.roster, cfg.handover, phases[0].start if phases else first, span_end, items) \
        if (phases or first) and span_end else None
    card = scorecard.build(report["notifications"], phases, loaded, drill_id=drill_id, mode=mode,
                           first_event=first, last_event=last, handover=hand, done=done, previous=previous)
    card["told_in_advance"] = list(cfg.told_in_advance)
    if history_store is not None and phases:
        try:
            history.save(history_store, card, finished_at=format_ts(finished_at),
                         report=str(report_dir) if report_dir else None)
        except MonitorError as exc:
            log.warning("could not record the drill in the history: %s", exc)
    return card
