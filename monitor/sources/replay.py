"""Replay a recorded JSONL feed, at real time, any speed, or as fast as possible."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, field_validator

from monitor.clock import VirtualClock
from monitor.durations import Duration
from monitor.feed import BadLine, read_feed
from monitor.sources.base import Batch, Source, SourceConfig, register_source

log = logging.getLogger(__name__)


class ReplayConfig(SourceConfig):
    kind: str = "replay"
    path: Path = Field(description="the JSONL recording (the event format: one JSON object per line)")
    speed: float | None = Field(
        default=None, description="virtual seconds per real second; null = as fast as possible"
    )
    batch_size: int = Field(default=256, ge=1, description="events handed to the pipeline at once")
    expected_update_period: Duration | None = Field(
        default=timedelta(days=30), description="a recording's quiet hours are not a blind spot"
    )

    @field_validator("speed")
    @classmethod
    def _positive(cls, v: float | None) -> float | None:
        if v is not None and v <= 0:
            raise ValueError("speed must be positive (or null for as fast as possible)")
        return v


@register_source
class ReplaySource(Source[ReplayConfig]):
    """Replays a recorded feed (JSONL) on the clock; the demo and drills run on it.

    The cursor is the last line handed over, so a restarted drill continues where it
    stopped. When the runtime clock is a VirtualClock, each event moves it to the
    event's time (paced by ``speed``); broken lines are reported with their line number.
    """

    kind: ClassVar[str] = "replay"
    streaming: ClassVar[bool] = True

    async def stream(self, cursor: Any) -> AsyncIterator[Batch]:
        cfg = self.cfg
        clock = self.ctx.clock
        start = int(cursor or 0)
        batch = Batch(cursor=start)
        virtual = clock if isinstance(clock, VirtualClock) else None
        for lineno, item in read_feed(cfg.path, start_line=start):
            if isinstance(item, BadLine):
                log.warning("%s", item, extra={"source": self.name, "line": item.line})
                batch.skip(f"line {item.line}: {item.reason}")
                batch.cursor = lineno
                continue
            if virtual is not None:
                if not virtual.speed:
                    virtual.set(item.ts)  # what advance_to does unpaced, without a coroutine per event
                else:
                    if item.ts > virtual.now() and batch.events:
                        yield batch  # pacing will sleep: hand over what is due first
                        batch = Batch(cursor=batch.cursor)
                    await virtual.advance_to(item.ts)
            batch.events.append(item)
            batch.cursor = lineno
            if len(batch.events) >= cfg.batch_size:
                yield batch
                batch = Batch(cursor=lineno)
        batch.done = True
        yield batch
