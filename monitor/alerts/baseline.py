"""What is normal for a brand: an hourly count history per brand, platform and metric, and a
negative-binomial tail test of a window's count against the robust seasonal expectation.

Why this model (the README's detection section says it for users):

- Counts of posts are counts: a Poisson rate fits a quiet hour, but real complaint streams are
  over-dispersed (news cycles, time zones), so the test uses a negative binomial (a Poisson
  whose rate is itself gamma-distributed) with dispersion ``r``: variance = mu + mu^2 / r.
- The expectation must be robust to the bursts it has to detect, so it is a *median*, never a
  mean: of the same hour of week (+-1 hour) over the last weeks once two weeks exist, else of
  the same hour of day (+-1 hour) over the last days once a day exists, else of the recent
  hours. A one-hour burst is one value among many and does not move the median, so a brand
  that complains steadily all day stops being surprising within hours (warm-up), while daily
  and then weekly seasonality sharpen as history accumulates.
- State is a ring of the last four weeks of hourly counts (672 unsigned ints, 2.7 KB) per
  series, persisted in the store in the same transaction as the batch that changed it, so a
  restart (or a replay stopped and resumed) judges with exactly the same numbers.

The test itself is cached per series and hour: the smallest count that is improbable at the
configured ``p_value`` for each window length, so judging a window is an integer comparison.
"""

from __future__ import annotations

import base64
import functools
import math
import zlib
from array import array
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any

HOURS = 4 * 168  # four weeks of hourly counts
MAX_COUNT = 100_000  # a tail search never runs past this count


