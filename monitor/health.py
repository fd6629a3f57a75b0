"""Each source's health, and blind-spot alerts when one goes quiet or keeps failing.

Silence is never mistaken for calm: a collector that has produced nothing for longer
than its ``expected_update_period``, or has failed ``failure_threshold`` polls in a row,
is unhealthy on /healthz and raises a ``blind_spot`` notification; when it produces
again a ``recovered`` notification follows.

Beyond the sources, /healthz also judges the daemon's own parts: every long-running task
(stream consumers, the dispatcher, periodic jobs) reports failures and restarts here, and
components such as the store report their state through a probe. A task that failed and
has not made progress since, or a component with a problem, makes the daemon unhealthy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from monitor.durations import format_duration
from monitor.metrics import Metrics
from monitor.models import Alert, Evidence, format_ts
from monitor.redact import redact_text


@dataclass
class SourceHealth:
    name: str
    kind: str
    silence_limit: timedelta
    failure_threshold: int
    started_at: datetime
    streaming: bool = False
    last_poll_at: datetime | None = None
    last_ok_at: datetime | None = None
    last_event_at: datetime | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    events: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    done: bool = False
    blind: bool = False  # a blind-spot alert is active
    blind_since: datetime | None = None
    probe: Callable[[], str | None] | None = None  # the source's own view (a push source refusing input)

    def problem(self, now: datetime) -> tuple[str, str] | None:
        """(trigger, message) when unhealthy, else None."""
        if self.done:
            return None
        own = self.probe() if self.probe is not None else None
        if own:
            return ("system.failing", f"{self.name}: {own}")
        if self.consecutive_failures >= self.failure_threshold:
            return ("system.failing", f"{self.name} failed {self.consecutive_failures} polls in a row: "
                                      f"{self.last_error}")
        since = self.last_event_at or self.started_at
        if now - since > self.silence_limit:
            what = "no events" if self.last_event_at is None else "no new events"
            return ("system.silence", f"{what} from {self.name} for {format_duration(now - since)} "
                                      f"(expected within {format_duration(self.silence_limit)}) — silence is not calm")
        return None

    def as_json(self, now: datetime) -> dict[str, Any]:
        problem = self.problem(now)
        return {
            "kind": self.kind,
            "status": "done" if self.done else ("unhealthy" if problem else "ok"),
            "problem": problem[1] if problem else None,
            "last_poll": format_ts(self.last_poll_at) if self.last_poll_at else None,
            "last_ok": format_ts(self.last_ok_at) if self.last_ok_at else None,
            "last_event": format_ts(self.last_event_at) if self.last_event_at else None,
            "last_error": self.last_error,
            "consecutive_failures": self.consecutive_failures,
            "events": self.events,
            "skipped": dict(self.skipped),
        }


@dataclass
class TaskHealth:
    """A long-running task (a stream consumer, the dispatcher, a periodic job) as /healthz sees it."""

    name: str
    state: str = "starting"  # running | restarting | done | stopped
    restarts: int = 0
    failures: int = 0  # in a row, without progress in between
    last_error: str | None = None
    last_failure_at: datetime | None = None
    last_ok_at: datetime | None = None

    def failed(self, error: str, now: datetime) -> None:
        self.failures += 1
        self.last_error = error
        self.last_failure_at = now

    def progress(self, now: datetime) -> None:
        """The task did useful work: earlier failures are behind it."""
        self.failures = 0
        self.last_ok_at = now

    def problem(self) -> str | None:
        if self.failures:
            what = "restarting" if self.state == "restarting" else "retrying"
            return (f"task {self.name} failed {self.failures} time(s) in a row, {what}: {self.last_error}")
        return None

    def as_json(self) -> dict[str, Any]:
        problem = self.problem()
        return {"state": self.state, "status": "unhealthy" if problem else "ok", "problem": problem,
                "restarts": self.restarts, "failures_in_a_row": self.failures, "last_error": self.last_error,
                "last_failure": format_ts(self.last_failure_at) if self.last_failure_at else None,
                "last_ok": format_ts(self.last_ok_at) if self.last_ok_at else None}


class HealthTracker:
    """Bookkeeping the runtime updates after every poll; judged on a schedule."""

    def __init__(self, metrics: Metrics | None = None) -> None:
        self.sources: dict[str, SourceHealth] = {}
        self.tasks: dict[str, TaskHealth] = {}
        self.probes: dict[str, Callable[[], dict[str, Any]]] = {}  # component -> {"status", "problem", ...}
        self.metrics = metrics

    def register(self, name: str, kind: str, silence_limit: timedelta, failure_threshold: int, now: datetime,
                 streaming: bool = False, probe: Callable[[], str | None] | None = None) -> None:
        self.sources[name] = SourceHealth(name, kind, silence_limit, failure_threshold, now, streaming, probe=probe)

    def task(self, name: str) -> TaskHealth:
        t = self.tasks.get(name)
        if t is None:
            t = self.tasks[name] = TaskHealth(name)
        return t

    def task_failed(self, name: str, error: str, now: datetime) -> TaskHealth:
        t = self.task(name)
        t.failed(error, now)
        if self.metrics:
            self.metrics.inc("task_failures_total", task=name)
        return t

    def components(self) -> dict[str, Any]:
        """The daemon's own parts: each probed component and every supervised task."""
        out: dict[str, Any] = {}
        for name, probe in sorted(self.probes.items()):
            try:
                out[name] = probe()
            except Exception as exc:  # a probe that fails is itself the finding
                out[name] = {"status": "unhealthy", "problem": f"{type(exc).__name__}: {exc}"}
        out["tasks"] = {name: t.as_json() for name, t in sorted(self.tasks.items())}
        return out

    def problems(self, now: datetime) -> list[str]:
        """Every reason the daemon is unhealthy now (empty: healthy)."""
        found = [p[1] for h in self.sources.values() if (p := h.problem(now))]
        comps = self.components()
        found += [f"{name}: {c.get('problem')}" for name, c in comps.items()
                  if name != "tasks" and c.get("status") != "ok"]
        found += [p for t in self.tasks.values() if (p := t.problem())]
        return found

    def success(self, name: str, events: int, skipped: Counter[str], now: datetime, done: bool = False) -> None:
        h = self.sources[name]
        h.last_poll_at = h.last_ok_at = now
        h.consecutive_failures = 0
        h.last_error = None
        h.done = h.done or done
        if events:
            h.last_event_at = now
            h.events += events
        for reason, n in skipped.items():  # bounded: hostile items must not grow memory or /healthz
            key = bounded_reason(reason)
            if key not in h.skipped and len(h.skipped) >= MAX_SKIP_REASONS:
                key = OTHER_REASONS
            h.skipped[key] += n
        if self.metrics:
            self.metrics.inc("source_polls_total", source=name, result="ok")
            self.metrics.inc("source_events_total", events, source=name)
            for reason, n in skipped.items():
                self.metrics.inc("source_items_skipped_total", n, source=name,
                                 reason=_reason_label(bounded_reason(reason))[:80])

    def failure(self, name: str, error: str, now: datetime) -> None:
        h = self.sources[name]
        h.last_poll_at = now
        h.consecutive_failures += 1
        h.last_error = bounded_reason(error, 1000)
        if self.metrics:
            self.metrics.inc("source_polls_total", source=name, result="error")

    def healthy(self, now: datetime) -> bool:
        return not self.problems(now)

    def snapshot(self, now: datetime) -> dict[str, Any]:
        return {name: h.as_json(now) for name, h in sorted(self.sources.items())}

    def check(self, now: datetime) -> list[Alert]:
        """Blind-spot alerts for sources that just became unhealthy; recovery for those that came back."""
        alerts: list[Alert] = []
        for h in self.sources.values():
            problem = h.problem(now)
            if problem and not h.blind:
                h.blind, h.blind_since = True, now
                alerts.append(_alert(h, now, "blind_spot", problem[0], problem[1]))
            elif not problem and h.blind:
                reason = f"{h.name} is producing again after {format_duration(now - (h.blind_since or now))}"
                alerts.append(_alert(h, now, "recovered", "system.recovered", reason))
                h.blind, h.blind_since = False, None
        return alerts


