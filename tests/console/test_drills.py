"""Drills on the console: the History page's Drills section, a drill's scorecard page, and drill
incidents (their own store) kept off the Now and History incident lists."""

from __future__ import annotations

import dataclasses
import html as htmllib
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from monitor.drills import history
from monitor.drills.scorecard import PhaseMark, build
from monitor.models import format_ts
from monitor.store import Store
from tests.console.conftest import Room

T = datetime(2026, 3, 7, 2, 30, tzinfo=UTC)  # 02:30 on a Saturday
HOSTILE = "leak <script>alert(1)</script>"


def note(minutes: float, level: str, transition: str, n: int, **more: Any) -> dict[str, Any]:
    return {"id": f"n{n}", "ts": format_ts(T + timedelta(minutes=minutes)), "level": level, "brand": "acme",
            "incident_id": "drill-acme-1", "transition": transition, "category": None, "reason": "", **more}


def drill_card(room: Room, drill_id: str, blue_at: float, scenario: str = HOSTILE) -> dict[str, Any]:
    """A scorecard built by the scorecard's own code from hand-made drill notifications, recorded in the
    daemon's store the way a finished drill records it (with the previous drill of its scenario)."""
    blue = PhaseMark(scenario, "rumour", T, "blue", "acme", ["push", "douyin"])
    blue.posts.update(Counter({"push": 20, "douyin": 6}))
    yellow = PhaseMark(scenario, "pickup", T + timedelta(hours=1), "yellow", "acme", ["push"])
    alerts = [note(blue_at, "blue", "opened", 1), note(blue_at + 5, "blue", "acknowledged", 2, acked_by="alice"),
              note(75, "yellow", "escalated", 3), note(300, "yellow", "acknowledged", 4, acked_by="sam")]
    card = build(alerts, [blue, yellow], room.svc.loaded, drill_id=drill_id, mode="live", first_event=T,
                 last_event=T + timedelta(hours=6),
                 previous=history.previous(room.store, scenario, drill_id))
    history.save(room.store, card, finished_at=format_ts(T + timedelta(days=len(history.list_drills(room.store)))))
    return card


async def test_history_lists_drills_and_the_scorecard_page_shows_the_numbers(room: Room, http) -> None:
    first = drill_card(room, "d-first", blue_at=30)
    card = drill_card(room, "d-second", blue_at=12)
    assert card["previous"]["latency"][0]["change_minutes"] == -18.0  # sanity: the comparison is there
    await room.login(http, "vera")  # a viewer may read
    async with http.get(room.base + "/console/history") as r:
        assert r.status == 200
        page = await r.text()
    rows = re.findall(r'<tr class="drill" data-drill="([^"]+)">(.*?)</tr>', page, re.S)
    assert [d for d, _ in rows] == ["d-second", "d-first"]  # newest first
    cells = re.findall(r"<td>(.*?)</td>", rows[0][1], re.S)
    acks, tasks = card["acknowledgements"], card["tasks"]
    assert htmllib.escape(HOSTILE) in cells[1] and "<script>" not in page
    assert cells[3] == "live"
    assert cells[4].strip() == "blue 12.0, yellow 15.0"
    assert cells[5].strip() == f"{acks['on_time']} / {acks['late']} / {acks['missed']}"
    assert acks["on_time"] + acks["late"] + acks["missed"] == 2
    assert cells[6].strip() == f"{tasks['on_time']} / {tasks['late']} / {tasks['missed']}"
    assert cells[7].strip() == "douyin"  # the scenario's channel no source watches
    assert cells[8].strip() == "blue -18, yellow +0"
    first_cells = re.findall(r"<td>(.*?)</td>", rows[1][1], re.S)
    assert first_cells[4].strip() == "blue 30.0, yellow 15.0" and first_cells[8] == "first of its scenario"
    assert first["previous"] is None

    async with http.get(room.base + "/console/drills/" + quote("d-second")) as r:
        assert r.status == 200
        detail = await r.text()
    assert "<script>" not in detail and htmllib.escape(HOSTILE) in detail
    assert "<h2>Scorecard</h2>" in detail
    assert f"Acknowledgements ({acks['on_time']} on time, {acks['late']} late, {acks['missed']} missed)" in detail
    assert f"Role tasks ({tasks['on_time']} on time, {tasks['late']} late, {tasks['missed']} missed" in detail
    assert "douyin (6 posts)" in detail
    assert "<td>blue</td><td>30.0</td><td>12.0</td><td>-18.0</td>" in detail  # against the previous drill
    async with http.get(room.base + "/console/drills/nope") as r:
        assert r.status == 404


async def test_drill_pages_need_a_session(room: Room, http) -> None:
    drill_card(room, "d-1", blue_at=10)
    async with http.get(room.base + "/console/drills/d-1", allow_redirects=False) as r:
        assert r.status in (302, 303, 401)
        assert "Scorecard" not in await r.text()


async def test_drill_incidents_never_reach_the_incident_lists(room: Room, http, tmp_path) -> None:
    drill_card(room, "d-1", blue_at=10)
    await room.push(http)
    real = await room.incident()
    # the drill's own store (as a live drill keeps it) holds a drill incident, open and resolved
    drill_store = Store(tmp_path / "drill-state.db")
    try:
        for n, status in enumerate(("open", "resolved")):
            drill_store.save_incident("drill", dataclasses.replace(real, id=f"drill-acme-{n}", status=status))
    finally:
        drill_store.close()
    await room.login(http, "vera")
    async with http.get(room.base + "/") as r:
        now_page = await r.text()
    assert f'data-incident="{real.id}"' in now_page and "drill-acme" not in now_page
    room.close_incident(real.id)
    async with http.get(room.base + "/console/history") as r:
        hist = await r.text()
    assert f'href="/console/incidents/{quote(real.id, safe="")}"' in hist
    assert "drill-acme" not in hist and 'data-drill="d-1"' in hist  # the drill shows as a drill, not an incident
    assert not any(i.id.startswith("drill-") for i in room.store.list_incidents())
    async with http.get(room.base + "/console/incidents/drill-acme-0") as r:
        assert r.status == 404
