"""Redis Streams for scale-out scoring: raw events in, scored posts out.

``<prefix>:raw``     collectors (every replica) append the events they fetched (dedup done);
                     scoring workers read it through the consumer group ``workers``.
``<prefix>:scored``  workers append matched, scored posts (and trend/quote events, which
                     skip NLP); the engine leader reads it through the group ``engine``.

Delivery is at-least-once: an entry is acknowledged only after what it produced is stored
(the scored entry, or the engine's batch); a worker that dies leaves its entries pending
and another claims them after ``claim_idle`` (XAUTOCLAIM). Both streams are trimmed by age
(``MINID`` at every append), so Redis memory is bounded by ``retention``. Entries carry
one JSON field, ``e``.
"""

from __future__ import annotations

import json
import time
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from monitor.bus.settings import BusConfig
from monitor.errors import MonitorError
from monitor.redact import redact_text

RAW, SCORED = "raw", "scored"
WORKERS, ENGINE = "workers", "engine"


class BusError(MonitorError):
    """Redis could not be reached or refused a command."""


class RedisBus:
    def __init__(self, config: BusConfig, *, client: Any = None) -> None:
        self.config = config
        self.redis = client or aioredis.from_url(config.url, decode_responses=True)
        self.where = redact_text(config.url)

    def key(self, stream: str) -> str:
        return f"{self.config.prefix}:{stream}"

    async def close(self) -> None:
        await self.redis.aclose()

    def _error(self, what: str, exc: Exception) -> BusError:
        return BusError(f"event bus {self.where}: {what}: {exc} (is Redis running and bus.url right? "
                        "nothing is acknowledged until it is stored, so the work is retried)")

    async def ensure_group(self, stream: str, group: str) -> None:
        try:
            await self.redis.xgroup_create(self.key(stream), group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise self._error(f"cannot create consumer group {group}", exc) from exc
        except RedisError as exc:
            raise self._error(f"cannot create consumer group {group}", exc) from exc

    def _minid(self) -> str:
        return f"{int((time.time() - self.config.retention.total_seconds()) * 1000)}-0"

    async def append(self, stream: str, items: list[dict[str, Any]]) -> list[str]:
        """Append JSON items in one round trip, trimming entries older than the retention."""
        if not items:
            return []
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for item in items:
                    pipe.xadd(self.key(stream), {"e": json.dumps(item, ensure_ascii=False)},
                              minid=self._minid(), approximate=False)
                return [str(i) for i in await pipe.execute()]
        except RedisError as exc:
            raise self._error(f"cannot append to {self.key(stream)}", exc) from exc

    async def read(self, stream: str, group: str, consumer: str, *, block_ms: int = 1000,
                   pending: bool = False, after: str = "0") -> list[tuple[str, dict[str, Any]]]:
        """New entries for ``consumer`` (or, with ``pending``, those after ``after`` it read and never
        acknowledged)."""
        try:
            got = await self.redis.xreadgroup(group, consumer, {self.key(stream): after if pending else ">"},
                                              count=self.config.batch, block=None if pending else block_ms)
        except RedisError as exc:
            raise self._error(f"cannot read {self.key(stream)}", exc) from exc
        return [(i, json.loads(f["e"])) for _s, entries in (got or []) for i, f in entries if f]

    async def reclaim(self, stream: str, group: str, consumer: str, min_idle_ms: int | None = None,
                      ) -> list[tuple[str, dict[str, Any]]]:
        """XAUTOCLAIM: take over entries another consumer read and left unacknowledged for a while."""
        idle = int(self.config.claim_idle.total_seconds() * 1000) if min_idle_ms is None else min_idle_ms
        out: list[tuple[str, dict[str, Any]]] = []
        start = "0-0"
        try:
            while True:
                res = await self.redis.xautoclaim(self.key(stream), group, consumer, idle, start,
                                                  count=self.config.batch)
                start, entries = res[0], res[1]
                out += [(i, json.loads(f["e"])) for i, f in entries if f]
                if start in ("0-0", b"0-0") or len(out) >= self.config.batch:
                    return out
        except RedisError as exc:
            raise self._error(f"cannot reclaim pending entries of {self.key(stream)}", exc) from exc

    async def ack(self, stream: str, group: str, ids: list[str]) -> None:
        if not ids:
            return
        try:
            await self.redis.xack(self.key(stream), group, *ids)
        except RedisError as exc:
            raise self._error(f"cannot acknowledge entries of {self.key(stream)}", exc) from exc

    async def lag(self) -> dict[str, int]:
        """Entries not yet acknowledged, per stream (for /metrics)."""
        out = {}
        for stream, group in ((RAW, WORKERS), (SCORED, ENGINE)):
            try:
                info = await self.redis.xpending(self.key(stream), group)
                out[stream] = int(info["pending"])
            except (RedisError, KeyError, TypeError):
                out[stream] = -1
        return out