MAX_SKIP_REASONS = 50
"""Distinct skip reasons kept per source; further ones are counted under OTHER_REASONS."""
MAX_REASON_CHARS = 300
OTHER_REASONS = f"other reasons (only {MAX_SKIP_REASONS} distinct reasons are kept per source)"


def bounded_reason(reason: str, limit: int = MAX_REASON_CHARS) -> str:
    """A reason as kept and shown: credentials masked, at most ``limit`` characters."""
    reason = redact_text(reason[: limit * 4])
    return reason if len(reason) <= limit else reason[: limit - 1] + "…"


def _reason_label(reason: str) -> str:
    """Skip reasons can carry line numbers; keep metric label cardinality bounded."""
    head = reason.split(":", 1)[0]
    return head if not head.startswith("line ") else "malformed line"


def _alert(h: SourceHealth, now: datetime, transition: str, trigger: str, reason: str) -> Alert:
    since = h.blind_since or now
    incident = f"source-{h.name}-{since:%Y%m%d-%H%M%S}"
    silent_for = now - (h.last_event_at or h.started_at)
    detail = {"source": h.name, "kind": h.kind, "silent_for_minutes": int(silent_for.total_seconds() // 60),
              "down_for": (now - since).total_seconds() if transition == "recovered" else None,
              "last_event": format_ts(h.last_event_at) if h.last_event_at else None, "last_error": h.last_error,
              "consecutive_failures": h.consecutive_failures, "failure_threshold": h.failure_threshold}
    evidence = Evidence(trigger=trigger, rule=reason, observed=detail["silent_for_minutes"],
                        threshold=int(h.silence_limit.total_seconds() // 60), window_minutes=0, detail=detail)
    seq = 1 if transition == "blind_spot" else 2
    return Alert(id=f"{incident}#{seq}", incident_id=incident, brand="*", brand_name="all brands", category=None,
                 level="system", transition=transition, ts=now, reason=reason, evidence=evidence)
