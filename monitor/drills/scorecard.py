"""The drill's scorecard: how the team did, not only what the machine said.

Read from a drill's notifications (report.json's list) and the composed feed's phase marks
(monitor.drills.compose): per level, the detection latency from the phase's start; per
level reached, the time to acknowledge against the playbook's deadline; role tasks on time,
late or missed; escalations triggered; channels that carried the scenario but are not
configured (blind spots); hours of the drill in which an alert waited past its deadline with
nobody acknowledging; handovers between on-call zones; and the previous drill of the same
scenario for comparison (monitor.drills.history).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.config import Loaded
from monitor.feed import read_feed
from monitor.models import Post, format_ts, parse_ts
from monitor.names import LEVELS

RANK = {"none": 0, "blue": 1, "yellow": 2, "red": 3}
NEWS_TARGET_MINUTES = 15  # the manual: negative news reaches the team within 15 minutes


@dataclass
class PhaseMark:
    scenario: str
    phase: str
    start: datetime
    expect: str
    brand: str
    channels: list[str] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    posts: Counter[str] = field(default_factory=Counter)  # scenario posts per channel


def phase_marks(feed: Path) -> list[PhaseMark]:
    """The phases a composed feed marks (``phase_info`` on each phase's first event), in order."""
    found: dict[tuple[str, str], PhaseMark] = {}
    for _, item in read_feed(feed, mentioning="phase"):  # only lines with a "phase" field count
        extra = getattr(item, "extra", None)
        if not extra or not isinstance(extra.get("phase"), str) or not isinstance(extra.get("scenario"), str):
            continue
        key = (extra["scenario"], extra["phase"])
        info = extra.get("phase_info")
        if isinstance(info, dict) and key not in found:
            try:
                start = parse_ts(info.get("start"))
            except Exception:  # a hand-edited mark: fall back to the phase's first event
                start = item.ts
            found[key] = PhaseMark(key[0], key[1], start, str(info.get("expect") or "none"),
                                   str(info.get("brand") or ""), list(info.get("channels") or []),
                                   [t for t in info.get("tasks") or [] if isinstance(t, dict)])
        mark = found.get(key)
        if mark is not None and isinstance(item, Post):
            mark.posts[item.source] += 1
    return sorted(found.values(), key=lambda m: (m.start, m.phase))


def _levels(phases: list[PhaseMark], alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for level in LEVELS:
        first = next((p for p in phases if RANK[p.expect] >= RANK[level]), None)
        if first is None:
            continue
        hits = [parse_ts(n["ts"]) for n in alerts if RANK.get(n["level"], 0) >= RANK[level]
                and n["transition"] in ("opened", "escalated") and parse_ts(n["ts"]) >= first.start]
        at = min(hits) if hits else None
        latency = round((at - first.start).total_seconds() / 60, 1) if at else None
        out.append({"level": level, "phase": first.phase, "phase_start": format_ts(first.start),
                    "notified_at": format_ts(at) if at else None, "latency_minutes": latency,
                    "detected": at is not None,
                    "within_15_minutes": latency is not None and latency <= NEWS_TARGET_MINUTES})
    return out


@dataclass
class Stint:
    """One level of one incident, from its notification until it is acknowledged or left behind."""

    incident_id: str
    level: str
    category: str | None
    start: datetime
    end: datetime
    deadline: timedelta
    acked_at: datetime | None = None
    acked_by: str | None = None


def stints(alerts: list[dict[str, Any]], loaded: Loaded, drill_end: datetime) -> list[Stint]:
    """Each level an incident reached, with its playbook deadline and the acknowledgement it got."""
    out: list[Stint] = []
    by_inc: dict[str, list[dict[str, Any]]] = {}
    for n in alerts:
        if n.get("incident_id"):
            by_inc.setdefault(n["incident_id"], []).append(n)
    for inc, notes in by_inc.items():
        notes.sort(key=lambda n: (n["ts"], n["id"]))
        current: Stint | None = None
        for n in notes:
            ts = parse_ts(n["ts"])
            if n["transition"] in ("opened", "escalated"):
                if current is not None:
                    current.end = ts
                pb = loaded.playbooks.get(n["level"], n.get("category"))
                current = Stint(inc, n["level"], n.get("category"), ts, drill_end, pb.ack_deadline)
                out.append(current)
            elif current is not None and n["transition"] == "acknowledged" and current.acked_at is None:
                current.acked_at, current.acked_by = ts, n.get("acked_by") or _by(n.get("reason", ""))
            elif current is not None and n["transition"] == "resolved":
                current.end = ts
    return out


def _by(reason: str) -> str | None:
    return reason.rsplit("acknowledged by ", 1)[1] if "acknowledged by " in reason else None


def _acks(items: list[Stint]) -> dict[str, Any]:
    rows = []
    for s in items:
        minutes = round((s.acked_at - s.start).total_seconds() / 60, 1) if s.acked_at else None
        status = "missed" if s.acked_at is None else ("on_time" if s.acked_at - s.start <= s.deadline else "late")
        rows.append({"incident_id": s.incident_id, "level": s.level, "notified_at": format_ts(s.start),
                     "deadline_minutes": s.deadline.total_seconds() / 60, "acked_at": format_ts(s.acked_at)
                     if s.acked_at else None, "acked_by": s.acked_by, "minutes_to_ack": minutes, "status": status})
    counts = Counter(r["status"] for r in rows)
    return {"on_time": counts["on_time"], "late": counts["late"], "missed": counts["missed"], "items": rows}


def task_outcomes(items: list[Stint], phases: list[PhaseMark], loaded: Loaded,
                  tracked: list[Any] | None = None) -> dict[str, Any]:
    """Role tasks: the playbook's for every level reached (deadline from the level's notification) and the
    scenario's own (deadline from its phase's start).

    ``tracked`` are the drill's role tasks from the task tracker (monitor.tasks): done on time, late,
    or missed (not done). A scenario task is done when the tracker shows its role's first task of
    the incident done. Without a tracker, a task counts as taken up when its level was acknowledged
    (the owner has it): on time before the task's deadline, late after it, missed if never."""
    rows = []
    first_done: dict[tuple[str, str], datetime] = {}
    if tracked is not None:
        for t in sorted(tracked, key=lambda t: (t.level_at, t.position)):
            rows.append(_task(t.incident_id, t.level, t.role, t.text, t.level_at, t.due_at, t.done_at))
            if t.done_at is not None:
                key = (t.incident_id, t.role)
                first_done[key] = min(first_done.get(key, t.done_at), t.done_at)
    else:
        for s in items:
            pb = loaded.playbooks.get(s.level, s.category)
            for pt in pb.tasks:
                rows.append(_task(s.incident_id, s.level, pt.role, pt.task, s.start, s.start + pt.deadline,
                                  s.acked_at))
    for p in phases:
        for t in p.tasks:
            due = p.start + timedelta(minutes=float(t.get("deadline_minutes", 0)))
            owner = next((s for s in items if s.start >= p.start), None)
            when = None
            if owner is not None:
                when = first_done.get((owner.incident_id, str(t.get("role")))) if tracked is not None \
                    else owner.acked_at
            rows.append(_task(owner.incident_id if owner else None, p.phase, str(t.get("role")), str(t.get("task")),
                              p.start, due, when))
    counts = Counter(r["status"] for r in rows)
    return {"source": "task tracker" if tracked is not None else "playbook deadlines and acknowledgements",
            "on_time": counts["on_time"], "late": counts["late"], "missed": counts["missed"], "items": rows}


def _task(incident: str | None, level: str, role: str, task: str, start: datetime, due: datetime,
          done_at: datetime | None) -> dict[str, Any]:
    status = "missed" if done_at is None else ("on_time" if done_at <= due else "late")
    return {"incident_id": incident, "level": level, "role": role, "task": task, "due": format_ts(due),
            "done_at": format_ts(done_at) if done_at else None, "status": status}


def unanswered_hours(items: list[Stint], start: datetime | None, end: datetime) -> list[str]:
    """Hours (UTC hour starts) in which some level waited past its deadline with nobody acknowledging."""
    hours: set[datetime] = set()
    for s in items:
        late_from = s.start + s.deadline
        until = min(s.acked_at or s.end, s.end)
        t = late_from.replace(minute=0, second=0, microsecond=0)
        while t < until:
            if t + timedelta(hours=1) > late_from and (start is None or t + timedelta(hours=1) > start):
                hours.add(t)
            t += timedelta(hours=1)
    return [format_ts(h) for h in sorted(hours)]


def blind_spots(phases: list[PhaseMark], loaded: Loaded) -> list[dict[str, Any]]:
    """Channels that carried scenario posts but that no configured source watches (by name or kind)."""
    watched = {s.name for s in loaded.config.sources} | {s.kind for s in loaded.config.sources}
    carried: Counter[str] = Counter()
    for p in phases:
        carried.update(p.posts)
        carried.update(dict.fromkeys((c for c in p.channels if c not in p.posts), 0))
    return [{"channel": c, "posts": n} for c, n in sorted(carried.items()) if c not in watched]


def build(alerts: list[dict[str, Any]], phases: list[PhaseMark], loaded: Loaded, *, drill_id: str,
          mode: str, first_event: datetime | None, last_event: datetime | None,
          handover: dict[str, Any] | None = None, done: list[Any] | None = None,
          previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """The scorecard dict (report.json's ``scorecard``)."""
    brand = phases[0].brand if phases else None
    mine = [n for n in alerts if brand is None or n.get("brand") == brand]
    end = last_event or (parse_ts(mine[-1]["ts"]) if mine else datetime.min)
    items = stints(mine, loaded, max([end, *(parse_ts(n["ts"]) for n in mine)]))
    levels = _levels(phases, mine)
    quiet = bool(phases) and all(p.expect == "none" for p in phases)
    opened = len({n["incident_id"] for n in mine if n["transition"] == "opened"})
    scenario_start = phases[0].start if phases else first_event
    card = {
        "drill_id": drill_id, "mode": mode, "scenario": phases[0].scenario if phases else None, "brand": brand,
        "phases": [{"phase": p.phase, "start": format_ts(p.start), "expect": p.expect, "channels": p.channels,
                    "posts": sum(p.posts.values())} for p in phases],
        "levels": levels,
        "false_alarm": {"expected_quiet": quiet, "incidents": opened} if quiet else None,
        "passed": (opened == 0) if quiet else all(r["detected"] for r in levels),
        "acknowledgements": _acks(items),
        "tasks": task_outcomes(items, phases, loaded, done),
        "escalations": sum(1 for n in mine if n["transition"] == "overdue"),
        "blind_spots": blind_spots(phases, loaded),
        "unanswered_hours": unanswered_hours(items, scenario_start, end),
        "handovers": handover,
    }
    card["previous"] = compare(card, previous) if previous else None
    return card


def compare(card: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """This drill against the previous one of the same scenario: latencies and acknowledgements, then and now."""
    before = {r["level"]: r["latency_minutes"] for r in previous.get("levels", [])}
    rows = []
    for r in card["levels"]:
        then, now = before.get(r["level"]), r["latency_minutes"]
        rows.append({"level": r["level"], "previous_minutes": then, "minutes": now,
                     "change_minutes": round(now - then, 1) if now is not None and then is not None else None})
    pa, ca = previous.get("acknowledgements", {}), card["acknowledgements"]
    return {"drill_id": previous.get("drill_id"), "latency": rows,
            "acknowledged_on_time": {"previous": pa.get("on_time"), "now": ca["on_time"]},
            "missed": {"previous": pa.get("missed"), "now": ca["missed"]},
            "escalations": {"previous": previous.get("escalations"), "now": card["escalations"]}}
