"""Drill reports: report.json (a stable contract: fields are added, never renamed) and a readable report.html."""

from __future__ import annotations

import html
import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor.alerts.levels import describe_thresholds
from monitor.alerts.records import public_record
from monitor.config import Loaded
from monitor.drills.scorecard_html import render_scorecard
from monitor.models import Incident, format_ts
from monitor.names import peak
from monitor.store import Store
from monitor.store_actions import ActionStore
from monitor.tasks.report import add_task_outcomes, outcomes_html

REPORT_VERSION = 1


def _incident_json(inc: Incident) -> dict[str, Any]:
    end = inc.resolved_at or inc.last_signal_at
    return {
        "id": inc.id, "brand": inc.brand, "category": inc.category, "level": inc.level, "status": inc.status,
        "opened_at": format_ts(inc.opened_at), "resolved_at": format_ts(inc.resolved_at) if inc.resolved_at else None,
        "acked_by": inc.acked_by, "resolved_by": inc.resolved_by, "trigger": inc.trigger,
        "duration_minutes": round((end - inc.opened_at).total_seconds() / 60, 1),
        "notifications": inc.seq,
    }


def build_report(store: Store, loaded: Loaded, *, feed: Path, run: dict[str, Any], now: datetime,
                 as_of: datetime | None = None) -> dict[str, Any]:
    """``now``: when the report is written (wall time); ``as_of``: the run's own time (a drill's virtual
    clock), against which task deadlines are judged (default ``now``)."""
    notifications = [public_record(n) for n in store.notifications()]
    for n in notifications:
        n["deliveries"] = store.deliveries_for(n["id"])
    incidents = sorted(store.list_incidents(limit=10_000), key=lambda i: i.opened_at)
    false_alarms = {m["incident_id"] for m in ActionStore(store).marks() if m["mark"] == "false_alarm"}
    report = {
        "version": REPORT_VERSION,
        "generated_at": format_ts(now),
        "feed": str(feed),
        "keywords": str(loaded.config.keywords),
        "playbooks": str(loaded.config.playbooks),
        "thresholds": describe_thresholds(loaded.config.engine),
        "run": run,
        "summary": {
            "incidents": len(incidents),
            "notifications": len(notifications),
            "by_transition": dict(Counter(n["transition"] for n in notifications)),
            "by_level": dict(Counter(n["level"] for n in notifications)),
            "false_alarms": len(false_alarms & {i.id for i in incidents}),
            "peak_level": peak([i.level for i in incidents]),
        },
        "incidents": [{**_incident_json(i), "suppressed": sum(1 for n in notifications if n.get("suppressed")
                                                              and n["incident_id"] == i.id),
                       "false_alarm": i.id in false_alarms} for i in incidents],
        "notifications": notifications,
    }
    add_task_outcomes(report, store, loaded.config.tasks, as_of or now)  # the playbook as a checklist
    return report


_COLORS = {"blue": "#1e6fd9", "yellow": "#d9a21e", "red": "#d93a1e", "system": "#666"}


# named CJK faces so Chinese posts render (the Docker image installs fonts-noto-cjk)
FONTS = 'system-ui,"Noto Sans","Noto Sans CJK SC","Noto Sans CJK JP","PingFang SC","Microsoft YaHei",sans-serif'


def render_html(report: dict[str, Any], charts: dict[str, str] | None = None) -> str:
    """A self-contained page: summary, incidents (with the console's timeline ``charts``: incident id ->
    SVG, :func:`monitor.console.data.incident_charts`), and the notification timeline. Everything escaped."""
    e = html.escape
    rows = []
    for n in report["notifications"]:
        color = _COLORS.get(n["level"], "#444")
        examples = ""
        ev = n.get("evidence") or {}
        if ev.get("examples"):
            items = "".join(f"<li><b>{e(x['source'])}</b> {e(x.get('author') or '')}: {e(x['text'][:200])}</li>"
                            for x in ev["examples"])
            examples = f"<ul class='ex'>{items}</ul>"
        rows.append(
            f"<tr><td>{e(n['ts'])}</td><td><span class='lvl' style='background:{color}'>{e(n['level'])}</span></td>"
            f"<td>{e(n['transition'])}</td><td>{e(n['brand'])}</td><td>{e(n['incident_id'] or '')}</td>"
            f"<td>{e(n.get('playbook') or '')}</td><td>{e(n['reason'])}{examples}</td></tr>")
    incidents = "".join(
        f"<tr><td>{e(i['id'])}</td><td>{e(i['brand'])}</td><td>{e(i['category'] or '')}</td><td>{e(i['level'])}</td>"
        f"<td>{e(i['status'])}</td><td>{e(i['opened_at'])}</td><td>{e(i['resolved_at'] or '')}</td>"
        f"<td>{i['duration_minutes']}</td></tr>" for i in report["incidents"])
    run = report["run"]
    bad = "".join(f"<li>{e(b)}</li>" for b in run.get("bad_lines", []))
    thresholds = "".join(f"<li>{e(t)}</li>" for t in report["thresholds"])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Brand Monitor drill report</title>
<style>body{{font-family:{FONTS};margin:2em;color:#222}}table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ddd;padding:6px;text-align:left;vertical-align:top;font-size:14px}}
.lvl{{color:#fff;padding:2px 6px;border-radius:4px}}.ex{{margin:4px 0;color:#555;font-size:13px}}</style></head>
<body><h1>Drill report</h1>
<p>Feed <code>{e(report['feed'])}</code> — {run.get('events', 0)} events, {run.get('matched', 0)} matched a rule,
{run.get('negative', 0)} negative; {len(run.get('bad_lines', []))} broken line(s) skipped;
{run.get('wall_seconds', 0)} s wall time (speed-up {run.get('speedup')}x).</p>
<h2>Thresholds</h2><ul>{thresholds}</ul>
<h2>Incidents ({report['summary']['incidents']})</h2>
<table><tr><th>id</th><th>brand</th><th>category</th><th>peak</th><th>status</th><th>opened</th><th>resolved</th>
<th>minutes</th></tr>{incidents}</table>
{_charts_html(report, charts or {})}
<h2>Notifications ({report['summary']['notifications']})</h2>
<table><tr><th>time</th><th>level</th><th>transition</th><th>brand</th><th>incident</th><th>playbook</th>
<th>why</th></tr>{''.join(rows)}</table>
{outcomes_html(report)}
<h2>Broken lines</h2><ul>{bad or '<li>none</li>'}</ul>
{render_scorecard(report.get("scorecard"))}
</body></html>
"""


def _charts_html(report: dict[str, Any], charts: dict[str, str]) -> str:
    """Each incident's timeline (negative posts per platform against the baseline band; SVG made and
    escaped by monitor.console.chart). CJK text renders with the Noto CJK fonts the SVG names."""
    parts = [f"<h3>{html.escape(i['id'])}</h3>{charts[i['id']]}" for i in report["incidents"] if i["id"] in charts]
    return f"<h2>Timelines</h2>{''.join(parts)}" if parts else ""


def write_report(report: dict[str, Any], directory: Path, charts: dict[str, str] | None = None) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    js, page = directory / "report.json", directory / "report.html"
    js.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    page.write_text(render_html(report, charts), encoding="utf-8")
    return js, page
