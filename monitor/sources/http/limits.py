"""Rate limits and retry policy: how politely and how hard a collector asks.

Why separate from the client: the limiter is shared by every source of one channel on
the daemon's session, and the header parsers serve collectors that read rate-limit
headers themselves (Reddit, Stack Exchange ``backoff``).
"""

from __future__ import annotations

import asyncio
import random
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from monitor.errors import SourceError
from monitor.httpclient import clamp_wait, parse_retry_after
from monitor.sources.text import parse_time

if TYPE_CHECKING:
    from monitor.clock import Clock

__all__ = ["RateLimiter", "RetryPolicy", "Sleep", "parse_rate_reset", "parse_retry_after", "shared_limiter"]

Sleep = Callable[[float], Awaitable[None]]


def parse_rate_reset(value: str | None, now: datetime) -> float | None:
    """An ``X-RateLimit-Reset`` value -> seconds until the window resets (capped like ``Retry-After``).

    Channels disagree on the unit: Reddit sends seconds until reset, GitHub and X send a
    Unix time, Mastodon an ISO 8601 time. Numbers above 10^9 are read as Unix times.
    ``Retry-After`` itself is :func:`monitor.httpclient.parse_retry_after`, shared with notifiers.
    """
    text = value.strip() if value is not None else ""
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        when = parse_time(text)
        return None if when is None else clamp_wait((when - now).total_seconds())
    if number > 1e9:
        number -= now.timestamp()
    return clamp_wait(number)


# --------------------------------------------------------------------------- rate limiting


class RateLimiter:
    """Token bucket for one channel: ``per_minute`` requests on average, ``burst`` at once.

    Timing decisions use the passed-in clock; waiting uses ``sleep`` (``asyncio.sleep``).
    A slot is reserved before sleeping and the clock is never re-read afterwards, so a
    clock that does not move while we sleep cannot spin us. ``block_for`` records a wait
    the server asked for (Retry-After, an exhausted X-RateLimit window).
    """

    def __init__(self, per_minute: float, burst: int = 1, *, clock: Clock, sleep: Sleep = asyncio.sleep) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.per_minute = per_minute
        self.burst = max(1, burst)
        self.clock = clock
        self._sleep = sleep
        self._tokens = float(self.burst)
        self._stamp: float | None = None  # clock seconds the token count refers to
        self._blocked_until = 0.0

    @property
    def interval(self) -> float:
        return 60.0 / self.per_minute

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def delay(self) -> float:
        """Seconds the next request would wait now (nothing reserved)."""
        return self._plan(self._now())[0]

    def _plan(self, now: float) -> tuple[float, float, float]:
        stamp = now if self._stamp is None else self._stamp
        base = max(now, stamp)
        tokens = min(self.burst, self._tokens + (base - stamp) / self.interval)
        start = base + max(0.0, 1.0 - tokens) * self.interval
        start = max(start, self._blocked_until)
        tokens = min(self.burst, tokens + (start - base) / self.interval) - 1.0
        return start - now, start, tokens

    async def acquire(self, max_wait: float | None = None) -> float:
        """Take one slot, sleeping until it is due; returns the seconds waited.

        Raises :class:`SourceError` (retryable, with ``retry_after``) instead of waiting
        longer than ``max_wait``: a poll should fail fast and be tried later rather than
        sit for ten minutes holding the scheduler.
        """
        now = self._now()
        wait, start, tokens = self._plan(now)
        if max_wait is not None and wait > max_wait:
            raise SourceError(
                f"rate limit: next request allowed in {wait:.0f}s (more than max_wait {max_wait:.0f}s)",
                retryable=True,
                retry_after=wait,
            )
        self._tokens, self._stamp = tokens, start
        if wait > 1e-3:  # sub-millisecond waits are noise, not politeness
            await self._sleep(wait)
        return max(0.0, wait)

    def block_for(self, seconds: float) -> None:
        """The server asked us to wait: no request on this channel before now + seconds."""
        self._blocked_until = max(self._blocked_until, self._now() + max(0.0, seconds))

    def slow_to(self, per_minute: float) -> None:
        """Lower the rate (never raise it): the strictest source of a channel wins."""
        if 0 < per_minute < self.per_minute:
            self.per_minute = per_minute


# One set of limiters per shared session: every source of a channel in one daemon shares
# the channel's budget, while independent sessions (tests, tools) stay independent.
_LIMITERS: weakref.WeakKeyDictionary[Any, dict[str, RateLimiter]] = weakref.WeakKeyDictionary()


def shared_limiter(
    owner: Any, channel: str, per_minute: float, burst: int, clock: Clock, sleep: Sleep = asyncio.sleep
) -> RateLimiter:
    """The limiter for ``channel`` among everything using ``owner`` (the shared session)."""
    table = _LIMITERS.setdefault(owner, {})
    limiter = table.get(channel)
    if limiter is None:
        limiter = table[channel] = RateLimiter(per_minute, burst, clock=clock, sleep=sleep)
    else:
        limiter.slow_to(per_minute)
    return limiter


# --------------------------------------------------------------------------- retry policy


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try: ``max_retries`` after the first attempt, delays doubling from ``backoff``.

    ``jitter`` is the random share of each delay (0.5: between half and the full delay), so
    many sources failing together do not retry in lockstep. ``max_wait`` bounds any single
    wait (Retry-After, rate limit); beyond it the poll fails with ``retry_after`` set.
    """

    max_retries: int = 3
    backoff: float = 1.0
    backoff_max: float = 60.0
    jitter: float = 0.5
    max_wait: float = 60.0

    def delay(self, retry: int, rng: random.Random) -> float:
        """Delay before retry number ``retry`` (0-based)."""
        full = min(self.backoff_max, self.backoff * (2**retry))
        return full * (1.0 - self.jitter * rng.random())


