"""Levels become tasks: per level, idempotent, escalation adds, deadlines from the level's moment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from monitor.tasks.model import task_id
from tests.alerts.test_engine import PLAYBOOKS, minutes, sp

from .conftest import Checklist


def _blue(c: Checklist) -> None:
    c.post(*[sp(i, minutes(i)) for i in range(11)])  # 11 negative posts on one platform: blue at minute 10


def test_blue_opens_with_its_role_tasks_and_follow_ups(c: Checklist) -> None:
    _blue(c)
    assert c.seq() == [("opened", "blue", "acme")]
    inc = c.alerts[0].incident_id
    views = c.book.tasks(minutes(10), inc)
    pb = PLAYBOOKS.get("blue")
    roles = [(v.task.kind, v.task.role, v.task.text, v.task.due_at) for v in views if v.task.kind == "role"]
    assert roles == [("role", t.role, t.task, minutes(10) + t.deadline)  # in deadline order
                     for t in sorted(pb.tasks, key=lambda t: t.deadline)]
    follow = [(v.task.text, v.task.due_at) for v in views if v.task.kind == "follow_up"]
    assert follow == [(f.action, minutes(10) + f.after) for f in sorted(pb.follow_up, key=lambda f: f.after)]
    assert [v.task.kind for v in views].count("media") == len(pb.media_list) == 0
    by_role = {v.task.role: v.owners for v in views}
    assert by_role["Customer service"] == ("carol", "alice") and by_role["PR"] == ("alice",)
    assert all(not v.task.done and not v.overdue and v.outcome == "open" for v in views)
    assert views[0].task.id == task_id(inc, "blue", "role", 0)


def test_more_alerts_at_the_same_level_add_nothing(c: Checklist) -> None:
    _blue(c)
    inc = c.alerts[0].incident_id
    before = [v.task for v in c.book.tasks(minutes(10), inc)]
    c.book.mark_done(before[0].id, "carol", minutes(20))
    c.post(*[sp(100 + i, minutes(20 + i)) for i in range(5)])
    c.advance(minutes(75))  # the playbook's 1 h acknowledgement deadline passes: an "overdue" alert
    assert [t for t, _, _ in c.seq()] == ["opened", "overdue"]
    after = [v.task for v in c.book.tasks(minutes(75), inc)]
    assert [t.id for t in after] == [t.id for t in before]
    assert after[0].done_by == "carol"  # its state survived the repeated alert


def test_escalation_adds_the_higher_levels_tasks_counted_from_then(c: Checklist) -> None:
    _blue(c)
    inc = c.alerts[0].incident_id
    blue = len(c.book.tasks(minutes(10), inc))
    c.trend(minutes(30))  # trending: red
    assert [(t, lvl) for t, lvl, _ in c.seq()] == [("opened", "blue"), ("escalated", "red")]
    views = c.book.tasks(minutes(30), inc)
    red = [v.task for v in views if v.task.level == "red"]
    pb = PLAYBOOKS.get("red", c.alerts[-1].category)
    assert len(views) == blue + len(pb.tasks) + len(pb.media_list) + len(pb.follow_up)
    assert all(t.level_at == minutes(30) for t in red)
    assert sorted(t.due_at for t in red if t.kind == "role") == sorted(minutes(30) + t.deadline for t in pb.tasks)
    media = [t for t in red if t.kind == "media"]
    assert media[0].text.startswith(f"Brief {pb.media_list[0].outlet}") and media[0].role == "PR"
    assert all(t.due_at == minutes(30) + timedelta(hours=2) for t in media)
    assert {v.task.level for v in views} == {"blue", "red"}


def test_a_restarted_engine_does_not_duplicate(tmp_path: Path) -> None:
    c = Checklist(tmp_path)
    _blue(c)
    inc = c.alerts[0].incident_id
    n = len(c.book.tasks(minutes(10), inc))
    c.engine = c.new_engine()  # a restart on the same store
    c.post(*[sp(200 + i, minutes(12 + i)) for i in range(3)])
    c.advance(minutes(80))
    assert len(c.book.tasks(minutes(80), inc)) == n
    rows = c.store.query("SELECT COUNT(*) FROM incident_tasks")
    assert rows[0][0] == n
