"""Features that reached main while the PostgreSQL backend was built (baselines, the outbox's
'sending' state, the response tables of store_actions), checked on both backends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.store import load_baselines, save_baselines
from monitor.store_actions import ActionStore

T = datetime(2026, 3, 1, 8, tzinfo=UTC)
Open = Callable[..., Any]


def test_baselines_round_trip_by_brand_prefix(open_store: Open) -> None:
    s = open_store()
    with s.transaction():
        save_baselines(s, [("acme|x|neg", "1"), ("acme|*|all", "2"), ("beta|x|neg", "3")], T)
        save_baselines(s, [], T)
    save_baselines(s, [("acme|x|neg", "4")], None)  # an update
    assert load_baselines(s) == {"acme|*|all": "2", "acme|x|neg": "4", "beta|x|neg": "3"}
    assert list(load_baselines(s, "acme|")) == ["acme|*|all", "acme|x|neg"]


def _one_delivery(s: Any) -> None:
    assert s.add_notification({"id": "n1", "transition": "opened", "brand": "acme"}, T, ["slack"])
    assert s.add_notification({"id": "n2", "transition": "escalated", "brand": "acme"}, T, ["slack"])


def test_a_delivery_being_sent_holds_its_channel_and_counts_one_attempt(open_store: Open) -> None:
    s = open_store()
    _one_delivery(s)
    (head,) = s.pending_deliveries(T)
    assert head[:3] == ("n1", "slack", 0)
    assert s.begin_delivery("n1", "slack") and not s.begin_delivery("n1", "slack")
    assert s.pending_deliveries(T + timedelta(hours=1)) == []  # n2 waits behind the send in flight
    s.mark_failed("n1", "slack", "boom", T)
    assert s.deliveries_for("n1")[0]["attempts"] == 1 and s.deliveries_for("n1")[0]["status"] == "pending"
    assert [r[0] for r in s.pending_deliveries(T)] == ["n1"]
    assert s.begin_delivery("n1", "slack")
    s.mark_delivered("n1", "slack", T)
    assert s.deliveries_for("n1")[0] == {"notifier": "slack", "status": "sent", "attempts": 2, "last_error": None}
    assert [r[0] for r in s.pending_deliveries(T)] == ["n2"]


def test_reconcile_settles_sends_a_crash_left_behind(open_store: Open) -> None:
    s = open_store()
    _one_delivery(s)
    s.execute("UPDATE deliveries SET status='sending', attempts=? WHERE notification_id=?", (3, "n1"))
    s.execute("UPDATE deliveries SET status='sending', attempts=? WHERE notification_id=?", (1, "n2"))
    assert s.reconcile_sending(3) == (1, 1)
    assert s.deliveries_for("n1")[0]["status"] == "failed"
    assert "interrupted during sending" in s.deliveries_for("n1")[0]["last_error"]
    assert s.deliveries_for("n2")[0]["status"] == "pending"


def test_response_tables_work_through_the_query_hook(open_store: Open) -> None:
    s = open_store()
    actions = ActionStore(s)
    sil = actions.add_silence(brand="acme", starts_at=T, ends_at=T + timedelta(hours=1), created_by="ann",
                              reason="known outage", include_red=True)
    assert [x.id for x in actions.silences(T)] == [sil.id] and actions.silences(T)[0].include_red is True
    actions.audit(at=T, actor="ann", channel="cli", action="ack", incident_id="inc-1")
    assert [a["action"] for a in actions.audit_log("inc-1")] == ["ack"]
    token = actions.add_token("ann", "admin", T)
    assert actions.who(token) == ("ann", "admin")
    assert actions.revoke_tokens("ann", T) == 1 and actions.who(token) is None
    actions.save_thread("inc-1", "slack", "C1", "171.1")
    actions.save_thread("inc-1", "slack", "C1", "171.2")
    assert actions.thread("inc-1", "slack") == ("C1", "171.2")
    assert actions.incident_for_ref("slack", "171.2") == "inc-1"
    assert actions.use_nonce("abc", T) and not actions.use_nonce("abc", T)
    assert actions.prune_nonces(T + timedelta(days=1)) == 1
    actions.mark("inc-1", "not_a_crisis", "ann", T)
    assert [m["mark"] for m in actions.marks("inc-1")] == ["not_a_crisis"]


def test_postgres_a_replica_that_died_mid_send_is_settled_when_its_claim_runs_out() -> None:
    import time

    from monitor.store import open_url
    from tests.servers import pg_schema

    with pg_schema() as dsn:
        dead = open_url(f"postgres:{dsn}", holder="dead", claim_ttl=0.2)
        live = open_url(f"postgres:{dsn}", holder="live", claim_ttl=60)
        try:
            _one_delivery(dead)
            assert [r[0] for r in dead.pending_deliveries(T)] == ["n1"]
            assert dead.begin_delivery("n1", "slack")  # ... and the replica is killed here
            assert live.reconcile_sending(5) == (0, 0)  # its claim still runs: left alone
            assert live.pending_deliveries(T) == []  # n1 is in flight; n2 waits behind it
            time.sleep(0.4)
            assert [r[:3] for r in live.pending_deliveries(T)] == [("n1", "slack", 1)]  # retried, attempt kept
            assert live.deliveries_for("n1")[0]["status"] == "pending"
        finally:
            dead.close()
            live.close()


def test_the_instance_id_is_one_per_database(open_store: Open) -> None:
    from monitor.alerts.dispatch import instance_id

    a, b = open_store(), open_store()
    first = instance_id(a)
    assert instance_id(b) == first and len(first) == 12
