"""Protocol fakes of what the API's handlers need (monitor.api.context), instead of a whole service."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from monitor.config import ServerConfig
from monitor.errors import IncidentStateError, UnknownIncident, UnknownPost
from monitor.models import Incident

T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)
TOKEN = "a-long-enough-api-token"


def incident(iid: str, status: str = "open", level: str = "blue") -> Incident:
    return Incident(id=iid, brand="acme", category=None, level=level, status=status,  # type: ignore[arg-type]
                    opened_at=T0, level_since=T0, last_signal_at=T0, trigger=f"{level}.volume")


class FakeClock:
    def __init__(self, now: datetime = T0) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


@dataclass
class FakeStore:
    incidents: dict[str, Incident] = field(default_factory=dict)
    executed: list[tuple[str, Any]] = field(default_factory=list)
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    calls: list[tuple[str | None, int]] = field(default_factory=list)

    def list_incidents(self, status: str | None = None, limit: int = 100) -> list[Incident]:
        self.calls.append((status, limit))
        return [i for i in self.incidents.values() if status is None or i.status == status][:limit]

    def get_incident(self, incident_id: str) -> tuple[str, Incident] | None:
        inc = self.incidents.get(incident_id)
        return (inc.brand, inc) if inc else None

    def delivery_counts(self) -> dict[tuple[str, str], int]:
        return self.counts

    def execute(self, sql: str, args: Any = ()) -> int:
        self.executed.append((sql, args))
        return 1

    def query(self, sql: str, args: Any = ()) -> list[Any]:
        return []  # no person tokens


@dataclass
class FakeEngine:
    store: FakeStore
    posts: set[str] = field(default_factory=set)
    batches: int = 0

    @property
    def incidents(self) -> dict[str, Incident]:
        return {i.brand: i for i in self.store.incidents.values() if i.status == "open"}

    @contextmanager
    def batch(self) -> Iterator[None]:
        self.batches += 1
        yield

    def acknowledge(self, incident_id: str, by: str, at: datetime) -> Incident:
        inc = self._open(incident_id)
        if inc.acked_by:
            raise IncidentStateError(f"incident {incident_id} was already acknowledged by {inc.acked_by}")
        inc = self.store.incidents[incident_id] = replace(inc, acked_by=by, acked_at=at)
        return inc

    def resolve(self, incident_id: str, by: str, at: datetime) -> Incident:
        inc = self.store.incidents[incident_id] = replace(self._open(incident_id), status="resolved",
                                                          resolved_by=by, resolved_at=at)
        return inc

    def relabel(self, key: str, label: str, by: str, at: datetime, note: str | None = None) -> list[str]:
        if key not in self.posts:
            raise UnknownPost(f"no stored post {key!r}")
        return ["acme"]

    def _open(self, incident_id: str) -> Incident:
        inc = self.store.incidents.get(incident_id)
        if inc is None:
            raise UnknownIncident(f"no incident {incident_id!r}")
        if inc.status != "open":
            raise IncidentStateError(f"incident {incident_id} is already {inc.status}")
        return inc


@dataclass
class FakeHealth:
    problem: str | None = None

    def healthy(self, now: datetime) -> bool:
        return self.problem is None

    def snapshot(self, now: datetime) -> dict[str, Any]:
        return {"news": {"status": "ok"}}

    def components(self) -> dict[str, Any]:
        return {"tasks": {}}

    def problems(self, now: datetime) -> list[str]:
        return [self.problem] if self.problem else []


class FakeExposition:
    def render(self) -> str:
        return "# HELP brand_monitor_x_total A test counter.\n# TYPE brand_monitor_x_total counter\n" \
               "brand_monitor_x_total 3.0\n"


@dataclass
class FakeRuntime:
    store: FakeStore
    engine: FakeEngine
    health: FakeHealth = field(default_factory=FakeHealth)
    metrics: FakeExposition = field(default_factory=FakeExposition)
    scorer: Any = field(default_factory=lambda: SimpleNamespace(model_id="fake/model"))
    sources: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeHost:
    rt: FakeRuntime | None
    server: ServerConfig = field(default_factory=lambda: ServerConfig(port=0, api_token=TOKEN))
    clock: FakeClock = field(default_factory=FakeClock)
    reload_ok: bool = True
    reloads: int = 0

    @property
    def loaded(self) -> Any:
        return SimpleNamespace(config=SimpleNamespace(server=self.server))

    def reload(self) -> bool:
        self.reloads += 1
        return self.reload_ok

    def push_target(self, method: str, path: str) -> None:
        """No push sources in these tests: every request goes to the routed handler."""
        return None


def host(*incidents: Incident, posts: set[str] | None = None) -> FakeHost:
    store = FakeStore({i.id: i for i in incidents})
    return FakeHost(FakeRuntime(store, FakeEngine(store, posts or set())))
