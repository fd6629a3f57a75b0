"""HTTP API for silences, the audit log and people's roles.

Routes here sit behind the API's guard (Host, Origin, bearer token, JSON). A token is
either the shared ``server.api_token`` (an admin, as before) or a person's token made with
``monitor tokens add`` (stored hashed) whose role decides what it may do:

- viewer: reads only;
- responder: acknowledge, resolve, relabel, snooze, silences, tasks;
- admin: everything, including reload.

The person's name is the actor in the audit log; a ``by`` in the body is only honoured
for the shared token (which names nobody).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from monitor.durations import parse_duration
from monitor.store_actions import ROLES, ActionError, ActionStore

if TYPE_CHECKING:
    from monitor.service import Service

ADMIN_ONLY = ("/-/reload",)
PERSON = web.RequestKey("person", str)  # set by the API guard for a person's token


def person_for(store: Any, header: str) -> tuple[str, str] | None:
    """(person, role) for ``Authorization: Bearer <person token>``, or None."""
    if store is None or not header.startswith("Bearer "):
        return None
    return ActionStore(store).who(header[len("Bearer "):].strip())


def role_allows(role: str, method: str, path: str) -> bool:
    if method in ("GET", "HEAD", "OPTIONS"):
        return role in ROLES
    if role == "admin":
        return True
    return role == "responder" and not path.startswith(ADMIN_ONLY)


def actor(request: web.Request, data: dict[str, Any]) -> str:
    person = request.get(PERSON)
    if person:
        return str(person)
    by = data.get("by")
    return by[:200] if isinstance(by, str) and by else "api"


def routes(service: Service) -> list[web.RouteDef]:
    from monitor.api.errors import query_choice, query_text
    from monitor.http_api import read_json_body

    def rt() -> Any:
        if service.rt is None:
            raise web.HTTPServiceUnavailable(text="starting or stopping")
        return service.rt

    def bad(message: str, status: int = 400) -> web.Response:
        return web.json_response({"error": message}, status=status)

    async def list_silences(request: web.Request) -> web.Response:
        now = service.clock.now()
        active_only = query_choice(request, "active", ("0", "1", "true", "false"), default="0") in ("1", "true")
        items = ActionStore(rt().store).silences(now if active_only else None)
        return web.json_response([{**s.to_json(), "active": s.active(now)} for s in items])

    async def add_silence(request: web.Request) -> web.Response:
        data = await read_json_body(request, service.loaded.config.server)
        now = service.clock.now()
        try:
            length = parse_duration(data.get("for", ""))
        except ValueError as exc:
            return bad(f"'for' must be a duration such as 2h: {exc}")
        if length <= timedelta(0):
            return bad("'for' must be a positive duration such as 2h")
        fields = {k: data.get(k) for k in ("level", "category", "story")}
        if any(v is not None and not isinstance(v, str) for v in [*fields.values(), data.get("brand"),
                                                                    data.get("reason")]):
            return bad("brand, level, category, story and reason must be strings")
        who = actor(request, data)
        actions = ActionStore(rt().store)
        try:
            with rt().store.transaction():
                s = actions.add_silence(brand=str(data.get("brand") or ""), starts_at=now, ends_at=now + length,
                                        created_by=who, reason=str(data.get("reason") or ""),
                                        include_red=data.get("include_red") is True, **fields)
                actions.audit(at=now, actor=who, channel="api", action="silence", silence=s.id, brand=s.brand,
                              level=s.level, until=s.ends_at.isoformat())
        except ActionError as exc:
            return bad(str(exc))
        return web.json_response({**s.to_json(), "active": True}, status=201)

    async def expire_silence(request: web.Request) -> web.Response:
        data = await read_json_body(request, service.loaded.config.server)
        now, who = service.clock.now(), actor(request, data)
        actions = ActionStore(rt().store)
        try:
            with rt().store.transaction():
                s = actions.expire_silence(request.match_info["id"], now)
                actions.audit(at=now, actor=who, channel="api", action="silence_expire", silence=s.id)
        except ActionError as exc:
            return bad(str(exc), 404)
        return web.json_response({**s.to_json(), "active": False})

    async def audit(request: web.Request) -> web.Response:
        return web.json_response(ActionStore(rt().store).audit_log(query_text(request, "incident", 200)))

    return [web.get("/silences", list_silences), web.post("/silences", add_silence),
            web.post("/silences/{id}/expire", expire_silence), web.get("/audit", audit)]
