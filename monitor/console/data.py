"""What the console's pages show, read from the runtime and its store (no HTML here).

Evidence posts are read a page at a time (an incident can gather tens of thousands); the
timeline counts negative posts per platform per hour and reads the brand's baseline band
from the stored series (``baselines`` table), so it shows what the engine judged against.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from monitor.alerts.baseline import Series, hour_of
from monitor.console.chart import Mark
from monitor.models import Incident, parse_ts
from monitor.store import from_epoch, load_baselines, to_epoch
from monitor.store_actions import ActionStore

LEVEL_ORDER = {"red": 0, "yellow": 1, "blue": 2, "system": 3}
PAGE = 50


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def brand_name(rt: Any, brand: str) -> str:
    return str(rt.engine.brand_names.get(brand, brand))


def records(store: Any, incident_id: str) -> list[dict[str, Any]]:
    """The incident's notifications, oldest first."""
    rows = store.query("SELECT seq, data FROM notifications WHERE incident_id=? ORDER BY seq", (incident_id,))
    return [{"seq": r[0], **_loads(r[1])} for r in rows]


def lead_story(evidence: dict[str, Any] | None) -> str | None:
    stories = ((evidence or {}).get("detail") or {}).get("stories")
    if isinstance(stories, list) and stories and isinstance(stories[0], dict):
        return str(stories[0].get("text") or "")[:200] or None
    examples = (evidence or {}).get("examples") or []
    if examples and isinstance(examples[0], dict):
        return str(examples[0].get("text") or "")[:200] or None
    return None


