"""The scorecard's section of report.html: levels, acknowledgements, tasks, blind spots, handovers."""

from __future__ import annotations

import html
from typing import Any


def _table(head: list[str], rows: list[list[Any]]) -> str:
    e = html.escape
    th = "".join(f"<th>{e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{e('' if c is None else str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{th}</tr>{body or '<tr><td>none</td></tr>'}</table>"


def render_scorecard(card: dict[str, Any] | None) -> str:
    if not card:
        return ""
    e = html.escape

    def n(d: dict[str, Any], key: str) -> str:
        return e(str(d.get(key, 0)))

    verdict = "passed" if card.get("passed") else "NOT passed"
    head = (f"<p>Drill <code>{e(str(card.get('drill_id')))}</code> ({e(str(card.get('mode')))}), scenario "
            f"<b>{e(str(card.get('scenario') or 'none'))}</b>: {verdict}; {e(str(card.get('escalations', 0)))} "
            f"escalation(s) triggered.</p>")
    levels = _table(["level", "phase", "phase start", "first notified", "minutes", "within 15 min"],
                    [[r["level"], r["phase"], r["phase_start"], r["notified_at"], r["latency_minutes"],
                      r["within_15_minutes"]] for r in card.get("levels", [])])
    acks = card.get("acknowledgements", {})
    ack_rows = [[a["incident_id"], a["level"], a["notified_at"], a["deadline_minutes"], a["acked_by"],
                 a["minutes_to_ack"], a["status"]] for a in acks.get("items", [])]
    tasks = card.get("tasks", {})
    task_rows = [[t["level"], t["role"], t["task"], t["due"], t["done_at"], t["status"]]
                 for t in tasks.get("items", [])]
    blind = ", ".join(f"{b['channel']} ({b['posts']} posts)" for b in card.get("blind_spots", [])) or "none"
    hours = ", ".join(card.get("unanswered_hours", [])) or "none"
    hand = card.get("handovers")
    hand_html = _table(["at", "from", "to", "alerts", "acknowledged on time"],
                       [[h["at"], h["from"], h["to"], h["alerts"], h["acknowledged_on_time"]]
                        for h in hand["items"]]) if hand else "<p>no on-call roster configured</p>"
    prev = card.get("previous")
    prev_html = _table(["level", "previous minutes", "minutes", "change"],
                       [[r["level"], r["previous_minutes"], r["minutes"], r["change_minutes"]]
                        for r in prev["latency"]]) if prev else "<p>no earlier drill of this scenario</p>"
    quiet = card.get("false_alarm")
    quiet_html = (f"<p>False-alarm drill: {n(quiet, 'incidents')} incident(s) opened (0 expected).</p>"
                  if quiet else "")
    return (f"<h2>Scorecard</h2>{head}{quiet_html}<h3>Detection</h3>{levels}"
            f"<h3>Acknowledgements ({n(acks, 'on_time')} on time, {n(acks, 'late')} late, "
            f"{n(acks, 'missed')} missed)</h3>"
            + _table(["incident", "level", "notified", "deadline min", "by", "minutes", "status"], ack_rows)
            + f"<h3>Role tasks ({n(tasks, 'on_time')} on time, {n(tasks, 'late')} late, "
            f"{n(tasks, 'missed')} missed; from {e(str(tasks.get('source')))})</h3>"
            + _table(["level", "role", "task", "due", "done", "status"], task_rows)
            + f"<h3>Blind spots</h3><p>{e(blind)}</p><h3>Hours with no acknowledgement within the deadline</h3>"
            f"<p>{e(hours)}</p><h3>Handovers</h3>{hand_html}<h3>Previous drill</h3>{prev_html}")
