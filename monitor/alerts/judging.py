"""The adaptive tests of a window: is a platform's negative volume (blue) or the brand's repost sum
(yellow) improbable under the brand's baseline, in the main window or a short one?

A mixin of :class:`monitor.alerts.levels.Window`: it reads the window's counts, its short-window
tallies and the engine's :class:`~monitor.alerts.baseline.Baselines`.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from monitor.alerts.baseline import Baselines, Judgement
from monitor.alerts.settings import EngineConfig
from monitor.alerts.signals import PostSignal
from monitor.alerts.voices import Tally, author_of


@dataclass(slots=True)
class Surprise:
    """The outcome of one trigger's test: does it fire, and where to look for the numbers that explain it."""

    fires: bool
    key: str | None = None  # the baseline series; None: judged by the floor alone (fixed, or warming up)
    window: timedelta | None = None
    observed: int = 0
    r: float = 1.0


class AdaptiveTests:
    config: EngineConfig
    brand: str
    baselines: Baselines | None
    posts: deque[PostSignal]
    per_platform: Counter[str]
    reposts: int
    now: datetime | None
    _memo: dict[Any, Any]
    _plans: dict[tuple[str, float], tuple[Any, int, int, tuple[int, ...] | None]]
    _neg_keys: dict[str, str]
    _hour: int
    _tallies: list[Tally]
    _spans: tuple[timedelta, ...]
    _minutes: tuple[int, ...]
    _mode: str

    if TYPE_CHECKING:
        def _adaptive(self) -> bool: ...

    def _tail(self, now: datetime) -> dict[timedelta, tuple[Counter[str], int]]:
        """Voices per platform and reposts in each short window (kept by tallies; a scan if asked about the past)."""
        hit = self._memo.get("tail")  # blue, reposts and the burst check all ask at one moment
        if hit is not None and hit[0] == now:
            return hit[1]  # type: ignore[no-any-return]
        out: dict[timedelta, tuple[Counter[str], int]] = {}
        for t in self._tallies:
            out[t.span] = (t.voices, t.reposts) if t.at(now) else self._scan(t.span, now)
        self._memo["tail"] = (now, out)  # cleared with the memo whenever a post comes or goes
        return out

    def _scan(self, span: timedelta, now: datetime) -> tuple[Counter[str], int]:
        cap, cut = self.config.per_author, now - span
        authors: Counter[tuple[str, str]] = Counter()
        voices: Counter[str] = Counter()
        reposts = 0
        for p in reversed(self.posts):
            if p.ts <= cut:
                break
            if p.ts > now:
                continue
            who = (p.source, author_of(p))
            authors[who] += 1
            voices[p.source] += authors[who] <= cap
            reposts += p.reposts
        return voices, reposts

    def _surprise(self, key: str, counts: tuple[int, ...], floor_ok: bool, least: int, r: float) -> Surprise | None:
        """The test when the main or a short window's count (``counts``, main first) is improbable under the
        baseline (and at least ``least``); None when it does not fire.

        Cheap: the surprising count per window length is planned once per series and hour (kept here while the
        series' version stands), so judging is an integer comparison; the judgement with its numbers is only
        built for an alert (explain.py, from the Surprise's window and count).
        """
        thresholds = self._thresholds(key, r)
        if thresholds is None:  # no history, or still warming up: only the floors judge
            return Surprise(True) if floor_ok else None
        for i, thr in enumerate(thresholds):
            count = counts[i]
            if count >= thr and count >= least:
                return Surprise(True, key, self._spans[i], count, r)
        return None

    def _thresholds(self, key: str, r: float) -> tuple[int, ...] | None:
        """The surprising count per window length (main first) for series ``key`` at the window's hour; None
        when the series has no history yet or is still warming up."""
        assert self.baselines is not None and self.now is not None
        series = self.baselines.series.get(key)
        if series is None:
            return None
        hour = self._hour
        if hour > series.last:
            series.roll(hour)
        plan = self._plans.get((key, r))
        if plan is not None and plan[0] is series and plan[1] == hour and plan[2] == series.version:
            return plan[3]
        b = self.config.baseline
        thresholds = series.plan(hour, self._minutes, r, b.p_value, b.warmup.total_seconds() / 3600)
        self._plans[(key, r)] = (series, hour, series.version, thresholds)
        return thresholds

    def judge(self, s: Surprise) -> Judgement | None:
        """The numbers behind a surprise test, for the alert's explanation."""
        if self.baselines is None or self.now is None or s.key is None or s.window is None:
            return None
        b = self.config.baseline
        return self.baselines.test(s.key, self.now, s.observed, s.window, r=s.r, p_value=b.p_value,
                                   warmup=b.warmup)

    def blue(self) -> tuple[str, int, Surprise] | None:
        """The platform that fires blue, its voices and the test; None when calm."""
        cfg = self.config
        if not (cfg.blue.enabled and self.per_platform):
            return None
        memo = self._memo.get("blue", False)
        if memo is not False:
            return memo  # type: ignore[no-any-return]
        mode = self._mode
        floor = cfg.blue.platform_posts
        found = None
        ranked = sorted(sorted(self.per_platform.items()), key=itemgetter(1), reverse=True)  # busiest, then by name
        if mode == "fixed" or not self._adaptive():
            platform, v = ranked[0]
            if v > floor:
                found = (platform, v, Surprise(True))
        else:
            both = mode == "both"
            least = 1 if both else cfg.baseline.adaptive_min
            r = cfg.baseline.dispersion
            shorts: list[Counter[str]] | None = None
            keys = self._neg_keys
            for platform, v in ranked:
                floor_ok = v > floor
                if both and not floor_ok:
                    break
                if shorts is None:
                    assert self.now is not None
                    tail = self._tail(self.now)
                    shorts = [tail[w][0] for w in self._spans[1:]]
                key = keys.get(platform)
                if key is None:
                    key = keys[platform] = f"{self.brand}|{platform}|neg"
                # _surprise(key, (v, *short counts), ...) written out: every evaluation asks it of each platform
                thresholds = self._thresholds(key, r)
                if thresholds is None:
                    if floor_ok:
                        found = (platform, v, Surprise(True))
                        break
                    continue
                if v >= thresholds[0] and v >= least:
                    found = (platform, v, Surprise(True, key, self._spans[0], v, r))
                    break
                for i, counter in enumerate(shorts, 1):
                    count = counter.get(platform, 0)
                    if count >= thresholds[i] and count >= least:
                        found = (platform, v, Surprise(True, key, self._spans[i], count, r))
                        break
                if found is not None:
                    break
        self._memo["blue"] = found
        return found

    def reposts_surprise(self) -> Surprise | None:
        cfg = self.config
        if not cfg.yellow.enabled:
            return None
        memo = self._memo.get("reposts", False)
        if memo is not False:
            return memo  # type: ignore[no-any-return]
        floor_ok = self.reposts > cfg.yellow.reposts
        mode = self._mode
        found: Surprise | None = None
        if mode == "fixed" or not self._adaptive():
            found = Surprise(True) if floor_ok else None
        elif mode == "adaptive" or floor_ok:
            assert self.now is not None
            least = cfg.baseline.adaptive_min if mode == "adaptive" else 1
            tail = self._tail(self.now)
            counts = (self.reposts, *[tail[w][1] for w in self._spans[1:]])
            found = self._surprise(f"{self.brand}|*|reposts", counts, floor_ok, least, cfg.baseline.repost_dispersion)
        self._memo["reposts"] = found
        return found

