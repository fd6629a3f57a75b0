"""The shared store suite runs every test on SQLite and on PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.store import open_url
from tests.servers import backend_url as url_for


@pytest.fixture(params=["sqlite", "postgres"])
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with url_for(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def open_store(backend_url: str) -> Iterator[Callable[..., Any]]:
    """Open (or reopen) the test's store; every store opened is closed at the end."""
    opened: list[Any] = []

    def make(**kw: Any) -> Any:
        s = open_url(backend_url, **kw)
        opened.append(s)
        return s

    yield make
    for s in opened:
        with contextlib.suppress(Exception):
            s.close()
