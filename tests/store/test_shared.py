"""One store suite, run on SQLite and PostgreSQL: both backends behave the same to their callers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitor.errors import LeaseLost, StoreError
from monitor.models import Incident

T = datetime(2026, 3, 1, 8, tzinfo=UTC)
Open = Callable[..., Any]


def test_seen_ids_and_cursors_survive_a_restart(open_store: Open) -> None:
    s = open_store()
    with s.transaction():
        s.mark_seen([("x:1", T), ("x:2", T)])
        s.set_cursor("x", {"since_id": "2", "etag": 'W/"a"', "at": T}, T)
    s.close()
    s = open_store()
    assert s.unseen(["x:1", "x:2", "x:3"]) == {"x:3"}
    assert s.unseen([]) == set()
    assert s.get_cursor("x") == {"since_id": "2", "etag": 'W/"a"', "at": T}
    assert s.get_cursor("y") is None


def test_a_failed_transaction_leaves_nothing_behind(open_store: Open) -> None:
    s = open_store()
    with pytest.raises(RuntimeError), s.transaction():
        s.mark_seen([("x:1", T)])
        with s.transaction():  # nested: joins the outer one
            s.set_cursor("x", 5, T)
        raise RuntimeError("crash mid-batch")
    assert s.unseen(["x:1"]) == {"x:1"} and s.get_cursor("x") is None


def test_notifications_are_idempotent_and_delivered_in_order_per_notifier(open_store: Open) -> None:
    s = open_store()
    for i in range(3):
        assert s.add_notification({"id": f"inc#{i}", "transition": "opened", "brand": "acme"}, T, ["slack", "mail"])
    assert not s.add_notification({"id": "inc#0", "transition": "opened"}, T, ["slack"])
    due = s.pending_deliveries(T)
    assert [(n, who) for n, who, _, _ in due] == [("inc#0", "mail"), ("inc#0", "slack")]
    s.mark_delivered("inc#0", "slack", T)
    s.mark_failed("inc#0", "mail", "timeout", T + timedelta(minutes=1))
    due = s.pending_deliveries(T)
    assert [(n, who) for n, who, _, _ in due] == [("inc#1", "slack")]  # mail is blocked behind its retry
    assert s.next_delivery_due() == datetime(1970, 1, 1, tzinfo=UTC)  # slack: due since it was queued
    assert [(n, who) for n, who, _, _ in s.pending_deliveries(T + timedelta(minutes=2))] == [
        ("inc#0", "mail"), ("inc#1", "slack")]
    s.mark_failed("inc#0", "mail", "550 no such user", None)
    assert [(n, who) for n, who, _, _ in s.pending_deliveries(T + timedelta(minutes=2))] == [
        ("inc#1", "mail"), ("inc#1", "slack")]
    assert s.delivery_counts()[("mail", "failed")] == 1
    assert sorted(s.deliveries_for("inc#0"), key=lambda d: d["notifier"]) == [
        {"notifier": "mail", "status": "failed", "attempts": 2, "last_error": "550 no such user"},
        {"notifier": "slack", "status": "sent", "attempts": 1, "last_error": None}]
    assert [n["id"] for n in s.notifications()] == ["inc#0", "inc#1", "inc#2"]
    assert [n["id"] for n in s.notifications(since_seq=s.notifications()[0]["seq"])] == ["inc#1", "inc#2"]
    assert s.notification("inc#2") == {"id": "inc#2", "transition": "opened", "brand": "acme"}


def test_prune_forgets_old_rows(open_store: Open) -> None:
    s = open_store()
    with s.transaction():
        s.mark_seen([("old", T - timedelta(days=40)), ("new", T)])
        s.add_signal("acme", "acme", T - timedelta(days=40), "post", "p:old", {"n": 1})
    assert s.prune(T - timedelta(days=30)) == 2
    assert s.unseen(["old", "new"]) == {"old"}
    assert s.signals_since(T - timedelta(days=60)) == []


def test_newer_schema_is_refused(open_store: Open) -> None:
    s = open_store()
    s.set_meta("schema_version", "99")
    s.close()
    with pytest.raises(StoreError, match="written by a newer Brand Monitor \\(schema 99\\); upgrade"):
        open_store()


def test_outbox_backlog_counts_pending_deliveries_and_the_oldest(open_store: Open) -> None:
    s = open_store()
    assert s.outbox_backlog() == (0, None)
    s.add_notification({"id": "a#1", "transition": "opened"}, T, ["slack", "mail"])
    s.add_notification({"id": "a#2", "transition": "updated"}, T + timedelta(minutes=5), ["slack"])
    assert s.outbox_backlog() == (3, T)
    s.mark_delivered("a#1", "slack", T)
    s.mark_failed("a#1", "mail", "550", None)
    assert s.outbox_backlog() == (1, T + timedelta(minutes=5))


def test_posts_relabels_and_signals(open_store: Open) -> None:
    s = open_store()
    s.save_post("reddit:1", T, "reddit", ["acme"], "negative", 0.9, "m1", {"text": "bad", "ts": T},
                [{"rule_id": "r1"}])
    s.save_relabel("reddit:1", "neutral", "ana", T, "sarcasm")
    post = s.get_post("reddit:1")
    assert post == {"key": "reddit:1", "ts": T, "source": "reddit", "brands": ["acme"], "label": "negative",
                    "score": 0.9, "model": "m1", "human_label": "neutral", "post": {"text": "bad", "ts": T},
                    "matches": [{"rule_id": "r1"}]}
    s.save_post("reddit:1", T, "reddit", ["acme"], "positive", 0.8, "m2", {"text": "ok"}, [])
    assert s.get_post("reddit:1")["human_label"] == "neutral"  # a re-save keeps the human's label
    assert s.relabel_for(["reddit:1", "x"]) == {"reddit:1": "neutral"} and s.relabel_for([]) == {}
    assert s.get_post("nope") is None
    s.add_signal("acme", "acme", T, "post", "a", {"n": 1})
    s.add_signal("acme", "acme", T, "post", "b", {"n": 2})
    s.add_signal("acme", "acme", T, "post", "a", {"n": 3})  # replaced: moves behind b
    assert [(r[4], r[5]) for r in s.signals_since(T)] == [("b", {"n": 2}), ("a", {"n": 3})]
    assert s.remove_signals("post", "a") == 1
    assert s.generation() == 0 and s.bump_generation() == 1 and s.generation() == 1


def _incident(i: str, status: str = "open", minutes: int = 0) -> Incident:
    at = T + timedelta(minutes=minutes)
    return Incident(id=i, brand="acme", category=None, level="blue", status=status,  # type: ignore[arg-type]
                    opened_at=at, level_since=at, last_signal_at=at)


def test_incidents(open_store: Open) -> None:
    s = open_store()
    s.save_incident("acme", _incident("acme-1"), evidence={"posts": ["p1"]})
    s.save_incident("acme/quality", _incident("acme-2", minutes=5))
    s.save_incident("acme", _incident("acme-1", status="resolved"))  # no evidence: the old one stays
    assert s.incident_evidence("acme-1") == {"posts": ["p1"]} and s.incident_evidence("acme-2") is None
    assert list(s.open_incidents()) == ["acme/quality"]
    scope, inc = s.get_incident("acme-1")
    assert scope == "acme" and inc.status == "resolved" and inc.opened_at == T
    assert [i.id for i in s.list_incidents()] == ["acme-2", "acme-1"]
    assert [i.id for i in s.list_incidents("resolved", limit=5)] == ["acme-1"]
    assert s.incident_id_taken("acme-2") and not s.incident_id_taken("acme-3") and s.get_incident("x") is None


def test_leases_are_exclusive_renewable_and_released(open_store: Open) -> None:
    s = open_store()
    assert s.acquire_lease("source:news", "r1", 30)
    assert not s.acquire_lease("source:news", "r2", 30)  # held by r1
    assert s.acquire_lease("source:news", "r1", 30)  # renewed
    assert s.acquire_lease("engine", "r2", 30)
    held = s.leases()
    assert {k: v[0] for k, v in held.items()} == {"source:news": "r1", "engine": "r2"}
    assert 25 < held["source:news"][1] <= 30
    assert list(s.leases("source:")) == ["source:news"]
    with s.transaction():
        s.check_lease("engine", "r2")
    with pytest.raises(LeaseLost, match="lease 'engine' is no longer held by r1"), s.transaction():
        s.check_lease("engine", "r1")
    s.release_lease("source:news", "r2")  # not r2's: nothing happens
    assert "source:news" in s.leases()
    s.release_lease("source:news", "r1")
    assert s.acquire_lease("source:news", "r2", 30)


def test_an_expired_lease_is_taken_over(open_store: Open) -> None:
    s = open_store()
    assert s.acquire_lease("engine", "r1", 0.05)
    import time

    time.sleep(0.1)
    assert s.leases() == {}
    assert s.acquire_lease("engine", "r2", 30)
    assert s.leases()["engine"][0] == "r2"
