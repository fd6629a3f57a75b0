"""Brand Monitor's exception tree.

Library errors (aiohttp, sqlite3, yaml, transformers, ...) are converted into these at
the boundary, with enough context (file, line, rule id, source name) that the message
alone tells an on-call engineer what broke and how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class MonitorError(Exception):
    """Base of every error this package raises on purpose."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation finding, located as precisely as we can: ``file: place: message``."""

    file: str
    place: str
    message: str
    excerpt: str = ""  # optional extra lines, e.g. the query with a caret under the problem

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.place) if p]
        head = ": ".join([*parts, self.message])
        return f"{head}\n{self.excerpt}" if self.excerpt else head


class ConfigError(MonitorError):
    """A configuration (monitor.yaml, keywords.yaml, playbooks) is invalid.

    Carries every problem found, not just the first, so one run of ``monitor check``
    lists everything the user has to fix.
    """

    def __init__(self, problems: Iterable[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("", "", problems)]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class EventFormatError(MonitorError):
    """An event does not follow the event contract (README, "Drills and recordings")."""


class StoreError(MonitorError):
    """The SQLite store could not be opened or written."""


class LeaseLost(StoreError):
    """This replica no longer holds the lease its work depends on (another replica took over)."""


class SourceError(MonitorError):
    """A collector failed to fetch or parse; ``retryable`` says whether trying later can help."""

    def __init__(self, message: str, *, retryable: bool = True, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class NotifyError(MonitorError):
    """A notifier could not deliver; ``retryable`` says whether the outbox should try again.

    Mirrors Alertmanager's ``Notify(...) (retry bool, err error)``. ``retry_after`` (seconds)
    passes on a channel's own back-off request (HTTP ``Retry-After``), when it gave one.
    """

    def __init__(self, message: str, *, retryable: bool = True, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class ModelError(MonitorError):
    """A sentiment model could not be loaded or run."""


class IncidentError(MonitorError):
    """An incident operation (ack, resolve, relabel) cannot be done."""


class UnknownIncident(IncidentError):
    """The incident an operation names does not exist (the API answers 404)."""


class UnknownPost(UnknownIncident):
    """The post a relabel names was never stored (only posts that matched a rule are)."""


class IncidentStateError(IncidentError):
    """The incident is not in a state that allows the operation: already resolved or acknowledged (409)."""
