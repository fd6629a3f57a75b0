"""HTTP API for the checklist, behind the API's guard (:func:`monitor.http_api.guard_middleware`).

- ``GET  /tasks?incident=ID&overdue=1``               every task (or one incident's), with owners and overdue flag
- ``GET  /incidents/{id}/tasks?overdue=1``             one incident's tasks (``id``: readable id or handle)
- ``POST /tasks/{id}/done``  ``{"done": true}``        tick (``false``: untick); a responder or admin
- ``GET  /incidents/{id}/statement``                   the holding statement: state, text, versions, numbers
- ``PUT  /incidents/{id}/statement``  ``{"text": ...}`` a new version; an approval of the old text is cleared
- ``POST /incidents/{id}/statement/approve``  ``{"version": n}``  an approver role's person, or an admin

Reads are open on the bind address like ``GET /incidents``; changes need a token (the shared
``server.api_token`` is an admin and names nobody, so its ``by`` is the actor; a person's token
is its person). Every change, and every refused approval, is in the audit log with channel ``api``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from monitor.api.incidents import resolve_ref
from monitor.interact.api import PERSON, actor, person_for
from monitor.tasks.model import TaskError
from monitor.tasks.service import TaskBook

if TYPE_CHECKING:
    from monitor.service import Service

STATUS = {"not_found": 404, "forbidden": 403, "conflict": 409, "invalid": 400}


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))


def _flag(value: str | None) -> bool:
    return value in ("1", "true", "yes")


def routes(service: Service) -> list[web.RouteDef]:
    from monitor.http_api import read_json_body

    def rt() -> Any:
        if service.rt is None:
            raise web.HTTPServiceUnavailable(text="starting or stopping")
        return service.rt

    def book() -> TaskBook:
        return TaskBook(rt().store, service.loaded.config.tasks)

    def who(request: web.Request, data: dict[str, Any]) -> tuple[str, bool]:
        """(actor, is admin): the shared token is an admin; a person's token carries its role."""
        if request.get(PERSON) is None:
            return actor(request, data), True
        found = person_for(rt().store, request.headers.get("Authorization", ""))
        return str(request[PERSON]), found is not None and found[1] == "admin"

    def refused(exc: TaskError) -> web.Response:
        return _json({"error": str(exc)}, STATUS.get(exc.reason, 400))

    async def list_tasks(request: web.Request) -> web.Response:
        incident = request.query.get("incident")
        views = book().tasks(service.clock.now(), resolve_ref(request, incident) if incident else None,
                             overdue=_flag(request.query.get("overdue")))
        return _json([v.to_json() for v in views])

    async def incident_tasks(request: web.Request) -> web.Response:
        inc = resolve_ref(request, request.match_info["id"])
        if rt().store.get_incident(inc) is None:
            return _json({"error": "no such incident (see GET /incidents)"}, 404)
        views = book().tasks(service.clock.now(), inc, overdue=_flag(request.query.get("overdue")))
        return _json([v.to_json() for v in views])

    async def done(request: web.Request) -> web.Response:
        data = await read_json_body(request, service.loaded.config.server)
        flag = data.get("done", True)
        if not isinstance(flag, bool):
            return _json({"error": "'done' must be true or false"}, 400)
        name, _admin = who(request, data)
        from monitor.drills.live import task_owner

        drill = task_owner(request.match_info["id"])  # a live drill's checklist: its own store, its own time
        target = TaskBook(drill.rt.store, service.loaded.config.tasks) if drill else book()
        when = drill.clock.at_wall(service.clock.now()) if drill else service.clock.now()
        try:
            view = target.mark_done(request.match_info["id"], name, when, channel="api", done=flag)
        except TaskError as exc:
            return refused(exc)
        return _json(view.to_json())

    async def statement(request: web.Request) -> web.Response:
        try:
            return _json(book().statement(resolve_ref(request, request.match_info["id"])).to_json())
        except TaskError as exc:
            return refused(exc)

    async def edit(request: web.Request) -> web.Response:
        data = await read_json_body(request, service.loaded.config.server)
        text = data.get("text")
        if not isinstance(text, str):
            return _json({"error": "'text' must be the statement's full text (a string)"}, 400)
        name, _admin = who(request, data)
        try:
            inc = resolve_ref(request, request.match_info["id"])
            st = book().edit_statement(inc, text, name, service.clock.now(), channel="api")
        except TaskError as exc:
            return refused(exc)
        return _json(st.to_json())

    async def approve(request: web.Request) -> web.Response:
        data = await read_json_body(request, service.loaded.config.server)
        version = data.get("version")
        if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
            return _json({"error": "'version' must be the version number you read (an integer)"}, 400)
        name, admin = who(request, data)
        try:
            inc = resolve_ref(request, request.match_info["id"])
            st = book().approve_statement(inc, name, service.clock.now(), channel="api", admin=admin, version=version)
        except TaskError as exc:
            return refused(exc)
        return _json(st.to_json())

    return [web.get("/tasks", list_tasks), web.get("/incidents/{id}/tasks", incident_tasks),
            web.post("/tasks/{id}/done", done), web.get("/incidents/{id}/statement", statement),
            web.put("/incidents/{id}/statement", edit), web.post("/incidents/{id}/statement/approve", approve)]
