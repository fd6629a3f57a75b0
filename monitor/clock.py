"""Time, passed in.

Every stage asks a :class:`Clock` (or the event's own ``ts``) for the time, never
``datetime.now()`` directly: live mode uses :class:`SystemClock`, replay uses
:class:`VirtualClock`, which the replay source moves from event to event so a 48-hour
recording runs in seconds through exactly the same code.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


class SystemClock:
    """Wall-clock time for live mode."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class VirtualClock:
    """A clock that only moves when told to; optionally paced against real time.

    ``speed`` is virtual seconds per real second (``None`` = as fast as possible).
    ``advance_to`` never goes backwards, so late events cannot rewind time.
    """

    def __init__(self, start: datetime, speed: float | None = None) -> None:
        if start.tzinfo is None:
            raise ValueError("VirtualClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self.speed = speed
        self._real_anchor: float | None = None
        self._virtual_anchor = self._now

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (forward only) without pacing."""
        if when > self._now:
            self._now = when

    async def advance_to(self, when: datetime) -> None:
        """Move to ``when``; with a speed, first wait the matching share of real time."""
        if when <= self._now:
            return
        if self.speed:
            if self._real_anchor is None:
                self._real_anchor = time.monotonic()
                self._virtual_anchor = self._now
            target_real = self._real_anchor + (when - self._virtual_anchor).total_seconds() / self.speed
            delay = target_real - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        self._now = when

    async def sleep(self, seconds: float) -> None:
        await self.advance_to(self._now + timedelta(seconds=seconds))


class ScaledClock:
    """A drill's clock that runs on its own: drill time = ``start`` + ``speed`` x real time elapsed.

    Live drills use it so people can respond while the scenario unfolds: at speed 60, a drill
    minute is a real second. ``at_wall`` maps a real moment (a button clicked) to drill time.
    """

    def __init__(self, start: datetime, speed: float, wall: Clock | None = None) -> None:
        if start.tzinfo is None:
            raise ValueError("ScaledClock needs an aware datetime")
        if speed <= 0:
            raise ValueError("ScaledClock needs a positive speed")
        self.start = start.astimezone(UTC)
        self.speed = speed
        self.wall = wall or SystemClock()
        self.wall_start = self.wall.now()

    def at_wall(self, wall: datetime) -> datetime:
        return self.start + timedelta(seconds=(wall - self.wall_start).total_seconds() * self.speed)

    def now(self) -> datetime:
        return self.at_wall(self.wall.now())

    async def sleep(self, seconds: float) -> None:
        await self.wall.sleep(max(0.0, seconds) / self.speed)
