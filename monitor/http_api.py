"""The daemon's HTTP face: /healthz, /metrics, the incident and relabel API, push sources.

Secure by default. Reads (/healthz, /metrics, GET /incidents) are open on the bind
address (loopback by default). Mutations (ack, resolve, relabel, reload) need
``Authorization: Bearer <server.api_token>``; with no token configured the API is
read-only, and config validation refuses a non-loopback ``server.host`` without one.
Every request to the daemon's own routes must name an allowed Host (loopback names, IP
literals, ``server.allowed_hosts``: DNS rebinding is refused); a mutation must come from
no browser origin or an allowed one (same origin or ``server.allowed_origins``) and
carry ``Content-Type: application/json``, so a cross-site form or ``text/plain`` POST
never gets through. Bodies are read within ``server.max_body_bytes`` and decoded within
``server.limits`` (:mod:`monitor.safejson`). URLs name incidents by an unguessable
handle (readable ids still work, with the token).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiohttp import web

from monitor.console import routes as console_routes
from monitor.errors import IncidentError, StoreError
from monitor.interact import open_paths as signed_path
from monitor.interact import routes as interact_routes
from monitor.interact.api import PERSON, person_for, role_allows
from monitor.models import format_ts
from monitor.safejson import JsonLimitError, loads
from monitor.store_actions import ActionStore
from monitor.tasks.api import routes as task_routes

if TYPE_CHECKING:
    from monitor.config import ServerConfig
    from monitor.service import Service

LABELS = ("negative", "neutral", "positive")
MAX_BY_CHARS = 200
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_PROCESS_KEY = secrets.token_bytes(32)  # handle key when no token is configured (the API is read-only then)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))


def _error(status: int, message: str) -> web.HTTPException:
    cls = {400: web.HTTPBadRequest, 401: web.HTTPUnauthorized, 403: web.HTTPForbidden, 404: web.HTTPNotFound,
           413: web.HTTPRequestEntityTooLarge, 415: web.HTTPUnsupportedMediaType, 421: web.HTTPMisdirectedRequest}
    kwargs: dict[str, Any] = {"text": json.dumps({"error": message}, ensure_ascii=False),
                              "content_type": "application/json"}
    if status == 413:
        return web.HTTPRequestEntityTooLarge(max_size=0, actual_size=0, **kwargs)
    return cls[status](**kwargs)  # type: ignore[no-any-return]


def _authorized(request: web.Request, token: str | None) -> bool:
    """Constant-time bearer check; headers are compared as bytes, whatever characters they hold."""
    if not token:
        return False
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), f"Bearer {token}".encode())


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and the localhost names."""
    host = host.strip().strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_name(value: str) -> str:
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value[1:]
    if value.count(":") == 1:
        value = value.split(":", 1)[0]
    return value.rstrip(".")


def host_allowed(header: str, allowed: list[str]) -> bool:
    """Loopback names, IP literals (never a rebinding) and the configured names pass."""
    name = _host_name(header)
    if not name or is_loopback(name) or "*" in allowed:
        return True
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    for pattern in (a.strip().lower().rstrip(".") for a in allowed):
        if name == pattern or (pattern.startswith(".") and name.endswith(pattern)):
            return True
    return False


def origin_allowed(origin: str, host_header: str, allowed: list[str]) -> bool:
    """Same origin as the Host asked for, or an origin listed in ``server.allowed_origins``."""
    origin = origin.strip().lower().rstrip("/")
    if origin in (o.strip().lower().rstrip("/") for o in allowed):
        return True
    try:
        netloc = urlsplit(origin).netloc
    except ValueError:
        return False
    return bool(netloc) and netloc == host_header.strip().lower()


def incident_handle(incident_id: str, token: str | None) -> str:
    """An unguessable, stable name for an incident in URLs (keyed by the API token)."""
    key = hashlib.sha256(b"incident-handle\0" + token.encode()).digest() if token else _PROCESS_KEY
    mac = hmac.new(key, incident_id.encode(), hashlib.sha256).digest()
    return "h" + base64.b32encode(mac[:15]).decode().lower()


