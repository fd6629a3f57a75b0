"""PostgreSQL faults: an unreachable server is a clear error; a dropped connection is replaced, nothing lost."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest

from monitor.errors import StoreError
from monitor.store.postgres import PostgresStore
from tests.servers import PG_BASE, pg_schema

T = datetime(2026, 3, 1, 8, tzinfo=UTC)


def test_an_unreachable_server_is_refused_at_open_with_the_fix() -> None:
    with pytest.raises(StoreError) as exc:
        PostgresStore("postgresql://monitor:s3cret@127.0.0.1:1/monitor", connect_timeout=1)
    text = str(exc.value)
    assert text.startswith("store postgres://monitor@127.0.0.1:1/monitor: cannot connect to PostgreSQL")
    assert "is the server running and does store.dsn point at it?" in text and "s3cret" not in text


def test_a_connection_killed_by_the_server_is_replaced() -> None:
    with pg_schema() as dsn:
        s = PostgresStore(dsn)
        try:
            s.set_cursor("news", {"n": 1}, T)
            pid = s._q("SELECT pg_backend_pid()")[0][0]
            with psycopg.connect(PG_BASE, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            try:  # the pool notices the dead connection when it is next handed out, or the call fails once
                s.set_cursor("news", {"n": 2}, T)
            except StoreError as exc:
                assert "PostgreSQL is unreachable or refused the connection" in str(exc)
                assert s.problem == str(exc) and s.faults.errors == 1
                s.set_cursor("news", {"n": 2}, T)
            assert s.get_cursor("news") == {"n": 2} and s.problem is None
        finally:
            s.close()


def test_a_failed_statement_inside_a_transaction_rolls_it_back(tmp_path: object) -> None:
    with pg_schema() as dsn:
        s = PostgresStore(dsn)
        try:
            with pytest.raises(StoreError, match=r'a write failed: .*relation "nope" does not exist'), \
                    s.transaction():
                s.mark_seen([("k", T)])
                s._x("INSERT INTO nope VALUES (1)")
            assert s.unseen(["k"]) == {"k"} and s.problem is not None
            s.mark_seen([("k", T)])
            assert s.problem is None
        finally:
            s.close()
