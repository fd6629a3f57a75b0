"""Replicas drain one outbox: each delivery is claimed by one replica, channels stay in order."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from monitor.store.postgres import PostgresStore
from tests.servers import pg_schema

T = datetime(2026, 3, 1, 8, tzinfo=UTC)


@pytest.fixture
def dsn() -> Iterator[str]:
    with pg_schema() as d:
        yield d


def test_a_claimed_delivery_is_not_handed_to_another_replica(dsn: str) -> None:
    a = PostgresStore(dsn, holder="a", claim_ttl=0.3)
    b = PostgresStore(dsn, holder="b")
    try:
        for i in range(2):
            a.add_notification({"id": f"n{i}", "transition": "opened"}, T, ["slack", "mail"])
        assert [(n, w) for n, w, _, _ in a.pending_deliveries(T)] == [("n0", "mail"), ("n0", "slack")]
        assert b.pending_deliveries(T) == []  # claimed by a; and nothing behind a head is handed out
        assert b.next_delivery_due() is None  # b has nothing to wait for: a drains it
        a.mark_delivered("n0", "slack", T)
        assert [(n, w) for n, w, _, _ in b.pending_deliveries(T)] == [("n1", "slack")]
        assert a.pending_deliveries(T) == [("n0", "mail", 0, 1)]  # a still holds its own claim
        time.sleep(0.4)  # a "died" holding n0/mail: its claim expires and b takes it over
        assert [(n, w) for n, w, _, _ in b.pending_deliveries(T)] == [("n0", "mail"), ("n1", "slack")]
        assert a.pending_deliveries(T) == []
    finally:
        a.close()
        b.close()


def test_four_replicas_deliver_everything_once_and_in_order(dsn: str) -> None:
    stores = [PostgresStore(dsn, holder=f"r{i}") for i in range(4)]
    n = 40
    for i in range(n):
        stores[0].add_notification({"id": f"n{i:03d}", "transition": "opened"}, T, ["slack", "mail", "hook"])
    sent: list[tuple[str, str, str]] = []
    lock = threading.Lock()

    def drain(store: PostgresStore) -> None:
        idle = 0
        while idle < 20:
            due = store.pending_deliveries(T)
            if not due:
                idle += 1
                time.sleep(0.005)
                continue
            idle = 0
            for nid, who, _attempts, _seq in due:
                with lock:
                    sent.append((who, nid, store.holder))
                store.mark_delivered(nid, who, T)

    threads = [threading.Thread(target=drain, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    try:
        pairs = [(who, nid) for who, nid, _ in sent]
        assert len(pairs) == len(set(pairs)) == 3 * n  # everything, once
        for who in ("slack", "mail", "hook"):
            assert [nid for w, nid in pairs if w == who] == [f"n{i:03d}" for i in range(n)]  # in order
        assert len({holder for _, _, holder in sent}) > 1  # the work was shared
        assert stores[0].outbox_backlog() == (0, None)
    finally:
        for s in stores:
            s.close()
