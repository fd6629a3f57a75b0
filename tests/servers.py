"""Real PostgreSQL and Redis for tests: one schema / key prefix per test, removed afterwards.

A missing server fails the test with how to start it (never a silent skip).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

PG_BASE = os.environ.get("MONITOR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("MONITOR_TEST_REDIS", "redis://127.0.0.1:6379/0")

PG_HELP = ("PostgreSQL is not reachable at {dsn} ({err}). Start it (`.ci/run` does: apt-get install postgresql; "
           "pg_ctlcluster <ver> main start; createdb -U postgres test) or set MONITOR_TEST_PG to a DSN.")


def _pg_admin() -> object:
    import psycopg

    try:
        return psycopg.connect(PG_BASE, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        pytest.fail(PG_HELP.format(dsn=PG_BASE, err=str(exc).strip()), pytrace=False)


@contextmanager
def pg_schema() -> Iterator[str]:
    """A DSN whose search_path is a fresh schema; the schema is dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    admin.execute(f"CREATE SCHEMA {name}")  # type: ignore[attr-defined]
    sep = "&" if "?" in PG_BASE else "?"
    try:
        yield f"{PG_BASE}{sep}options=-csearch_path%3D{name}"
    finally:
        admin.execute(f"DROP SCHEMA {name} CASCADE")  # type: ignore[attr-defined]
        admin.close()  # type: ignore[attr-defined]


@contextmanager
def backend_url(backend: str, directory: object) -> Iterator[str]:
    """A store URL on ``backend`` ("sqlite": a file in ``directory``; "postgres": a fresh schema)."""
    if backend == "sqlite":
        yield f"sqlite:{directory}/m.db"
    else:
        with pg_schema() as dsn:
            yield f"postgres:{dsn}"


@contextmanager
def backend_store(backend: str, directory: object) -> Iterator[object]:
    """A store opened on ``backend`` (see :func:`backend_url`), closed afterwards."""
    from monitor.store import open_url

    with backend_url(backend, directory) as url:
        store = open_url(url)
        try:
            yield store
        finally:
            store.close()


REDIS_HELP = ("Redis is not reachable at {url} ({err}). Start it (`.ci/run` does: apt-get install redis-server; "
              "redis-server --daemonize yes) or set MONITOR_TEST_REDIS to a URL.")


@contextmanager
def redis_prefix() -> Iterator[str]:
    """A fresh key prefix on the test Redis; every key under it is deleted afterwards."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(REDIS_HELP.format(url=REDIS_URL, err=exc), pytrace=False)
    prefix = f"t{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()
