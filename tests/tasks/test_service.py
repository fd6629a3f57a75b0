"""TaskBook on both store backends: ticking, idempotent recording, statement edit/approve/clear, roles, audit."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.store_actions import ActionStore
from monitor.tasks import TaskBook, TaskError
from monitor.tasks.track import record
from tests.servers import backend_store

from .conftest import TEAM, seed

AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
INC = "acme-20260301-080000"


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    with backend_store(request.param, tmp_path) as s:
        yield s


def _audit(store: Any) -> list[tuple[str, str, Any]]:
    return [(e["actor"], e["action"], e["detail"].get("ok")) for e in ActionStore(store).audit_log(INC)]


def test_recording_is_idempotent_and_ticking_is_audited(store: Any, make_alert: Any) -> None:
    seed(store, make_alert, TEAM, level="red", at=AT)
    book = TaskBook(store, TEAM)
    views = book.tasks(AT, INC)
    assert len(views) == 14 and {v.task.level for v in views} == {"red"}
    again = make_alert("red", "updated", ts=AT + timedelta(minutes=20), incident_id=INC, id=f"{INC}#2")
    assert record(store, again, TEAM) == 0
    assert [v.task for v in book.tasks(AT, INC)] == [v.task for v in views]
    pr = next(v.task for v in views if v.task.role == "PR")
    assert pr.due_at == AT + timedelta(hours=1)
    assert not book.task(pr.id, pr.due_at).overdue  # exactly at the deadline: not yet
    assert book.task(pr.id, pr.due_at + timedelta(microseconds=1)).overdue
    done = book.mark_done(pr.id, "alice", AT + timedelta(minutes=30), channel="console")
    assert (done.task.done_by, done.outcome, done.overdue) == ("alice", "on_time", False)
    twice = book.mark_done(pr.id, "bob", AT + timedelta(hours=3))
    assert twice.task.done_by == "alice"  # ticking again keeps who did it first
    assert book.next_deadline(INC, AT) is not None and book.next_deadline(INC, AT).task.id != pr.id
    with pytest.raises(TaskError) as info:
        book.mark_done("t-missing", "alice", AT)
    assert info.value.reason == "not_found"
    assert _audit(store) == [("alice", "task_done", None), ("bob", "task_done", None)]
    entry = ActionStore(store).audit_log(INC)[0]
    assert entry["channel"] == "console" and entry["detail"] == {"late": False, "role": "PR", "task": pr.id}


def test_statement_versions_approval_and_clear_on_edit(store: Any, make_alert: Any) -> None:
    seed(store, make_alert, TEAM, level="yellow", at=AT)
    book = TaskBook(store, TEAM)
    st = book.statement(INC)
    assert (st.state, st.current.version, st.current.level) == ("draft", 1, "yellow")
    assert st.numbers["negative_posts"] == "15" and st.numbers["platforms"] == "weibo 9, reddit 4, twitter 2"
    with pytest.raises(TaskError) as info:
        book.approve_statement(INC, "alice", AT)  # PR is not an approver
    assert info.value.reason == "forbidden" and "approvers are the people of the role(s) Legal" in str(info.value)
    st = book.approve_statement(INC, "bob", AT + timedelta(minutes=5))  # Legal
    assert (st.state, st.current.approved_by, st.current.approved_at) == ("approved", "bob", AT + timedelta(minutes=5))
    assert book.edit_statement(INC, st.current.text, "alice", AT).approved  # the same text: approval stands
    st = book.edit_statement(INC, st.current.text + " 更新。", "alice", AT + timedelta(minutes=10))
    assert (st.state, st.approved, st.current.version, st.current.author) == ("edited", False, 2, "alice")
    assert st.versions[0].approved_by == "bob"
    with pytest.raises(TaskError) as info:
        book.approve_statement(INC, "bob", AT, version=1)
    assert info.value.reason == "conflict"
    st = book.approve_statement(INC, "ada", AT + timedelta(minutes=11), admin=True, version=2)
    assert st.approved and st.current.approved_by == "ada"
    for bad in ("", "   ", "x" * 20_001):
        with pytest.raises(TaskError) as info:
            book.edit_statement(INC, bad, "alice", AT)
        assert info.value.reason == "invalid"
    with pytest.raises(TaskError) as info:
        book.statement("nope")
    assert info.value.reason == "not_found"
    with pytest.raises(TaskError) as info:
        book.approve_statement("nope", "mallory", AT)  # unknown beats forbidden: no audit noise
    assert info.value.reason == "not_found"
    assert _audit(store) == [("alice", "statement_approve", False), ("bob", "statement_approve", True),
                             ("alice", "statement_edit", None), ("ada", "statement_approve", True)]


def test_escalation_replaces_only_an_untouched_draft(store: Any, make_alert: Any) -> None:
    seed(store, make_alert, TEAM, level="blue", at=AT)
    book = TaskBook(store, TEAM)
    assert book.statement(INC).current.text.startswith("Hi, we're sorry to hear")
    yellow = make_alert("yellow", "escalated", ts=AT + timedelta(hours=1), incident_id=INC, id=f"{INC}#2")
    record(store, yellow, TEAM)
    st = book.statement(INC)
    assert (st.state, st.current.level, st.current.version) == ("draft", "yellow", 2)
    assert st.current.text == yellow.playbook.statement
    book.edit_statement(INC, "Our own words.", "alice", AT + timedelta(hours=2))
    red = make_alert("red", "escalated", ts=AT + timedelta(hours=3), incident_id=INC, id=f"{INC}#3")
    record(store, red, TEAM)
    st = book.statement(INC)
    assert (st.current.text, st.current.author) == ("Our own words.", "alice")  # a person's text is kept
    levels = {v.task.level: v.task.level_at for v in book.tasks(AT, INC)}
    assert levels == {"blue": AT, "yellow": AT + timedelta(hours=1), "red": AT + timedelta(hours=3)}


def test_a_late_alert_counts_deadlines_from_when_the_level_was_reached(store: Any, make_alert: Any) -> None:
    seed(store, make_alert, TEAM, level="yellow", at=AT)
    store.execute("DELETE FROM incident_tasks")  # as after an upgrade mid-incident
    late = make_alert("yellow", "repeated", ts=AT + timedelta(hours=2), incident_id=INC, id=f"{INC}#5")
    assert record(store, late, TEAM) > 0
    assert {v.task.level_at for v in TaskBook(store, TEAM).tasks(AT, INC)} == {AT}
    resolved = dataclasses.replace(late, transition="resolved", id=f"{INC}#6")
    store.execute("DELETE FROM incident_tasks")
    assert record(store, resolved, TEAM) == 0  # the all-clear adds no tasks
