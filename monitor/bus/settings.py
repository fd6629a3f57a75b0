"""``bus:`` settings: Redis Streams between collectors, scoring workers and the engine."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from monitor.durations import Duration


class BusConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: Literal["redis"] = Field(default="redis", description="redis (Redis Streams; the only one)")
    url: str = Field(description="redis://host:6379/0 (${MONITOR_REDIS_URL})")
    prefix: str = Field(default="monitor", description="key prefix of the streams (one per deployment)")
    retention: Duration = Field(default=timedelta(hours=24), description="entries older than this are trimmed")
    claim_idle: Duration = Field(default=timedelta(seconds=30), description="a worker's unacknowledged entries "
                                 "idle this long are reclaimed by another worker (XAUTOCLAIM)")
    batch: int = Field(default=256, ge=1, le=10_000, description="entries read per call")
    reorder_delay: Duration = Field(default=timedelta(seconds=2), description="the engine holds scored posts this "
                                    "long (wall time) to put them in event-time order per brand")