def hour_of(ts: datetime) -> int:
    """Hours since the epoch (the series' clock)."""
    return int(ts.timestamp() // 3600)


def nb_sf(x: int, mu: float, r: float) -> float:
    """P(X >= x) for a negative binomial with mean ``mu`` and dispersion ``r`` (Poisson as r -> inf)."""
    if x <= 0:
        return 1.0
    if mu <= 0:
        return 0.0
    p = r / (r + mu)
    pmf = math.exp(r * math.log(p))
    cdf = pmf
    for k in range(x - 1):
        pmf *= (k + r) / (k + 1) * (1 - p)
        cdf += pmf
    return max(0.0, 1.0 - cdf)


@functools.lru_cache(maxsize=4096)  # a burst check asks again and again for the same few expectations
def nb_threshold(mu: float, r: float, p_value: float) -> int:
    """The smallest count x with P(X >= x) < p_value: a window at or above it is surprising."""
    if mu <= 0:
        return 1
    p = r / (r + mu)
    pmf = math.exp(r * math.log(p))
    cdf, k = pmf, 0
    while 1.0 - cdf >= p_value and k < MAX_COUNT:
        pmf *= (k + r) / (k + 1) * (1 - p)
        cdf += pmf
        k += 1
    return k + 1


@dataclass(slots=True)
class Series:
    """One brand/platform/metric's hourly counts for the last four weeks (a ring)."""

    first: int  # the hour this series started learning
    last: int  # the newest hour held
    counts: array = field(default_factory=lambda: array("I", bytes(4 * HOURS)))  # type: ignore[type-arg]
    _cache: dict[tuple[int, int], Any] = field(default_factory=dict)
    version: int = 0  # bumped whenever what the past hours say changes (callers cache verdicts by it)

    def roll(self, hour: int) -> None:
        """Move the ring forward to ``hour``, zeroing the hours nobody posted in."""
        if hour <= self.last:
            return
        for h in range(self.last + 1, min(hour, self.last + HOURS) + 1):
            self.counts[h % HOURS] = 0
        self.last = hour
        self._cache.clear()
        self.version += 1

    def add(self, hour: int, n: int = 1) -> None:
        self.roll(hour)
        if hour < self.first:  # a late signal from before this series began
            return
        if hour > self.last - HOURS:
            self.counts[hour % HOURS] = min(self.counts[hour % HOURS] + n, 0xFFFFFFFF)
            if hour < self.last:
                self._cache.clear()
                self.version += 1

    def take_back(self, hour: int, n: int = 1) -> None:
        """Undo :meth:`add` for an hour still held (a relabel: the post was not what was learnt); never below 0."""
        if hour < self.first or hour > self.last or hour <= self.last - HOURS:
            return
        self.counts[hour % HOURS] = max(0, self.counts[hour % HOURS] - n)
        if hour < self.last:
            self._cache.clear()
            self.version += 1

    def _values(self, hours: range) -> list[int]:
        return [self.counts[h % HOURS] for h in hours if self.first <= h and self.last - HOURS < h < self.last + 1]

    def history_hours(self, hour: int) -> int:
        """Complete hours learnt before ``hour``."""
        return max(0, min(hour, self.last + 1) - self.first)

    def expected(self, hour: int) -> tuple[float, str]:
        """The robust expectation for one hour starting at ``hour`` and how it was found (cached per hour)."""
        hit = self._cache.get((hour, -1))
        if hit is None:
            hit = self._cache[(hour, -1)] = self._expected(hour)  # type: ignore[assignment]
        return hit  # type: ignore[return-value]

    def _expected(self, hour: int) -> tuple[float, str]:
        done = self.history_hours(hour)
        # the same hour (+-1 while history is short: smoother; the exact hour once three values exist: sharper)
        if done >= 2 * 168:
            span = 0 if done >= 3 * 168 else 1
            vals = [v for w in range(1, 5)
                    for v in self._values(range(hour - 168 * w - span, hour - 168 * w + 1 + span))]
            return float(median(vals)), "hour of week"
        if done >= 24:
            span = 0 if done >= 3 * 24 else 1
            vals = [v for d in range(1, 8)
                    for v in self._values(range(hour - 24 * d - span, hour - 24 * d + 1 + span))]
            return float(median(vals)), "hour of day"
        vals = self._values(range(hour - min(done, 24), hour))
        return (float(median(vals)) if vals else 0.0), "recent hours"

    def threshold(self, hour: int, minutes: int, r: float, p_value: float) -> int:
        """Cached: the count that is surprising in a ``minutes`` window at ``hour``."""
        key = (hour, minutes)
        hit = self._cache.get(key)
        if hit is None:
            mu = self.expected(hour)[0] * minutes / 60
            # a silent history still allows for the odd post: never test against exactly zero
            hit = self._cache[key] = nb_threshold(max(mu, 0.05 * minutes / 60), r, p_value)
        return hit

    def plan(self, hour: int, windows: tuple[int, ...], r: float, p_value: float,
             warmup_hours: float) -> tuple[int, ...] | None:
        """Cached per hour: the surprising count for each window length (minutes); None while warming up."""
        key = (hour, -2 - hash((windows, r, p_value, warmup_hours)) % 1_000_003)
        hit = self._cache.get(key, False)
        if hit is False:
            self.roll(hour)
            warm = self.history_hours(hour) >= warmup_hours
            hit = self._cache[key] = tuple(self.threshold(hour, m, r, p_value) for m in windows) if warm else None
        return hit  # type: ignore[no-any-return]

    def to_text(self) -> str:
        raw = self.counts.tobytes()
        return f"{self.first}:{self.last}:{base64.b64encode(zlib.compress(raw, 6)).decode()}"

    @classmethod
    def from_text(cls, text: str) -> Series:
        first, last, blob = text.split(":", 2)
        s = cls(int(first), int(last))
        s.counts = array(s.counts.typecode)
        s.counts.frombytes(zlib.decompress(base64.b64decode(blob)))
        return s


@dataclass
class Judgement:
    """One window judged against the baseline, for the alert's explanation."""

    observed: int
    expected: float
    threshold: int
    window_minutes: int
    surprising: bool
    basis: str
    history_hours: int
    r: float

    @property
    def tail_p(self) -> float:
        return nb_sf(self.observed, self.expected, self.r)

    def as_data(self) -> dict[str, Any]:
        ratio = self.observed / self.expected if self.expected > 0 else None
        return {"observed": self.observed, "expected": round(self.expected, 2),
                "ratio": round(ratio, 1) if ratio is not None else None, "tail_p": float(f"{self.tail_p:.3g}"),
                "surprising_at": self.threshold, "window_minutes": self.window_minutes, "basis": self.basis,
                "history_hours": self.history_hours}


class Baselines:
    """Every series the engine learns, keyed ``brand|platform|metric``; dirty ones are saved per batch."""

    def __init__(self) -> None:
        self.series: dict[str, Series] = {}
        self.dirty: set[str] = set()
        self._first: dict[str, int] = {}  # brand -> the hour it was first seen

    def put(self, key: str, s: Series) -> None:
        """A series read back from the store."""
        self.series[key] = s
        brand = key.split("|", 1)[0]
        self._first[brand] = min(self._first.get(brand, s.first), s.first)

    def add(self, key: str, ts: datetime, n: int = 1) -> None:
        self.add_hour(key, hour_of(ts), n)

    def add_hour(self, key: str, hour: int, n: int = 1) -> None:
        """:meth:`add` for a caller that already knows the hour (one post feeds several series)."""
        s = self.series.get(key)
        if s is None:
            # a platform or metric seen for the first time learns from the brand's first hour: the hours
            # before its first post were zeros, not unknown (else a burst would be its own baseline)
            brand = key.split("|", 1)[0]
            first = self._first.setdefault(brand, hour)
            s = self.series[key] = Series(first=min(first, hour), last=max(first, hour))
        s.add(hour, n)
        self.dirty.add(key)

    def take_back(self, key: str, hour: int, n: int = 1) -> None:
        s = self.series.get(key)
        if s is not None:
            s.take_back(hour, n)
            self.dirty.add(key)

    def get(self, key: str) -> Series | None:
        return self.series.get(key)

    def test(self, key: str, now: datetime, observed: int, window: timedelta, *, r: float, p_value: float,
             warmup: timedelta) -> Judgement | None:
        """None while the series has less than ``warmup`` of history (then only the floors judge)."""
        s = self.series.get(key)
        hour = hour_of(now)
        if s is None:
            return None
        s.roll(hour)
        done = s.history_hours(hour)
        if done * 3600 < warmup.total_seconds():
            return None
        minutes = max(1, int(window.total_seconds() // 60))
        thr = s.threshold(hour, minutes, r, p_value)
        mu, basis = s.expected(hour)
        return Judgement(observed, mu * minutes / 60, thr, minutes, observed >= thr, basis, done, r)

    def size_bytes(self, prefix: str) -> int:
        """In-memory bytes of one brand's series (the per-brand budget is 100 KB)."""
        return sum(s.counts.buffer_info()[1] * s.counts.itemsize + 64 for k, s in self.series.items()
                   if k.startswith(prefix + "|"))
