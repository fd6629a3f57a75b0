"""Operating the daemon over HTTP: /healthz, /metrics, /-/reload and the API's own description."""

from __future__ import annotations

from aiohttp import web

from monitor.api import openapi
from monitor.api.context import host, now, runtime, server_config
from monitor.api.errors import json_response
from monitor.api.guard import actor, read_json_body
from monitor.errors import StoreError
from monitor.metrics import CONTENT_TYPE
from monitor.models import format_ts
from monitor.store_actions import ActionStore


async def healthz(request: web.Request) -> web.Response:
    """200 when every source, component and task is healthy, else 503 with every problem."""
    rt = runtime(request)
    at = now(request)
    try:
        counts = rt.store.delivery_counts()
    except StoreError:
        counts = {}  # the store's problem is shown under "components" and makes this unhealthy
    healthy = rt.health.healthy(at)
    body = {
        "status": "ok" if healthy else "unhealthy",
        "time": format_ts(at),
        "sources": rt.health.snapshot(at),
        "outbox": {"pending": sum(v for (_, s), v in counts.items() if s == "pending"),
                   "failed": sum(v for (_, s), v in counts.items() if s == "failed")},
        "open_incidents": len(rt.engine.incidents),
        "model": getattr(rt.scorer, "model_id", None),
        "components": rt.health.components(),
        "problems": rt.health.problems(at),
    }
    return json_response(body, 200 if healthy else 503)


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text exposition (version 0.0.4) of this daemon's registry."""
    text = runtime(request).metrics.render()
    return web.Response(body=text.encode("utf-8"), headers={"Content-Type": CONTENT_TYPE,
                                                           "X-Prometheus-Format": "0.0.4"})


async def reload(request: web.Request) -> web.Response:
    """Re-read the config file (as SIGHUP); 409 keeps the last good one."""
    data = await read_json_body(request, server_config(request))
    by = actor(request, data)
    service = host(request)
    ok = service.reload()
    if service.rt is not None:
        ActionStore(service.rt.store).audit(at=now(request), actor=by, channel="api",  # type: ignore[arg-type]
                                            action="reload", ok=ok)
    if ok:
        return json_response({"reloaded": True})
    return json_response({"reloaded": False, "error": "configuration not reloaded: it is invalid, or the daemon "
                          "runs without a config file; the last good one stays in use (the log lists why)"}, 409)


async def document(request: web.Request) -> web.Response:
    """The OpenAPI 3 description of every route this daemon serves."""
    return json_response(openapi.document(host(request)))


def routes(_service: object) -> list[web.RouteDef]:
    return [web.get("/healthz", healthz), web.get("/metrics", metrics), web.get("/openapi.json", document),
            web.post("/-/reload", reload)]
