"""Fixtures for notifier tests: a recording HTTP receiver and notifiers built from config dicts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest

from monitor.alerts.notifiers.base import NOTIFIERS, Notifier, NotifierContext
from monitor.clock import VirtualClock

from ..conftest import T0
from .fakes import HookServer

SENT_AT = T0 + timedelta(seconds=30)


@pytest.fixture
async def hook() -> AsyncIterator[HookServer]:
    async with HookServer() as server:
        yield server


@pytest.fixture
async def make_notifier() -> AsyncIterator[Callable[..., Notifier]]:
    """``make_notifier("slack", url=...)`` -> a notifier on a virtual clock; closed afterwards.

    ``ctx_color`` is the context's colour switch (the terminal's own config has ``color`` too)."""
    made: list[Notifier] = []

    def make(kind: str, *, ctx_color: bool | None = None, instance: str = "", **config: Any) -> Notifier:
        cls = NOTIFIERS.get(kind)
        assert cls is not None, kind
        notifier = cls(cls.Config.model_validate({"kind": kind, **config}),
                       NotifierContext(clock=VirtualClock(SENT_AT), color=ctx_color, instance=instance,
                                       wall_clock=VirtualClock(SENT_AT)))
        made.append(notifier)
        return notifier

    yield make
    for n in made:
        await n.close()