def stories(evidence: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The incident's stories (near-duplicate posts folded, largest first), read defensively."""
    found = ((evidence or {}).get("detail") or {}).get("stories")
    out = []
    for st in found if isinstance(found, list) else []:
        if isinstance(st, dict):
            out.append({"text": str(st.get("text") or "")[:200], "posts": st.get("posts"),
                        "voices": st.get("voices"), "reposts": st.get("reposts"),
                        "outlets": [str(o) for o in st.get("outlet_names") or []][:5],
                        "source": st.get("source"), "url": _safe_url(st.get("url"))})
    return out


def latest_playbook(recs: list[dict[str, Any]]) -> dict[str, Any] | None:
    for rec in reversed(recs):
        if rec.get("playbook_rendered"):
            return dict(rec["playbook_rendered"])
    return None


@dataclass
class Deadline:
    due: datetime
    owner: str
    what: str


def next_deadline(inc: Incident, recs: list[dict[str, Any]], now: datetime, tasks: list[Any] | None = None
                  ) -> Deadline | None:
    """The acknowledgement while unacknowledged, else the earliest open task (tracked or from the playbook)."""
    pb = latest_playbook(recs) or {}
    if inc.status == "open" and inc.acked_at is None and inc.ack_due_at is not None:
        return Deadline(inc.ack_due_at, str(pb.get("owner") or "on call"), "acknowledge")
    if tasks:
        open_tasks = sorted((t for t in tasks if not t.done), key=lambda t: t.due)
        if open_tasks:
            t = open_tasks[0]
            return Deadline(t.due, t.owner or t.role, t.title)
        return None
    due = sorted((parse_ts(t["due"]), t) for t in pb.get("tasks", []) if parse_ts(t["due"]) >= now)
    return Deadline(due[0][0], str(due[0][1]["role"]), str(due[0][1]["task"])) if due else None


@dataclass
class NowRow:
    inc: Incident
    brand_name: str
    story: str | None
    age: timedelta
    deadline: Deadline | None


def open_rows(rt: Any, now: datetime, tasks_for: Any = None) -> list[NowRow]:
    out = []
    for inc in rt.store.list_incidents(status="open", limit=500):
        recs = records(rt.store, inc.id)
        tasks = tasks_for(inc.id) if tasks_for else None
        out.append(NowRow(inc, brand_name(rt, inc.brand), lead_story(rt.store.incident_evidence(inc.id)),
                          now - inc.opened_at, next_deadline(inc, recs, now, tasks)))
    return sorted(out, key=lambda r: (LEVEL_ORDER.get(r.inc.level, 9), r.inc.opened_at))


def sources(rt: Any, now: datetime) -> list[dict[str, Any]]:
    out = []
    for name, v in rt.health.snapshot(now).items():
        last = v.get("last_event")
        out.append({"name": name, **v, "last_event_at": parse_ts(last) if isinstance(last, str) else None})
    return out


def silences(rt: Any, now: datetime) -> list[Any]:
    return ActionStore(rt.store).silences(now)


# -- an incident's evidence and timeline ------------------------------------------------------
def window_of(rt: Any, inc: Incident, now: datetime) -> tuple[datetime, datetime]:
    """Where its evidence lies: from one detection window before it opened to its end (or now)."""
    return inc.opened_at - rt.loaded.config.engine.window, inc.resolved_at or now


_NEG = "(label='negative' OR human_label='negative')"


def _brand_like(brand: str) -> str:
    return "%" + json.dumps(brand) + "%"


class _About:
    """Whether a stored ``brands`` list names the brand (LIKE is only a prefilter); memoised per
    distinct list, since thousands of rows share a handful of them."""

    def __init__(self, brand: str) -> None:
        self.brand, self.seen = brand, {}  # type: ignore[var-annotated]

    def __call__(self, brands: Any) -> bool:
        hit = self.seen.get(brands)
        if hit is None:
            hit = self.seen[brands] = self.brand in _loads(brands)
        return bool(hit)


def evidence_page(store: Any, brand: str, start: datetime, end: datetime,
                  page: int) -> tuple[int, list[dict[str, Any]]]:
    """(total, posts on ``page``): negative posts (by the model or a person) about ``brand``, newest first."""
    args = (to_epoch(start), to_epoch(end), _brand_like(brand))
    where = f"WHERE ts >= ? AND ts <= ? AND brands LIKE ? AND {_NEG}"
    total = int(store.query(f"SELECT COUNT(*) FROM posts {where}", args)[0][0])
    rows = store.query(f"SELECT key, ts, source, label, score, human_label, post, brands FROM posts {where} "
                       "ORDER BY ts DESC, key LIMIT ? OFFSET ?", (*args, PAGE, max(0, page) * PAGE))
    out = []
    about = _About(brand)
    for r in rows:
        if not about(r[7]):
            continue
        post = _loads(r[6]) or {}
        out.append({"key": r[0], "ts": from_epoch(r[1]), "source": r[2], "label": r[3], "score": r[4],
                    "human_label": r[5], "text": str(post.get("text") or "")[:1000],
                    "title": post.get("title"), "author": post.get("author"), "url": _safe_url(post.get("url"))})
    return total, out


def _safe_url(url: Any) -> str | None:
    """Only http(s) links are shown as links (never javascript: or data:)."""
    return url if isinstance(url, str) and url.lower().startswith(("https://", "http://")) else None


def _hour(store: Any) -> str:
    """SQL for a post's hour since the epoch (floor), per backend: counting is done by the database."""
    return "CAST(FLOOR(ts / 3600) AS BIGINT)" if getattr(store, "backend", "") == "postgres" \
        else "CAST(ts / 3600 AS INTEGER)"


def hourly_negative(store: Any, brand: str, start: datetime, end: datetime) -> dict[str, dict[int, int]]:
    """platform -> hour -> negative posts (the person's label wins over the model's)."""
    hour = _hour(store)
    rows = store.query(f"SELECT source, brands, {hour}, COUNT(*) FROM posts WHERE ts >= ? AND ts <= ? AND "
                       f"brands LIKE ? AND COALESCE(human_label, label)='negative' GROUP BY source, brands, {hour}",
                       (to_epoch(start), to_epoch(end), _brand_like(brand)))
    out: dict[str, dict[int, int]] = {}
    about = _About(brand)
    for source, brands, h, n in rows:
        if about(brands):
            per = out.setdefault(source, {})
            per[int(h)] = per.get(int(h), 0) + int(n)
    return out


def baseline_band(rt: Any, brand: str, hours: range) -> list[tuple[datetime, float, float]]:
    """Per hour: the expected negative posts (all platforms) and the count that would be surprising."""
    b = rt.loaded.config.engine.baseline
    series = [Series.from_text(text) for key, text in load_baselines(rt.store, f"{brand}|").items()
              if key.endswith("|neg") and key.split("|")[1] != "*"]
    if not series:
        return []
    out = []
    for h in hours:
        live = [s for s in series if h >= s.first]  # a series says nothing about hours before it began
        if not live:
            continue
        lo = sum(s.expected(h)[0] for s in live)
        hi = sum(s.threshold(h, 60, b.dispersion, b.p_value) for s in live)
        out.append((from_epoch(h * 3600.0), lo, float(max(hi - 1, lo))))
    return out


@dataclass
class Timeline:
    start: datetime
    end: datetime
    series: dict[str, list[tuple[datetime, int]]]
    band: list[tuple[datetime, float, float]]
    marks: list[Mark] = field(default_factory=list)


def timeline(rt: Any, inc: Incident, recs: list[dict[str, Any]], audit: list[dict[str, Any]], now: datetime
             ) -> Timeline:
    end = (inc.resolved_at or now) + timedelta(hours=1)
    start = min(inc.opened_at - timedelta(hours=6), end - timedelta(hours=12))  # the hours before, for contrast
    hours = range(hour_of(start), hour_of(end) + 1)
    counts = hourly_negative(rt.store, inc.brand, start, end)
    series = {p: [(from_epoch(h * 3600.0), per.get(h, 0)) for h in hours] for p, per in counts.items()}
    marks = []
    for rec in recs:
        ts = parse_ts(rec["ts"])
        kind = rec["level"] if rec["transition"] in ("opened", "escalated") else (
            "resolved" if rec["transition"] == "resolved" else "notify")
        marks.append(Mark(ts, kind, f"{rec['level']} {rec['transition']}"))
    marks += [Mark(parse_ts(a["ts"]), "human", f"{a['action']} by {a['actor']} ({a['channel']})") for a in audit]
    return Timeline(start, end, series, baseline_band(rt, inc.brand, hours), marks)


def audit_rows(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Audit entries with ``at`` as a datetime (for the viewer's clock)."""
    return [{**e, "at": parse_ts(e["ts"])} for e in entries]


def incident_chart(store: Any, loaded: Any, inc: Incident, now: datetime, zone: ZoneInfo | None = None,
                   name: str | None = None) -> str:
    """The incident's timeline as SVG from its store alone: what the console shows, for report.html too
    (``monitor.report`` can call this with the drill's store, config and virtual time)."""
    from monitor.console.chart import timeline_svg
    from monitor.console.render import Clockface

    rt = SimpleNamespace(store=store, loaded=loaded)
    tl = timeline(rt, inc, records(store, inc.id), audit_rows(ActionStore(store).audit_log(inc.id)), now)
    face = Clockface(zone or ZoneInfo("UTC"))
    return timeline_svg(tl.start, tl.end, tl.series, tl.band, tl.marks, face.local,
                        title=f"Negative posts per hour, {name or inc.brand}", zone=face.zone)


def incident_charts(store: Any, loaded: Any, now: datetime, limit: int = 50) -> dict[str, str]:
    """Timelines of a run's incidents (the first ``limit``), for a drill's or backtest's report.html."""
    incidents = sorted(store.list_incidents(limit=limit), key=lambda i: i.opened_at)
    return {inc.id: incident_chart(store, loaded, inc, now) for inc in incidents}


def why(recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each notification's level, transition and the reasons in words (as the alert said them)."""
    from monitor.alerts.records import alert_from_record
    from monitor.alerts.why import why_lines

    out = []
    for rec in recs:
        try:
            alert = alert_from_record(rec)
            lines = list(why_lines(alert, alert.evidence.examples if alert.evidence else ()))
        except Exception:  # an old or odd record still shows its reason line
            lines = []
        out.append({"ts": parse_ts(rec["ts"]), "level": rec["level"], "transition": rec["transition"],
                    "reason": rec.get("reason") or "", "lines": lines})
    return out


def after_action(inc: Incident, evidence: dict[str, Any] | None, tasks: list[Any] | None) -> dict[str, Any]:
    """Time to detect (first evidence post to the alert), to acknowledge, and tasks done on time."""
    firsts = [parse_ts(e["ts"]) for e in (evidence or {}).get("examples", []) if e.get("ts")]
    ttd = inc.opened_at - min(firsts) if firsts and min(firsts) <= inc.opened_at else None
    tta = inc.acked_at - inc.opened_at if inc.acked_at else None
    on_time = None
    if tasks:
        done = [t for t in tasks if t.done]
        on_time = (sum(1 for t in done if t.done_at is not None and t.done_at <= t.due), len(tasks))
    return {"ttd": ttd, "tta": tta, "tasks_on_time": on_time}


# -- brands --------------------------------------------------------------------------------------
def brand_rows(rt: Any, now: datetime) -> list[dict[str, Any]]:
    week = now - timedelta(days=7)
    incidents = [i for i in rt.store.list_incidents(limit=2000) if i.opened_at >= week]
    out = []
    for brand in sorted(rt.loaded.rules.brands):
        hour = _hour(rt.store)
        rows = rt.store.query(f"SELECT {hour}, COALESCE(human_label, label)='negative', brands, COUNT(*) FROM posts "
                              f"WHERE ts >= ? AND ts <= ? AND brands LIKE ? GROUP BY {hour}, "
                              f"COALESCE(human_label, label)='negative', brands",
                              (to_epoch(week), to_epoch(now), _brand_like(brand)))
        spark = [0] * 168
        day = {"n": 0, "neg": 0}  # the current hour and the 23 before it
        weekly = {"n": 0, "neg": 0}
        base = hour_of(now) - 167
        about = _About(brand)
        for h, neg, brands, n in rows:
            if not about(brands):
                continue
            neg, n, i = bool(neg), int(n), int(h) - base
            weekly["n"] += n
            weekly["neg"] += n * neg
            if i >= 168 - 24:
                day["n"] += n
                day["neg"] += n * neg
            if neg and 0 <= i < 168:
                spark[i] += n
        band = baseline_band(rt, brand, range(hour_of(now), hour_of(now) + 1))
        out.append({"id": brand, "name": brand_name(rt, brand), "day": day, "week": weekly, "spark": spark,
                    "baseline": band[0][1] if band else None,
                    "incidents_day": sum(1 for i in incidents if i.brand == brand
                                         and i.opened_at >= now - timedelta(hours=24)),
                    "incidents_week": sum(1 for i in incidents if i.brand == brand)})
    return out
