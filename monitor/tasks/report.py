"""Task outcomes for report.json and report.html: which playbook tasks were done on time, late, or not at all.

Judged as of the report's instant on the run's own clock (a drill's virtual time, so a 48-hour
recording's 1-hour deadlines pass in drill time). report.json gains fields and never changes
existing ones: a top-level ``tasks`` summary and a ``tasks`` object on each incident.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from monitor.models import format_ts
from monitor.tasks.service import OUTCOMES, TaskBook
from monitor.tasks.settings import TasksConfig

LABELS = {"on_time": "on time", "late": "late", "overdue": "not done (overdue)", "open": "not done (not yet due)"}
COLORS = {"on_time": "#2e7d32", "late": "#d9a21e", "overdue": "#d93a1e", "open": "#666"}


def add_task_outcomes(report: dict[str, Any], store: Any, config: TasksConfig, as_of: datetime) -> None:
    """Add ``report["tasks"]`` and each ``report["incidents"][i]["tasks"]`` (counts and the tasks)."""
    book = TaskBook(store, config)
    totals = dict.fromkeys(OUTCOMES, 0)
    for incident in report["incidents"]:
        outcome = book.outcomes(incident["id"], as_of)
        del outcome["as_of"]
        incident["tasks"] = outcome
        for k in OUTCOMES:
            totals[k] += outcome[k]
    report["tasks"] = {"as_of": format_ts(as_of), "total": sum(totals.values()), **totals,
                       "not_done": totals["overdue"] + totals["open"]}


def outcomes_html(report: dict[str, Any]) -> str:
    """One table per incident with tasks: role, owners, task, due, done by/at, outcome. Everything escaped."""
    e = html.escape
    summary = report.get("tasks")
    if not summary or not summary.get("total"):
        return ""
    parts = [f"<h2>Playbook tasks ({summary['total']})</h2><p>As of {e(summary['as_of'])} (run time): "
             f"{summary['on_time']} on time, {summary['late']} late, {summary['not_done']} not done "
             f"({summary['overdue']} overdue).</p>"]
    for inc in report["incidents"]:
        tasks = (inc.get("tasks") or {}).get("tasks") or []
        if not tasks:
            continue
        rows = "".join(
            f"<tr><td>{e(t['level'])}</td><td>{e(t['role'])}</td><td>{e(', '.join(t['owners']) or '—')}</td>"
            f"<td>{e(t['text'])}</td><td>{e(t['due_at'])}</td>"
            f"<td>{e(t['done_by'] or '')}{' at ' + e(t['done_at']) if t['done_at'] else ''}</td>"
            f"<td><span class='lvl' style='background:{COLORS[t['outcome']]}'>{e(LABELS[t['outcome']])}</span></td>"
            f"</tr>" for t in tasks)
        counts = inc["tasks"]
        parts.append(f"<h3>{e(inc['id'])}: {counts['on_time']} on time, {counts['late']} late, "
                     f"{counts['not_done']} not done</h3><table><tr><th>level</th><th>role</th><th>owners</th>"
                     f"<th>task</th><th>due</th><th>done</th><th>outcome</th></tr>{rows}</table>")
    return "\n".join(parts)
