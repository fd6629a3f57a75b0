"""The daemon's HTTP face: /healthz, /metrics, the incident and relabel API, push sources.

Reads are open on the bind address (loopback by default); mutations require
``Authorization: Bearer <server.api_token>`` when a token is configured.
"""

from __future__ import annotations

import hmac
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from monitor.errors import IncidentError, StoreError
from monitor.models import format_ts

if TYPE_CHECKING:
    from monitor.service import Service

LABELS = ("negative", "neutral", "positive")


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))


def _authorized(request: web.Request, token: str | None) -> bool:
    if not token:
        return True
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def incident_json(inc: Any) -> dict[str, Any]:
    def ts(v: Any) -> str | None:
        return format_ts(v) if v is not None else None

    return {"id": inc.id, "brand": inc.brand, "category": inc.category, "level": inc.level, "status": inc.status,
            "opened_at": ts(inc.opened_at), "level_since": ts(inc.level_since), "acked_at": ts(inc.acked_at),
            "acked_by": inc.acked_by, "ack_due_at": ts(inc.ack_due_at), "escalation_step": inc.escalation_step,
            "resolved_at": ts(inc.resolved_at), "resolved_by": inc.resolved_by, "trigger": inc.trigger}


def build_app(service: Service) -> web.Application:
    app = web.Application(client_max_size=2 * 1024 * 1024)

    def rt() -> Any:
        if service.rt is None:
            raise web.HTTPServiceUnavailable(text="starting or stopping")
        return service.rt

    def guard(request: web.Request) -> None:
        if not _authorized(request, service.loaded.config.server.api_token):
            raise web.HTTPUnauthorized(text="missing or wrong bearer token (server.api_token)")

    async def healthz(request: web.Request) -> web.Response:
        r = rt()
        now = service.clock.now()
        try:
            counts = r.store.delivery_counts()
        except StoreError:
            counts = {}  # the store's problem is shown under "components" and makes this unhealthy
        healthy = r.health.healthy(now)
        body = {
            "status": "ok" if healthy else "unhealthy",
            "time": format_ts(now),
            "sources": r.health.snapshot(now),
            "outbox": {"pending": sum(v for (_, s), v in counts.items() if s == "pending"),
                       "failed": sum(v for (_, s), v in counts.items() if s == "failed")},
            "open_incidents": len(r.engine.incidents),
            "model": getattr(r.scorer, "model_id", None),
            "components": r.health.components(),
            "problems": r.health.problems(now),
        }
        return _json(body, 200 if healthy else 503)

    async def metrics(request: web.Request) -> web.Response:
        r = rt()
        return web.Response(text=r.metrics.render(), content_type="text/plain", charset="utf-8",
                            headers={"X-Prometheus-Format": "0.0.4"})

    async def incidents(request: web.Request) -> web.Response:
        status = request.query.get("status")
        return _json([incident_json(i) for i in rt().store.list_incidents(status=status)])

    async def _body(request: web.Request) -> dict[str, Any]:
        try:
            data = await request.json() if request.can_read_body else {}
        except ValueError:
            raise web.HTTPBadRequest(text="body must be JSON") from None
        if not isinstance(data, dict):
            raise web.HTTPBadRequest(text="body must be a JSON object")
        return data

    async def act(request: web.Request) -> web.Response:
        guard(request)
        r, data = rt(), await _body(request)
        by = str(data.get("by") or "api")
        action = request.match_info["action"]
        try:
            with r.engine.batch():
                fn = r.engine.acknowledge if action == "ack" else r.engine.resolve
                inc = fn(request.match_info["id"], by, service.clock.now())
        except IncidentError as exc:
            return _json({"error": str(exc)}, 404 if "no incident" in str(exc) else 409)
        return _json(incident_json(inc))

    async def relabel(request: web.Request) -> web.Response:
        guard(request)
        r, data = rt(), await _body(request)
        label = data.get("label")
        if label not in LABELS:
            return _json({"error": f"label must be one of {', '.join(LABELS)}"}, 400)
        try:
            with r.engine.batch():
                scopes = r.engine.relabel(request.match_info["key"], label, str(data.get("by") or "api"),
                                          service.clock.now(), data.get("note"))
        except IncidentError as exc:
            return _json({"error": str(exc)}, 404)
        return _json({"key": request.match_info["key"], "label": label, "reevaluated": scopes})

    async def reload(request: web.Request) -> web.Response:
        guard(request)
        ok = service.reload()
        return _json({"reloaded": ok}, 200 if ok else 409)

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/incidents", incidents)
    app.router.add_post("/incidents/{id}/{action:ack|resolve}", act)
    app.router.add_post("/posts/{key:.+}/relabel", relabel)
    app.router.add_post("/-/reload", reload)
    if service.rt is not None:
        for source in service.rt.sources.values():
            app.router.add_routes(source.routes())
    return app


async def start_http(service: Service, host: str, port: int) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(build_app(service), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    sockets = site._server.sockets if site._server is not None else []  # type: ignore[union-attr]
    bound = sockets[0].getsockname()[1] if sockets else port
    return runner, bound
