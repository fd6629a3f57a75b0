"""Incidents over HTTP: list, one, acknowledge, resolve; relabel a post.

URLs name incidents by an unguessable handle keyed by the API token (readable ids still
work, with the token). Engine errors map to status codes by type: an unknown incident or
post is 404, an incident in the wrong state (already resolved or acknowledged) is 409.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web

from monitor.api.context import now, runtime, server_config
from monitor.api.errors import BadRequest, Conflict, NotFound, json_response, query_choice, query_int
from monitor.api.guard import actor, read_json_body
from monitor.errors import IncidentError, UnknownIncident
from monitor.models import format_ts
from monitor.names import LABELS
from monitor.store_actions import ActionStore

STATUSES = ("open", "resolved", "all")
MAX_LIMIT = 1000
HANDLE_CHARS = 25
_PROCESS_KEY = secrets.token_bytes(32)  # handle key when no token is configured (the API is read-only then)


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


def _handle(request: web.Request, incident_id: str) -> str:
    return incident_handle(incident_id, server_config(request).api_token)


def _with_handle(request: web.Request, inc: Any) -> dict[str, Any]:
    return incident_json(inc, _handle(request, inc.id))


def resolve_ref(request: web.Request, ref: str) -> str:
    """A handle or a readable id -> the incident id (unknown refs pass through, to be reported as 404)."""
    if ref.startswith("h") and len(ref) == HANDLE_CHARS:
        for inc in runtime(request).store.list_incidents(limit=100_000):
            if hmac.compare_digest(_handle(request, inc.id), ref):
                return str(inc.id)
    return ref


@contextmanager
def engine_errors() -> Iterator[None]:
    """The engine's refusals as API errors, chosen by type."""
    try:
        yield
    except UnknownIncident as exc:
        raise NotFound(str(exc)) from None
    except IncidentError as exc:
        raise Conflict(str(exc)) from None


async def list_incidents(request: web.Request) -> web.Response:
    """GET /incidents?status=open|resolved|all&limit=N: newest first."""
    status = query_choice(request, "status", STATUSES, default="all")
    limit = query_int(request, "limit", default=100, minimum=1, maximum=MAX_LIMIT)
    found = runtime(request).store.list_incidents(status=None if status == "all" else status, limit=limit)
    return json_response([_with_handle(request, i) for i in found])


async def get_incident(request: web.Request) -> web.Response:
    """GET /incidents/{id}: by handle or readable id."""
    found = runtime(request).store.get_incident(resolve_ref(request, request.match_info["id"]))
    if found is None:
        raise NotFound("no such incident (see GET /incidents)")
    return json_response(_with_handle(request, found[1]))


async def _act(request: web.Request, action: str) -> web.Response:
    rt = runtime(request)
    data = await read_json_body(request, server_config(request))
    by = actor(request, data)
    with engine_errors(), rt.engine.batch():
        fn = rt.engine.acknowledge if action == "ack" else rt.engine.resolve
        inc = fn(resolve_ref(request, request.match_info["id"]), by, now(request))
        ActionStore(rt.store).audit(at=now(request), actor=by, channel="api", action=action,  # type: ignore[arg-type]
                                    incident_id=inc.id)
    return json_response(_with_handle(request, inc))


async def acknowledge(request: web.Request) -> web.Response:
    """POST /incidents/{id}/ack: someone owns it; reminders and deadline escalation stop."""
    return await _act(request, "ack")


async def resolve(request: web.Request) -> web.Response:
    """POST /incidents/{id}/resolve: close by hand (the all-clear is sent)."""
    return await _act(request, "resolve")


async def relabel(request: web.Request) -> web.Response:
    """POST /posts/{key}/relabel: a human corrects a post's sentiment; open incidents are re-judged."""
    rt = runtime(request)
    data = await read_json_body(request, server_config(request))
    label = data.get("label")
    if label not in LABELS:
        raise BadRequest(f"label must be one of {', '.join(LABELS)}", allowed=list(LABELS))
    note = data.get("note")
    if note is not None and not isinstance(note, str):
        raise BadRequest("note must be a string")
    key = request.match_info["key"]
    by = actor(request, data)
    with engine_errors(), rt.engine.batch():
        scopes = rt.engine.relabel(key, label, by, now(request), note)
        ActionStore(rt.store).audit(at=now(request), actor=by, channel="api", action="relabel",  # type: ignore[arg-type]
                                    key=key, label=label)
    return json_response({"key": key, "label": label, "reevaluated": scopes})


def routes(_service: object) -> list[web.RouteDef]:
    return [web.get("/incidents", list_incidents), web.get("/incidents/{id}", get_incident),
            web.post("/incidents/{id}/ack", acknowledge), web.post("/incidents/{id}/resolve", resolve),
            web.post("/posts/{key:.+}/relabel", relabel)]
