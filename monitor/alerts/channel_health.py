"""Each notification channel's health, as the dispatcher sees it, for /healthz.

A channel that keeps failing (or gave up on a delivery since it last succeeded) is a team
that is not being told: it makes the daemon unhealthy, with the reason, until a delivery
goes through again. Kept in memory from the dispatcher's own outcomes, so judging it
costs no store query; after a restart a still-broken channel shows up on its next try.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor.models import format_ts


@dataclass(slots=True)
class ChannelHealth:
    """One notifier's recent delivery outcomes."""

    name: str
    consecutive_failures: int = 0
    failing_since: datetime | None = None
    last_error: str | None = None
    last_ok_at: datetime | None = None
    gave_up: int = 0  # deliveries marked failed since the last success

    def problem(self, now: datetime, failures: int, stuck_after: timedelta) -> str | None:
        if self.gave_up:
            return (f"notifier {self.name}: {self.gave_up} notification(s) could not be delivered "
                    f"and were marked failed: {self.last_error}")
        if self.consecutive_failures >= failures:
            return (f"notifier {self.name}: the last {self.consecutive_failures} delivery attempts failed: "
                    f"{self.last_error}")
        if self.failing_since is not None and now - self.failing_since >= stuck_after:
            return (f"notifier {self.name}: failing for {int((now - self.failing_since).total_seconds() // 60)} min: "
                    f"{self.last_error}")
        return None


class ChannelHealthBook:
    """Outcomes per channel; ``as_probe`` is the /healthz component."""

    def __init__(self, failures: int = 3, stuck_after: timedelta = timedelta(minutes=15)) -> None:
        self.failures = failures
        self.stuck_after = stuck_after
        self.channels: dict[str, ChannelHealth] = {}

    def _get(self, name: str) -> ChannelHealth:
        ch = self.channels.get(name)
        if ch is None:
            ch = self.channels[name] = ChannelHealth(name)
        return ch

    def ok(self, name: str, now: datetime) -> None:
        ch = self._get(name)
        ch.consecutive_failures = ch.gave_up = 0
        ch.failing_since = None
        ch.last_ok_at = now

    def failed(self, name: str, why: str, now: datetime, permanent: bool) -> None:
        ch = self._get(name)
        ch.consecutive_failures += 1
        ch.last_error = why[:500]
        if ch.failing_since is None:
            ch.failing_since = now
        if permanent:
            ch.gave_up += 1

    def forget(self, keep: set[str]) -> None:
        """A notifier removed by a reload is no longer judged."""
        for name in set(self.channels) - keep:
            del self.channels[name]

    def as_probe(self, now: datetime) -> dict[str, Any]:
        problems = [p for ch in self.channels.values() if (p := ch.problem(now, self.failures, self.stuck_after))]
        return {
            "status": "unhealthy" if problems else "ok",
            "problem": "; ".join(problems) if problems else None,
            "channels": {name: {"consecutive_failures": ch.consecutive_failures, "gave_up": ch.gave_up,
                                "last_error": ch.last_error,
                                "last_ok_at": format_ts(ch.last_ok_at) if ch.last_ok_at else None,
                                "failing_since": format_ts(ch.failing_since) if ch.failing_since else None}
                         for name, ch in sorted(self.channels.items())},
        }
