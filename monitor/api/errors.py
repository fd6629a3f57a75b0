"""Typed API errors, one JSON shape for all of them, and query-parameter checks.

Handlers raise an :class:`ApiError` subclass; its type decides the status code, never
its text. :func:`error_middleware` turns it, aiohttp's own errors (an unknown path, a
method the route does not take, a body over the limit) and any unexpected exception
into ``{"error": "<message>"}`` plus details (``parameter``, ``allowed``), so a client
never has to parse plain text or HTML from the API.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web

from monitor.errors import MonitorError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON with non-ASCII text kept readable (brand names, Chinese posts)."""
    return web.json_response(data, status=status, headers=headers,
                             dumps=lambda d: json.dumps(d, ensure_ascii=False))


class ApiError(MonitorError):
    """A request the API refuses; subclasses fix the status code."""

    status = 500

    def __init__(self, message: str, *, headers: dict[str, str] | None = None, **detail: Any) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}
        self.detail = detail

    def body(self) -> dict[str, Any]:
        return {"error": self.message, **self.detail}

    def response(self) -> web.Response:
        return json_response(self.body(), self.status, self.headers)


class BadRequest(ApiError):
    status = 400


class InvalidParameter(BadRequest):
    """A query parameter out of its allowed values or range; the body names both."""

    def __init__(self, parameter: str, message: str, allowed: Sequence[str] | None = None) -> None:
        detail: dict[str, Any] = {"parameter": parameter}
        if allowed is not None:
            detail["allowed"] = list(allowed)
        super().__init__(message, **detail)


class Unauthorized(ApiError):
    status = 401

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer realm="brand-monitor"'})


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class MethodNotAllowed(ApiError):
    status = 405


class Conflict(ApiError):
    status = 409


class PayloadTooLarge(ApiError):
    status = 413


class UnsupportedMediaType(ApiError):
    status = 415


class MisdirectedRequest(ApiError):
    status = 421


class Unavailable(ApiError):
    status = 503


def query_choice(request: web.Request, name: str, allowed: Sequence[str], default: str | None = None) -> str | None:
    """The parameter's value if it is one of ``allowed`` (absent: ``default``), else 400 naming both."""
    values = request.query.getall(name, [])
    if not values:
        return default
    if len(values) > 1:
        raise InvalidParameter(name, f"give {name} once", allowed)
    if values[0] not in allowed:
        raise InvalidParameter(name, f"{name} must be one of {', '.join(allowed)} (got {values[0][:50]!r})", allowed)
    return values[0]


def query_int(request: web.Request, name: str, default: int, minimum: int, maximum: int) -> int:
    """An integer parameter within [minimum, maximum], else 400 naming the range."""
    values = request.query.getall(name, [])
    if not values:
        return default
    text = values[0].strip()
    if len(values) > 1 or not text.isascii() or not text.isdigit() or not minimum <= int(text) <= maximum:
        raise InvalidParameter(name, f"{name} must be a whole number from {minimum} to {maximum} "
                                     f"(got {values[-1][:50]!r})")
    return int(text)


def query_text(request: web.Request, name: str, max_chars: int = 200) -> str | None:
    """An optional free-text parameter, bounded."""
    values = request.query.getall(name, [])
    if not values:
        return None
    if len(values) > 1 or len(values[0]) > max_chars:
        raise InvalidParameter(name, f"{name} must be given once, at most {max_chars} characters")
    return values[0]


def _from_http(exc: web.HTTPException, request: web.Request) -> ApiError:
    """aiohttp's own refusals, in our shape."""
    if isinstance(exc, web.HTTPNotFound):
        return NotFound(f"no route {request.method} {request.path[:200]} (see GET /openapi.json)")
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = sorted(exc.allowed_methods)
        return MethodNotAllowed(f"{request.method} is not allowed on {request.path[:200]}; use "
                                f"{', '.join(allowed)}", headers={"Allow": ",".join(allowed)}, allowed=allowed)
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        return PayloadTooLarge("request body is larger than the server accepts (server.max_body_bytes)")
    error = ApiError(exc.text or exc.reason)
    error.status = exc.status
    return error


def _is_json(exc: web.HTTPException) -> bool:
    return exc.content_type == "application/json" and bool(exc.text)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The outermost middleware: every refusal and every crash answers in the API's JSON shape."""
    try:
        return await handler(request)
    except ApiError as exc:
        return exc.response()
    except web.HTTPException as exc:
        if exc.status < 400 or _is_json(exc):
            raise
        return _from_http(exc, request).response()
    except Exception:
        log.exception("HTTP %s %s failed", request.method, request.path[:200])
        return json_response({"error": "internal error; the daemon's log has the details"}, 500)