def incident_json(inc: Any, handle: str | None = None) -> dict[str, Any]:
    def ts(v: Any) -> str | None:
        return format_ts(v) if v is not None else None

    out = {"id": inc.id, "brand": inc.brand, "category": inc.category, "level": inc.level, "status": inc.status,
           "opened_at": ts(inc.opened_at), "level_since": ts(inc.level_since), "acked_at": ts(inc.acked_at),
           "acked_by": inc.acked_by, "ack_due_at": ts(inc.ack_due_at), "escalation_step": inc.escalation_step,
           "resolved_at": ts(inc.resolved_at), "resolved_by": inc.resolved_by, "trigger": inc.trigger}
    if handle is not None:
        out.update(handle=handle, url=f"/incidents/{handle}")
    return out


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def guard_middleware(server: Callable[[], ServerConfig], open_paths: Callable[[], set[str]],
                     people: Callable[[str], tuple[str, str] | None] | None = None) -> Any:
    """Host, Origin, token and content-type checks for the daemon's own routes.

    Push sources (``open_paths``) authenticate every request themselves and are called
    from other servers, so only their own checks apply there.
    """

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in open_paths() or signed_path(request.path):  # they verify their own signatures
            return await handler(request)
        cfg = server()
        host = request.headers.get("Host", "")
        if host and not host_allowed(host, cfg.allowed_hosts):
            raise _error(421, f"Host {_host_name(host)!r} is not served here (DNS rebinding is refused); "
                              f"add it to server.allowed_hosts if this name is yours")
        if request.method in _SAFE_METHODS:
            return await handler(request)
        origin = request.headers.get("Origin")
        if origin is not None and not origin_allowed(origin, host, cfg.allowed_origins):
            raise _error(403, f"cross-site request from origin {origin[:100]!r} refused; "
                              f"add it to server.allowed_origins if it is yours")
        if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site" and origin is None:
            raise _error(403, "cross-site request refused")
        token = cfg.api_token
        person = None if _authorized(request, token) else (people or (lambda _h: None))(
            request.headers.get("Authorization", ""))
        if person is not None:  # a person's own token: its role decides (monitor.interact.api)
            if not role_allows(person[1], request.method, request.path):
                raise _error(403, f"{person[0]} is a {person[1]}; this needs a higher role")
            request[PERSON] = person[0]
        elif not token:
            raise _error(403, "the API is read-only: no server.api_token is configured; set one "
                              "(api_token: ${MONITOR_API_TOKEN}) to acknowledge, resolve, relabel or reload over HTTP")
        elif not _authorized(request, token):
            raise _error(401, "missing or wrong bearer token (server.api_token)")
        ctype = request.content_type.lower() if "Content-Type" in request.headers else "none"
        if not (ctype == "application/json" or ctype.endswith("+json")):
            raise _error(415, f"send Content-Type: application/json (got {ctype}); "
                              f"the body may be empty or a JSON object")
        return await handler(request)

    return guard


async def read_json_body(request: web.Request, cfg: ServerConfig) -> dict[str, Any]:
    """The body as a JSON object, within the size and shape limits; an empty body is ``{}``."""
    limit = cfg.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise _error(413, f"body is larger than the {limit}-byte limit (server.max_body_bytes)")
    raw = bytearray()
    while chunk := await request.content.read(65536):
        raw.extend(chunk)
        if len(raw) > limit:
            raise _error(413, f"body is larger than the {limit}-byte limit (server.max_body_bytes)")
    if not raw.strip():
        return {}
    try:
        data = loads(bytes(raw), cfg.limits)
    except UnicodeDecodeError:
        raise _error(400, "body is not UTF-8 text") from None
    except JsonLimitError as exc:
        raise _error(400, f"body refused: {exc}") from None
    except ValueError as exc:
        raise _error(400, f"body must be JSON ({str(exc)[:100]})") from None
    if not isinstance(data, dict):
        raise _error(400, "body must be a JSON object")
    return data


