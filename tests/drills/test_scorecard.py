"""The scorecard's parts on hand-made inputs: handovers between zones, blind spots, the previous drill."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.config import load_for_cli
from monitor.drills import history
from monitor.drills.outcome import handovers
from monitor.drills.scorecard import PhaseMark, Stint, blind_spots, compare, unanswered_hours
from monitor.drills.settings import RosterShift
from monitor.store import Store

T = datetime(2026, 3, 6, tzinfo=UTC)


def stint(start: datetime, acked: datetime | None, minutes: int = 30) -> Stint:
    return Stint("drill-acme-1", "yellow", None, start, start + timedelta(hours=3), timedelta(minutes=minutes), acked)


def test_handovers_between_shanghai_and_london() -> None:
    roster = [RosterShift(name="shanghai", zone="Asia/Shanghai", hours="09:00-21:00"),
              RosterShift(name="london", zone="Europe/London", hours="09:00-21:00")]
    # Shanghai 01:00-13:00 UTC, London 09:00-21:00 UTC (March: GMT); nobody 21:00-01:00 UTC
    items = [stint(T + timedelta(hours=13, minutes=10), T + timedelta(hours=13, minutes=40)),
             stint(T + timedelta(hours=13, minutes=20), None)]
    out = handovers(roster, timedelta(minutes=30), T, T + timedelta(hours=24), items)
    assert out is not None and out["handover_minutes"] == 30
    assert [(h["at"], h["from"], h["to"], h["alerts"], h["acknowledged_on_time"]) for h in out["items"]] == [
        ("2026-03-06T01:00:00Z", None, "shanghai", 0, 0),
        ("2026-03-06T13:00:00Z", "shanghai", "london", 2, 1),
        ("2026-03-06T21:00:00Z", "london", None, 0, 0)]
    assert handovers([], timedelta(minutes=30), T, T + timedelta(hours=1), items) is None


def test_unanswered_hours_are_the_hours_past_a_deadline_without_an_ack() -> None:
    late = stint(T + timedelta(hours=2, minutes=50), T + timedelta(hours=5, minutes=10))  # due 03:20, acked 05:10
    missed = stint(T + timedelta(hours=7), None, minutes=15)  # due 07:15, open until 10:00
    assert unanswered_hours([late, missed], T, T + timedelta(hours=12)) == [
        "2026-03-06T03:00:00Z", "2026-03-06T04:00:00Z", "2026-03-06T05:00:00Z",
        "2026-03-06T07:00:00Z", "2026-03-06T08:00:00Z", "2026-03-06T09:00:00Z"]


def test_blind_spots_are_scenario_channels_no_source_watches(tmp_path: Path) -> None:
    feed = tmp_path / "f.jsonl"
    feed.write_text('{"type": "post", "ts": "2026-03-01T00:00:00Z", "source": "x", "id": "1", "text": "hi"}\n')
    cfg = tmp_path / "monitor.yaml"
    cfg.write_text(f"sources:\n  - {{kind: replay, name: weibo, path: {feed}}}\n  - {{kind: replay, name: x, "
                   f"path: {feed}}}\n")
    loaded = load_for_cli(cfg)
    mark = PhaseMark("s", "p", T, "blue", "acme", ["weibo", "douyin", "weibo_hot"])
    mark.posts.update({"weibo": 12, "douyin": 7})
    assert blind_spots([mark], loaded) == [{"channel": "douyin", "posts": 7}, {"channel": "weibo_hot", "posts": 0}]


def test_the_previous_drill_of_the_scenario_is_compared(tmp_path: Path) -> None:
    store = Store(tmp_path / "home.db")
    try:
        old = {"drill_id": "d1", "scenario": "leak", "levels": [{"level": "blue", "latency_minutes": 40.0}],
               "acknowledgements": {"on_time": 0, "missed": 2}, "escalations": 3}
        history.save(store, old, finished_at="2026-01-01T00:00:00Z")
        other = {**old, "drill_id": "d2", "scenario": "rumour"}
        history.save(store, other, finished_at="2026-02-01T00:00:00Z")
        prev = history.previous(store, "leak", "d3")
        assert prev == old and history.previous(store, "leak", "d1") is None
        now = {"levels": [{"level": "blue", "latency_minutes": 25.5}, {"level": "yellow", "latency_minutes": 9.0}],
               "acknowledgements": {"on_time": 1, "missed": 1}, "escalations": 1}
        assert compare(now, prev) == {
            "drill_id": "d1",
            "latency": [{"level": "blue", "previous_minutes": 40.0, "minutes": 25.5, "change_minutes": -14.5},
                        {"level": "yellow", "previous_minutes": None, "minutes": 9.0, "change_minutes": None}],
            "acknowledged_on_time": {"previous": 0, "now": 1}, "missed": {"previous": 2, "now": 1},
            "escalations": {"previous": 3, "now": 1}}
        assert history.scorecard_for(store, "d2") == other and history.scorecard_for(store, "nope") is None
    finally:
        store.close()
