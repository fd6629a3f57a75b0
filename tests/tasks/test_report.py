"""Task outcomes in report.json and report.html: on time, late, not done — judged in the run's own time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.config import load_config
from monitor.drill import run_drill
from monitor.models import format_ts
from monitor.report import render_html
from monitor.tasks.report import add_task_outcomes, outcomes_html
from tests.alerts.test_engine import minutes, sp
from tests.support import WordScorer, write_config

from .conftest import TEAM, Checklist

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _feed(path: Path) -> Path:
    lines = [{"type": "post", "ts": format_ts(START + timedelta(minutes=i)), "source": "reddit", "id": f"p{i}",
              "text": f"my Acme kettle is broken again ({i})", "kind": "social"} for i in range(12)]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return path


async def test_a_drill_reports_task_outcomes_in_drill_time(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, """\
        store: {path: state.db}
        playbooks: @PLAYBOOKS@
        tasks:
          people: {carol: {}}
          roles: {Customer service: [carol]}
        """)
    report = await run_drill(load_config(cfg), _feed(tmp_path / "feed.jsonl"), report_dir=tmp_path / "out",
                             scorer=WordScorer())
    [inc] = report["incidents"]
    assert {"id", "brand", "level", "status", "opened_at", "notifications", "suppressed", "false_alarm"} <= inc.keys()
    as_of = datetime.fromisoformat(report["tasks"]["as_of"].replace("Z", "+00:00"))
    assert START < as_of < START + timedelta(days=1)  # the drill's virtual clock, not the wall clock
    tasks = inc["tasks"]["tasks"]
    assert {t["kind"] for t in tasks} == {"role", "follow_up"} and not any(t["done"] for t in tasks)
    for t in tasks:
        due = datetime.fromisoformat(t["due_at"].replace("Z", "+00:00"))
        assert t["outcome"] == ("overdue" if due < as_of else "open"), t
    assert inc["tasks"]["overdue"] >= 1 and inc["tasks"]["open"] >= 3  # 1h overdue; the 3d/21d/7w follow-ups not
    assert report["tasks"]["not_done"] == report["tasks"]["total"] == len(tasks)
    assert next(t["owners"] for t in tasks if t["role"] == "Customer service") == ["carol"]
    on_disk = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert on_disk["tasks"] == report["tasks"]
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert f"<h2>Playbook tasks ({len(tasks)})</h2>" in page and "not done (overdue)" in page
    assert "Reply publicly to each negative post with the standard script" in page


def test_on_time_late_and_not_done_are_counted_and_escaped(tmp_path: Path) -> None:
    c = Checklist(tmp_path)
    c.post(*[sp(i, minutes(i)) for i in range(11)])  # blue at minute 10
    inc = c.alerts[0].incident_id
    tasks = {v.task.role + str(v.task.due_at): v.task for v in c.book.tasks(minutes(10), inc)}
    first, pr = (next(t for t in tasks.values() if t.role == r) for r in ("Customer service", "PR"))
    c.book.mark_done(first.id, "carol", first.due_at)  # exactly at the deadline: on time
    c.book.mark_done(pr.id, "alice", pr.due_at + timedelta(seconds=1))  # a second late
    report = {"incidents": [{"id": inc}, {"id": "no-tasks"}]}
    add_task_outcomes(report, c.store, TEAM, minutes(10) + timedelta(hours=5))
    counts = report["incidents"][0]["tasks"]
    assert (counts["on_time"], counts["late"], counts["overdue"], counts["open"]) == (1, 1, 1, 3)
    assert report["incidents"][1]["tasks"]["total"] == 0
    assert report["tasks"] == {"as_of": "2026-03-01T13:10:00Z", "total": 6, "on_time": 1, "late": 1, "overdue": 1,
                               "open": 3, "not_done": 4}
    report["incidents"][0]["tasks"]["tasks"][0]["text"] = "<script>alert(1)</script>"
    page = outcomes_html(report)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "1 on time, 1 late, 4 not done (1 overdue)" in page
    assert outcomes_html({"incidents": [], "tasks": {"total": 0}}) == ""
    full = render_html({**report, "notifications": [], "run": {}, "thresholds": [], "feed": "f",
                        "summary": {"incidents": 2, "notifications": 0},
                        "incidents": [{**i, "brand": "acme", "category": None, "level": "blue", "status": "open",
                                       "opened_at": "", "resolved_at": None, "duration_minutes": 1}
                                      for i in report["incidents"]]})
    assert "Playbook tasks (6)" in full
