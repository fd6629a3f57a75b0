"""What the API's handlers need from the daemon, as small protocols, and how they reach it.

The app builder stores the service under :data:`SERVICE`; module-level handlers read it
from ``request.app``. Unit tests pass fakes that satisfy :class:`ApiHost` instead of a
whole :class:`~monitor.service.Service`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from aiohttp import web

from monitor.api.errors import Unavailable


class Clock(Protocol):
    def now(self) -> datetime: ...


class IncidentStore(Protocol):
    """The store as the incident API reads it (plus ``execute`` for the audit log)."""

    def list_incidents(self, status: str | None = None, limit: int = 100) -> list[Any]: ...
    def get_incident(self, incident_id: str) -> tuple[str, Any] | None: ...
    def delivery_counts(self) -> dict[tuple[str, str], int]: ...
    def execute(self, sql: str, args: Any = ()) -> Any: ...


class Engine(Protocol):
    incidents: dict[str, Any]

    def batch(self) -> AbstractContextManager[None]: ...
    def acknowledge(self, incident_id: str, by: str, at: datetime) -> Any: ...
    def resolve(self, incident_id: str, by: str, at: datetime) -> Any: ...
    def relabel(self, key: str, label: str, by: str, at: datetime, note: str | None = None) -> list[str]: ...


class Health(Protocol):
    def healthy(self, now: datetime) -> bool: ...
    def snapshot(self, now: datetime) -> dict[str, Any]: ...
    def components(self) -> dict[str, Any]: ...
    def problems(self, now: datetime) -> list[str]: ...


class Exposition(Protocol):
    def render(self) -> str: ...


class ApiRuntime(Protocol):
    """The running parts (``monitor.runtime.Runtime``)."""

    store: IncidentStore
    engine: Engine
    health: Health
    metrics: Exposition
    scorer: Any  # its model_id, when it has one, is shown on /healthz
    sources: dict[str, Any]


class ApiHost(Protocol):
    """The daemon as its HTTP face sees it (``monitor.service.Service``)."""

    loaded: Any  # .config.server (ServerConfig)
    clock: Clock
    rt: ApiRuntime | None  # None while starting or stopping

    def reload(self) -> bool: ...


SERVICE = web.AppKey("service", ApiHost)


def host(request: web.Request) -> ApiHost:
    """The :class:`ApiHost` serving this request."""
    return request.app[SERVICE]


def runtime(request: web.Request) -> ApiRuntime:
    """The :class:`ApiRuntime`; 503 while the daemon starts or stops."""
    rt = host(request).rt
    if rt is None:
        raise Unavailable("the daemon is starting or stopping; try again shortly")
    return rt


def server_config(request: web.Request) -> Any:
    return host(request).loaded.config.server


def now(request: web.Request) -> datetime:
    return host(request).clock.now()
