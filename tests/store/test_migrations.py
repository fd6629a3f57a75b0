"""Versioned migrations: an old database is brought up to date at open, with its rows intact."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from monitor.errors import StoreError
from monitor.store import open_url
from monitor.store.migrate import MIGRATIONS, latest, migrations, statements, to_apply
from tests.servers import pg_schema

T = datetime(2026, 3, 1, 8, tzinfo=UTC)
V1_ROWS = [
    "INSERT INTO meta(key, value) VALUES('schema_version', '1')",
    "INSERT INTO meta(key, value) VALUES('engine_now', '1772352000.0')",
    "INSERT INTO seen(key, ts) VALUES('news:1', 1772352000.0)",
    "INSERT INTO notifications(id, incident_id, ts, brand, level, transition, data) "
    "VALUES('acme-1#1', 'acme-1', 1772352000.0, 'acme', 'blue', 'opened', "
    "'{\"id\":\"acme-1#1\",\"transition\":\"opened\"}')",
    "INSERT INTO deliveries(notification_id, notifier, status, seq) VALUES('acme-1#1', 'slack', 'pending', 1)",
]


def _check_upgraded(store: object) -> None:
    s: object = store
    assert s.get_meta("schema_version") == str(latest(s.backend))  # type: ignore[attr-defined]
    assert s.get_meta("engine_now") == "1772352000.0"  # type: ignore[attr-defined]
    assert s.unseen(["news:1", "news:2"]) == {"news:2"}  # type: ignore[attr-defined]
    assert [(n, who) for n, who, _, _ in s.pending_deliveries(T)] == [("acme-1#1", "slack")]  # type: ignore
    assert s.acquire_lease("engine", "r1", 10)  # type: ignore[attr-defined]  # 0002's table
    assert s.migrate() == []  # type: ignore[attr-defined]  # nothing left to do


def test_a_version_1_sqlite_store_is_migrated_at_open(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(migrations("sqlite")[0].sql)  # what every store had before versioned migrations
    for sql in V1_ROWS:
        db.execute(sql)
    db.commit()
    db.close()
    s = open_url(f"sqlite:{path}")
    _check_upgraded(s)
    s.close()


def test_a_version_1_postgres_store_is_migrated_at_open() -> None:
    with pg_schema() as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            for stmt in statements(migrations("postgres")[0].sql) + V1_ROWS:
                conn.execute(stmt)  # type: ignore[arg-type]
        s = open_url(f"postgres:{dsn}")
        try:
            _check_upgraded(s)
        finally:
            s.close()


def test_both_backends_have_the_same_numbered_migrations_and_tables(tmp_path: Path) -> None:
    names = {b: [(m.version, m.name) for m in migrations(b)] for b in ("sqlite", "postgres")}
    assert names["sqlite"] == names["postgres"], "add each migration for both backends, same number and name"
    sqlite_store = open_url(f"sqlite:{tmp_path / 'm.db'}")
    with pg_schema() as dsn:
        pg = open_url(f"postgres:{dsn}")
        try:
            assert sqlite_store.tables() == pg.tables()
            for table in pg.tables():
                assert sqlite_store.dump_table(table)[0] == pg.dump_table(table)[0], table
        finally:
            pg.close()
    sqlite_store.close()


def test_misnumbered_migrations_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sqlite").mkdir()
    (tmp_path / "sqlite" / "0001_initial.sql").write_text("SELECT 1;")
    (tmp_path / "sqlite" / "0003_gap.sql").write_text("SELECT 1;")
    monkeypatch.setattr("monitor.store.migrate.MIGRATIONS", tmp_path)
    with pytest.raises(StoreError, match=r"are not numbered 1..2 without gaps"):
        migrations("sqlite")
    (tmp_path / "sqlite" / "0003_gap.sql").rename(tmp_path / "sqlite" / "2_bad.sql")
    with pytest.raises(StoreError, match=r"2_bad\.sql is misnamed: expected NNNN_name\.sql"):
        migrations("sqlite")
    assert MIGRATIONS.name == "migrations"


def test_to_apply_refuses_a_newer_database() -> None:
    assert [m.version for m in to_apply("sqlite", 1, "x")] == list(range(2, latest("sqlite") + 1))
    with pytest.raises(StoreError, match="store x was written by a newer Brand Monitor"):
        to_apply("sqlite", latest("sqlite") + 1, "x")
