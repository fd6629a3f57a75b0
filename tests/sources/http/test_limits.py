"""RateLimiter, RetryPolicy and the rate-limit header parsers, on a fake clock."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from monitor.errors import SourceError
from monitor.sources.http import RateLimiter, RetryPolicy, parse_rate_reset, parse_retry_after
from tests.sources.conftest import FakeClock

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


async def test_min_interval_between_requests() -> None:
    clock = FakeClock(NOW)
    limiter = RateLimiter(per_minute=10, burst=1, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        await limiter.acquire()
    assert clock.sleeps == [6.0, 6.0]


async def test_burst_then_refill() -> None:
    clock = FakeClock(NOW)
    limiter = RateLimiter(per_minute=60, burst=3, clock=clock, sleep=clock.sleep)
    for _ in range(4):
        await limiter.acquire()
    assert clock.sleeps == [1.0]
    clock.t = clock.t.replace(minute=5)  # long idle: the bucket is full again, but never above burst
    for _ in range(3):
        await limiter.acquire()
    assert clock.sleeps == [1.0]


async def test_a_clock_that_does_not_move_cannot_make_it_spin() -> None:
    clock = FakeClock(NOW, moves=False)
    limiter = RateLimiter(per_minute=60, burst=1, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        await limiter.acquire()
    assert clock.sleeps == [1.0, 2.0]  # slots are reserved before sleeping


async def test_server_block_and_max_wait() -> None:
    clock = FakeClock(NOW)
    limiter = RateLimiter(per_minute=600, burst=1, clock=clock, sleep=clock.sleep)
    limiter.block_for(90)
    with pytest.raises(SourceError) as info:
        await limiter.acquire(max_wait=60)
    assert info.value.retry_after == 90 and info.value.retryable
    assert clock.sleeps == []  # nothing reserved by the refusal
    assert await limiter.acquire(max_wait=120) == 90


def test_slow_to_only_lowers() -> None:
    limiter = RateLimiter(per_minute=100, clock=FakeClock(NOW))
    limiter.slow_to(10)
    limiter.slow_to(50)
    assert limiter.per_minute == 10 and limiter.interval == 6


def test_bad_rate_is_rejected() -> None:
    with pytest.raises(ValueError, match="per_minute must be positive"):
        RateLimiter(per_minute=0, clock=FakeClock(NOW))


def test_retry_delays_double_with_bounded_jitter() -> None:
    policy = RetryPolicy(backoff=1.0, backoff_max=5.0, jitter=0.5)
    rng = random.Random(1)
    delays = [policy.delay(i, rng) for i in range(5)]
    for i, d in enumerate(delays):
        full = min(5.0, 2.0**i)
        assert full * 0.5 <= d <= full
    assert len(set(delays)) == 5  # jittered, not lockstep


@pytest.mark.parametrize(
    ("value", "expected"),
    [("120", 120.0), ("0", 0.0), ("Sun, 01 Mar 2026 08:01:00 GMT", 60.0), ("Sun, 01 Mar 2026 07:00:00 GMT", 0.0),
     ("soon", None), ("", None), (None, None)],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("42", 42.0),  # Reddit: seconds until reset
     (str(int(NOW.timestamp()) + 300), 300.0),  # GitHub / X: Unix time
     ("2026-03-01T08:05:00.000Z", 300.0),  # Mastodon: ISO time
     ("garbage", None)],
)
def test_parse_rate_reset(value: str, expected: float | None) -> None:
    assert parse_rate_reset(value, NOW) == expected