def _by(data: dict[str, Any]) -> str:
    by = data.get("by")
    if by is None or by == "":
        return "api"
    if not isinstance(by, str) or len(by) > MAX_BY_CHARS:
        raise _error(400, f"'by' must be a name of at most {MAX_BY_CHARS} characters")
    return by


def build_app(service: Service) -> web.Application:
    def server() -> ServerConfig:
        return service.loaded.config.server

    def open_paths() -> set[str]:
        return {getattr(s.config, "path", "") for s in service.rt.sources.values()} if service.rt else set()

    def people(header: str) -> tuple[str, str] | None:
        return person_for(service.rt.store if service.rt else None, header)

    app = web.Application(client_max_size=2 * 1024 * 1024,
                          middlewares=[guard_middleware(server, open_paths, people)])

    def rt() -> Any:
        if service.rt is None:
            raise web.HTTPServiceUnavailable(text="starting or stopping")
        return service.rt

    def handle(inc_id: str) -> str:
        return incident_handle(inc_id, server().api_token)

    def find(ref: str) -> str:
        """A handle or a readable id -> the incident id (unknown refs pass through for a 404)."""
        if ref.startswith("h") and len(ref) == 25:
            for inc in rt().store.list_incidents(limit=100_000):
                if hmac.compare_digest(handle(inc.id), ref):
                    return str(inc.id)
        return ref

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
        return _json([incident_json(i, handle(i.id)) for i in rt().store.list_incidents(status=status)])

    async def one(request: web.Request) -> web.Response:
        found = rt().store.get_incident(find(request.match_info["id"]))
        if found is None:
            return _json({"error": "no such incident (see GET /incidents)"}, 404)
        return _json(incident_json(found[1], handle(found[1].id)))

    async def act(request: web.Request) -> web.Response:
        r, data = rt(), await read_json_body(request, server())
        by = request.get(PERSON) or _by(data)
        action = request.match_info["action"]
        try:
            with r.engine.batch():
                fn = r.engine.acknowledge if action == "ack" else r.engine.resolve
                inc = fn(find(request.match_info["id"]), by, service.clock.now())
                ActionStore(r.store).audit(at=service.clock.now(), actor=by, channel="api", action=action,
                                           incident_id=inc.id)
        except IncidentError as exc:
            return _json({"error": str(exc)}, 404 if "no incident" in str(exc) else 409)
        return _json(incident_json(inc, handle(inc.id)))

    async def relabel(request: web.Request) -> web.Response:
        r, data = rt(), await read_json_body(request, server())
        label = data.get("label")
        if label not in LABELS:
            return _json({"error": f"label must be one of {', '.join(LABELS)}"}, 400)
        note = data.get("note")
        if note is not None and not isinstance(note, str):
            return _json({"error": "note must be a string"}, 400)
        try:
            with r.engine.batch():
                by = request.get(PERSON) or _by(data)
                scopes = r.engine.relabel(request.match_info["key"], label, by, service.clock.now(), note)
                ActionStore(r.store).audit(at=service.clock.now(), actor=by, channel="api", action="relabel",
                                           key=request.match_info["key"], label=label)
        except IncidentError as exc:
            return _json({"error": str(exc)}, 404)
        return _json({"key": request.match_info["key"], "label": label, "reevaluated": scopes})

    async def reload(request: web.Request) -> web.Response:
        data = await read_json_body(request, server())
        ok = service.reload()
        if service.rt is not None:
            ActionStore(service.rt.store).audit(at=service.clock.now(), actor=request.get(PERSON) or _by(data),
                                                channel="api", action="reload", ok=ok)
        return _json({"reloaded": ok}, 200 if ok else 409)

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/incidents", incidents)
    app.router.add_get("/incidents/{id}", one)
    app.router.add_post("/incidents/{id}/{action:ack|resolve}", act)
    app.router.add_post("/posts/{key:.+}/relabel", relabel)
    app.router.add_post("/-/reload", reload)
    app.router.add_routes(interact_routes(service))
    app.router.add_routes(task_routes(service))  # the playbook as a checklist (monitor.tasks.api)
    app.router.add_routes(console_routes(service))  # the web console at / (monitor.console)
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
