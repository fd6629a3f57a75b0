"""Who may call the daemon's own routes: Host, Origin, bearer token, content type, body limits.

Secure by default. Reads are open on the bind address (loopback by default). Mutations
need ``Authorization: Bearer <server.api_token>`` (or a person's token with a role that
allows it); with no token configured the API is read-only, and config validation refuses
a non-loopback ``server.host`` without one. Every request must name an allowed Host
(loopback names, IP literals, ``server.allowed_hosts``: DNS rebinding is refused); a
mutation must come from no browser origin or an allowed one and carry
``Content-Type: application/json``, so a cross-site form or ``text/plain`` POST never
gets through. Bodies are read within ``server.max_body_bytes`` and decoded within
``server.limits`` (:mod:`monitor.safejson`).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiohttp import web

from monitor.api.errors import (
    BadRequest,
    Forbidden,
    Handler,
    MisdirectedRequest,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedMediaType,
)
from monitor.interact.api import PERSON, role_allows
from monitor.safejson import JsonLimitError, loads

if TYPE_CHECKING:
    from monitor.config import ServerConfig

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
MAX_BY_CHARS = 200


def authorized(request: web.Request, token: str | None) -> bool:
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


def host_name(value: str) -> str:
    """The name in a Host header, without port or brackets."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value[1:]
    if value.count(":") == 1:
        value = value.split(":", 1)[0]
    return value.rstrip(".")


def host_allowed(header: str, allowed: list[str]) -> bool:
    """Loopback names, IP literals (never a rebinding) and the configured names pass."""
    name = host_name(header)
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


def guard_middleware(server: Callable[[], ServerConfig], open_paths: Callable[[str], bool],
                     people: Callable[[str], tuple[str, str] | None] | None = None) -> Any:
    """Host, Origin, token and content-type checks for the daemon's own routes.

    Push sources and signed callbacks (``open_paths(path)`` true) authenticate every request
    themselves and are called from other servers, so only their own checks apply there.
    """

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if open_paths(request.path):
            return await handler(request)
        check_request(request, server(), people)
        return await handler(request)

    return guard


def check_request(request: web.Request, cfg: ServerConfig,
                  people: Callable[[str], tuple[str, str] | None] | None = None) -> None:
    """Raise the refusal for ``request``, if any; a person's token sets ``request[PERSON]``."""
    host = request.headers.get("Host", "")
    if host and not host_allowed(host, cfg.allowed_hosts):
        raise MisdirectedRequest(f"Host {host_name(host)!r} is not served here (DNS rebinding is refused); "
                                 f"add it to server.allowed_hosts if this name is yours")
    if request.method in SAFE_METHODS or getattr(request.match_info, "http_exception", None) is not None:
        return  # a read, or no route to protect: the router answers 404 or 405
    origin = request.headers.get("Origin")
    if origin is not None and not origin_allowed(origin, host, cfg.allowed_origins):
        raise Forbidden(f"cross-site request from origin {origin[:100]!r} refused; "
                        f"add it to server.allowed_origins if it is yours")
    if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site" and origin is None:
        raise Forbidden("cross-site request refused")
    token = cfg.api_token
    person = None if authorized(request, token) else (people or (lambda _h: None))(
        request.headers.get("Authorization", ""))
    if person is not None:  # a person's own token: its role decides (monitor.interact.api)
        if not role_allows(person[1], request.method, request.path):
            raise Forbidden(f"{person[0]} is a {person[1]}; this needs a higher role")
        request[PERSON] = person[0]
    elif not token:
        raise Forbidden("the API is read-only: no server.api_token is configured; set one "
                        "(api_token: ${MONITOR_API_TOKEN}) to acknowledge, resolve, relabel or reload over HTTP")
    elif not authorized(request, token):
        raise Unauthorized("missing or wrong bearer token (server.api_token)")
    ctype = request.content_type.lower() if "Content-Type" in request.headers else "none"
    if not (ctype == "application/json" or ctype.endswith("+json")):
        raise UnsupportedMediaType(f"send Content-Type: application/json (got {ctype}); "
                                   f"the body may be empty or a JSON object")


async def read_json_body(request: web.Request, cfg: ServerConfig) -> dict[str, Any]:
    """The body as a JSON object, within the size and shape limits; an empty body is ``{}``."""
    limit = cfg.max_body_bytes
    too_large = f"body is larger than the {limit}-byte limit (server.max_body_bytes)"
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(too_large)
    raw = bytearray()
    while chunk := await request.content.read(65536):
        raw.extend(chunk)
        if len(raw) > limit:
            raise PayloadTooLarge(too_large)
    if not raw.strip():
        return {}
    try:
        data = loads(bytes(raw), cfg.limits)
    except UnicodeDecodeError:
        raise BadRequest("body is not UTF-8 text") from None
    except JsonLimitError as exc:
        raise BadRequest(f"body refused: {exc}") from None
    except ValueError as exc:
        raise BadRequest(f"body must be JSON ({str(exc)[:100]})") from None
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    return data


def actor(request: web.Request, data: dict[str, Any]) -> str:
    """Who acts: a person's token names them; with the shared token, ``by`` in the body (default "api")."""
    person = request.get(PERSON)
    if person:
        return str(person)
    by = data.get("by")
    if by is None or by == "":
        return "api"
    if not isinstance(by, str) or len(by) > MAX_BY_CHARS:
        raise BadRequest(f"'by' must be a name of at most {MAX_BY_CHARS} characters")
    return by
