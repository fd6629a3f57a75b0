"""The console's drills: the History page's "Drills" section and a drill's scorecard page.

Read from the daemon's drill history (:mod:`monitor.drills.history`), never from incidents:
a drill's incidents live in the drill's own store, so they never reach the Now or History
incident lists. Scenario names are people's input: the list goes through Jinja's autoescape
and the scorecard fragment (:func:`monitor.drills.scorecard_html.render_scorecard`) escapes
every text it shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web
from markupsafe import Markup

from monitor.drills import history
from monitor.drills.scorecard_html import render_scorecard
from monitor.errors import MonitorError
from monitor.models import parse_ts
from monitor.store import Store

if TYPE_CHECKING:
    from monitor.console import Console


def _when(value: Any) -> Any:
    try:
        return parse_ts(value)
    except MonitorError:  # a hand-edited entry: show nothing rather than fail the page
        return None


def _row(entry: dict[str, Any], card: dict[str, Any]) -> dict[str, Any]:
    acks, tasks = card.get("acknowledgements") or {}, card.get("tasks") or {}
    prev = card.get("previous") or None
    return {"id": str(entry.get("drill_id")), "scenario": entry.get("scenario") or card.get("scenario"),
            "mode": entry.get("mode") or card.get("mode"), "when": _when(entry.get("finished_at")),
            "passed": card.get("passed"),
            "levels": [(r.get("level"), r.get("latency_minutes")) for r in card.get("levels") or []],
            "acks": (acks.get("on_time", 0), acks.get("late", 0), acks.get("missed", 0)),
            "tasks": (tasks.get("on_time", 0), tasks.get("late", 0), tasks.get("missed", 0)),
            "blind": [b.get("channel") for b in card.get("blind_spots") or []],
            "previous": [(r.get("level"), r.get("change_minutes")) for r in prev.get("latency") or []]
            if isinstance(prev, dict) else None}


def drill_rows(store: Store, limit: int = 100) -> list[dict[str, Any]]:
    """The recorded drills, newest first, with the scorecard's key numbers."""
    try:
        entries = history.list_drills(store)
    except MonitorError:
        return []
    out = []
    for entry in reversed(entries[-limit:]):
        card = history.scorecard_for(store, str(entry.get("drill_id")))
        if card is not None:
            out.append(_row(entry, card))
    return out


def scorecard_page(console: Console) -> Any:
    from monitor.console.views import ctx, rt

    async def show(request: web.Request) -> web.StreamResponse:
        from monitor.console.render import page

        r = rt(console)
        drill_id = request.match_info["id"]
        try:
            card = history.scorecard_for(r.store, drill_id)
        except MonitorError:
            card = None
        if card is None:
            raise web.HTTPNotFound(text="no such drill")
        entry = next((e for e in history.list_drills(r.store) if e.get("drill_id") == drill_id), {})
        return page(console.env, "drill.html", **ctx(console, request, f"Drill {drill_id}", "history",
                                                     drill=_row(entry, card),
                                                     scorecard=Markup(render_scorecard(card))))  # escapes itself

    return show
