"""The one HTTP policy that collectors (monitor.sources.http) and notifiers (monitor.alerts.notifiers) share.

Why one module: both layers talk to flaky third-party servers and must agree on what is
worth retrying and how long a server may ask us to wait. Here, once:

- :func:`new_session` / :class:`SessionSlot`: the daemon's one ``aiohttp`` session, or a
  lazily opened own session for a component used without one (tests, tools), closed by it;
- :data:`RETRYABLE_STATUS` / :func:`retryable_status`: 408, 425, 429 and 5xx;
- :func:`parse_retry_after`: ``Retry-After`` as delta-seconds or an HTTP date, measured
  from the *passed-in* clock's now, never negative, capped at :data:`MAX_RETRY_AFTER`;
- :data:`TRANSPORT_ERRORS`: the exceptions that mean "could not talk to the server".

The callers decide what a wait means for them: a collector waits within its ``max_wait``
or fails the poll with ``retry_after`` for the scheduler; the outbox reschedules a delivery.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Final

import aiohttp

__all__ = ["MAX_RETRY_AFTER", "RETRYABLE_STATUS", "TRANSPORT_ERRORS", "SessionSlot", "clamp_wait", "new_session",
           "parse_retry_after", "retry_after_header", "retryable_status"]

MAX_RETRY_AFTER: Final = 3600.0
"""Longest wait (seconds) a server's Retry-After or rate-limit reset is believed: one hour. A larger
value is a broken header or a ban, and alerts must not wait a day behind it."""

RETRYABLE_STATUS: Final = frozenset({408, 425, 429})
"""4xx answers worth retrying (timeout, too early, too many requests); every 5xx is retryable too."""

TRANSPORT_ERRORS: Final = (aiohttp.ClientError, OSError, asyncio.IncompleteReadError)
"""Could not talk to the server at all (timeouts are ``TimeoutError``, caught first for their own message)."""


def retryable_status(status: int) -> bool:
    """Is an HTTP answer with this status worth sending again later? (5xx, 408, 425, 429)"""
    return status in RETRYABLE_STATUS or 500 <= status <= 599


def clamp_wait(seconds: float | None, cap: float = MAX_RETRY_AFTER) -> float | None:
    """A server-requested wait made safe: None stays None, not finite is None, then 0 <= wait <= cap."""
    if seconds is None or not math.isfinite(seconds):
        return None
    return min(max(0.0, seconds), cap)


def parse_retry_after(value: str | None, now: datetime, cap: float = MAX_RETRY_AFTER) -> float | None:
    """``Retry-After`` -> seconds to wait from ``now`` (RFC 9110 10.2.3), or None when absent or unreadable.

    Delta-seconds (a decimal fraction is tolerated) or an HTTP date; a date in the past is 0,
    a negative or non-finite number is unreadable (None), anything above ``cap`` is ``cap``.
    ``now`` comes from the caller's clock, so tests and drills control it.
    """
    text = value.strip() if value is not None else ""
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        when = _http_date(text)
        return None if when is None else clamp_wait((when - now).total_seconds(), cap)
    if number < 0:
        return None
    return clamp_wait(number, cap)


def retry_after_header(headers: Mapping[str, str], now: datetime, cap: float = MAX_RETRY_AFTER) -> float | None:
    """:func:`parse_retry_after` of a header mapping (any capitalisation of the name)."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    return parse_retry_after(value, now, cap)


def _http_date(text: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def new_session(user_agent: str | None = None) -> aiohttp.ClientSession:
    """The daemon's shared session: one connection pool and the configured User-Agent."""
    return aiohttp.ClientSession(headers={"User-Agent": user_agent} if user_agent else None)


class SessionSlot:
    """The shared session when there is one; otherwise an own session opened on first use and closed by
    :meth:`close` (never the shared one: that is the runtime's)."""

    __slots__ = ("_own", "_shared", "_user_agent")

    def __init__(self, shared: aiohttp.ClientSession | None, user_agent: str | None = None) -> None:
        self._shared = shared
        self._user_agent = user_agent
        self._own: aiohttp.ClientSession | None = None

    def get(self) -> aiohttp.ClientSession:
        if self._shared is not None:
            return self._shared
        if self._own is None or self._own.closed:
            self._own = new_session(self._user_agent)
        return self._own

    @property
    def owns(self) -> bool:
        """True while an own session is open (for tests and leak checks)."""
        return self._own is not None and not self._own.closed

    async def close(self) -> None:
        if self._own is not None and not self._own.closed:
            await self._own.close()
        self._own = None
