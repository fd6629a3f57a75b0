"""The daemon's HTTP server: the app builder wires route providers behind two middlewares.

Handlers live in :mod:`monitor.api` (operations, incidents), :mod:`monitor.interact`
(chat callbacks, e-mail links, silences, audit) and push sources; each area exposes a
``routes(service)`` provider, listed once in :data:`ROUTE_PROVIDERS`. The middlewares are
:func:`~monitor.api.errors.error_middleware` (every error as ``{"error": ...}`` JSON) and
:func:`~monitor.api.guard.guard_middleware` (Host, Origin, token, content type; secure
by default). GET /openapi.json describes every route (:mod:`monitor.api.openapi`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from monitor.api import incidents, ops
from monitor.api.context import SERVICE
from monitor.api.errors import error_middleware
from monitor.api.guard import guard_middleware, host_allowed, is_loopback, origin_allowed, read_json_body
from monitor.api.incidents import incident_handle, incident_json
from monitor.console import routes as console_routes
from monitor.interact import open_paths as signed_path
from monitor.interact import routes as interact_routes
from monitor.interact.api import person_for
from monitor.tasks.api import routes as task_routes

if TYPE_CHECKING:
    from monitor.service import Service

__all__ = ["ROUTE_PROVIDERS", "build_app", "host_allowed", "incident_handle", "incident_json",
           "is_loopback", "origin_allowed", "read_json_body", "start_http"]

RouteProvider = Callable[[Any], Iterable[web.AbstractRouteDef]]
MAX_CLIENT_BODY = 2 * 1024 * 1024  # aiohttp's own cap; server.max_body_bytes is checked per route


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def push_middleware(service: Service) -> Any:
    """Push sources (webhook intakes) are looked up per request, not mounted at start: a reload
    that adds, moves or replaces a webhook source routes the next push to the source running now."""

    @web.middleware
    async def push(request: web.Request, handler: Handler) -> web.StreamResponse:
        target = service.push_target(request.method, request.path)
        return await (target or handler)(request)

    return push


ROUTE_PROVIDERS: list[RouteProvider] = [
    ops.routes,
    incidents.routes,
    interact_routes,
    task_routes,  # the playbook as a checklist (monitor.tasks.api)
    console_routes,  # the web console at / (monitor.console; HTML, not part of /openapi.json)
]


def _push_paths(service: Service) -> set[str]:
    rt = service.rt
    return {getattr(s.config, "path", "") for s in rt.sources.values()} if rt else set()


def build_app(service: Service, providers: Iterable[RouteProvider] | None = None) -> web.Application:
    """The aiohttp app: the service under ``SERVICE``, middlewares, then each provider's routes."""
    def is_open(path: str) -> bool:  # push sources and signed callbacks authenticate themselves
        return signed_path(path) or path in _push_paths(service)

    guard = guard_middleware(lambda: service.loaded.config.server, is_open,
                             lambda header: person_for(service.rt.store if service.rt else None, header))
    app = web.Application(client_max_size=MAX_CLIENT_BODY,
                          middlewares=[error_middleware, guard, push_middleware(service)])
    app[SERVICE] = service
    for provide in ROUTE_PROVIDERS if providers is None else providers:
        app.router.add_routes(provide(service))
    return app


async def start_http(service: Service, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Serve the app on ``host:port``; returns the runner and the port bound (``port`` 0: any free one)."""
    runner = web.AppRunner(build_app(service), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    addresses = runner.addresses
    return runner, int(addresses[0][1]) if addresses else port
