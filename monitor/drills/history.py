"""Drill history: every finished drill's scorecard, by drill id and scenario, in the daemon's store.

Kept in the store's ``meta`` table under ``drill:<id>`` keys (no schema change, the same on
SQLite and PostgreSQL), apart from incidents: drill incidents themselves live in the drill's
own state store and never in the daemon's. The console's history page reads
:func:`list_drills` and :func:`scorecard_for`.
"""

from __future__ import annotations

import json
from typing import Any

from monitor.store import Store

PREFIX = "drill:"


def save(store: Store, card: dict[str, Any], *, finished_at: str, report: str | None = None) -> None:
    entry = {"drill_id": card["drill_id"], "scenario": card.get("scenario"), "mode": card.get("mode"),
             "finished_at": finished_at, "report": report, "scorecard": card}
    store.set_meta(PREFIX + card["drill_id"], json.dumps(entry, ensure_ascii=False))


def _entries(store: Store) -> list[dict[str, Any]]:
    out = []
    for _key, value in store.query("SELECT key, value FROM meta WHERE key LIKE ?", (PREFIX + "%",)):
        try:
            entry = json.loads(value)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("scorecard"), dict):
            out.append(entry)
    return sorted(out, key=lambda e: (str(e.get("finished_at")), str(e.get("drill_id"))))


def list_drills(store: Store, scenario: str | None = None) -> list[dict[str, Any]]:
    """Finished drills, oldest first: id, scenario, mode, when, report path (no scorecards)."""
    return [{k: v for k, v in e.items() if k != "scorecard"} for e in _entries(store)
            if scenario is None or e.get("scenario") == scenario]


def scorecard_for(store: Store, drill_id: str) -> dict[str, Any] | None:
    """The scorecard of drill ``drill_id`` (None when no such drill was recorded)."""
    value = store.get_meta(PREFIX + drill_id)
    if value is None:
        return None
    try:
        entry = json.loads(value)
    except ValueError:
        return None
    card = entry.get("scorecard") if isinstance(entry, dict) else None
    return card if isinstance(card, dict) else None


def previous(store: Store, scenario: str | None, drill_id: str) -> dict[str, Any] | None:
    """The latest earlier drill of the same scenario, for the scorecard's comparison."""
    if not scenario:
        return None
    older = [e for e in _entries(store) if e.get("scenario") == scenario and e.get("drill_id") != drill_id]
    return older[-1]["scorecard"] if older else None
