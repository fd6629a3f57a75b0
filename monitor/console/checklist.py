"""The playbook as a live checklist in the console: tick tasks, edit and approve the statement.

All through :class:`monitor.tasks.TaskBook`, the same interface as ``monitor tasks`` and the
HTTP API, so a tick here is audited exactly like one from the CLI (channel ``console``).
Approving needs a person of an approver role (``tasks.roles``/``tasks.approvers``) or an admin,
and the version the approver read: an edit in between is never approved unseen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import web

from monitor.console.auth import SESSION
from monitor.tasks import Statement, TaskBook, TaskError, TaskView

if TYPE_CHECKING:
    from monitor.console import Console


@dataclass(frozen=True, slots=True)
class Item:
    """A task as the pages show it."""

    id: str
    kind: str
    role: str
    title: str
    owner: str
    due: datetime
    done: bool
    done_at: datetime | None
    done_by: str | None
    overdue: bool
    outcome: str

    @classmethod
    def of(cls, v: TaskView) -> Item:
        t = v.task
        return cls(t.id, t.kind, t.role, t.text, ", ".join(v.owners), t.due_at, t.done, t.done_at, t.done_by,
                   v.overdue, v.outcome)


def book(console: Console) -> TaskBook:
    rt = console.service.rt
    if rt is None:
        raise web.HTTPServiceUnavailable(text="starting or stopping")
    return TaskBook(rt.store, console.service.loaded.config.tasks)


def attach(console: Console) -> list[web.RouteDef]:
    """Give the pages their tasks and statement, and the routes that change them."""

    def tasks_for(incident_id: str) -> list[Any]:
        return [Item.of(v) for v in book(console).tasks(console.service.clock.now(), incident_id)]

    def statement_for(incident_id: str) -> Statement | None:
        try:
            return book(console).statement(incident_id)
        except TaskError:
            return None

    console.tasks_for, console.statement_for = tasks_for, statement_for
    return routes(console)


def _back(incident_id: str) -> web.Response:
    return web.Response(status=303, headers={"Location": "/console/incidents/" + quote(incident_id, safe="")})


def routes(console: Console) -> list[web.RouteDef]:
    auth, clock = console.auth, console.service.clock

    @auth.guard("responder")
    async def tick(request: web.Request) -> web.StreamResponse:
        s = request[SESSION]
        form = await auth.form(request, s)
        b = book(console)
        try:
            view = b.mark_done(request.match_info["id"], s.name, clock.now(), channel="console",
                               done=form.get("done", "1") != "0")
        except TaskError as exc:
            raise web.HTTPNotFound(text=str(exc)) from None
        state = "done" if view.task.done else "not done"
        console.flash[s.name] = (True, f"{view.task.role}: {view.task.text[:80]} — {state}")
        return _back(view.task.incident_id)

    @auth.guard("responder")
    async def edit(request: web.Request) -> web.StreamResponse:
        s = request[SESSION]
        form = await auth.form(request, s)
        incident_id = request.match_info["id"]
        try:
            book(console).edit_statement(incident_id, form.get("text", "").replace("\r\n", "\n"), s.name,
                                         clock.now(), channel="console")
            console.flash[s.name] = (True, "Statement saved; it needs approval again before anyone sends it")
        except TaskError as exc:
            console.flash[s.name] = (False, str(exc))
        return _back(incident_id)

    @auth.guard("responder")
    async def approve(request: web.Request) -> web.StreamResponse:
        s = request[SESSION]
        form = await auth.form(request, s)
        incident_id = request.match_info["id"]
        version = form.get("version", "")
        try:
            book(console).approve_statement(incident_id, s.name, clock.now(), channel="console",
                                            admin=s.role == "admin",
                                            version=int(version) if version.isdigit() else None)
            console.flash[s.name] = (True, f"Statement approved by {s.name}")
        except TaskError as exc:
            console.flash[s.name] = (False, str(exc))
        return _back(incident_id)

    return [web.post("/console/tasks/{id}/done", tick), web.post("/console/incidents/{id}/statement", edit),
            web.post("/console/incidents/{id}/statement/approve", approve)]
