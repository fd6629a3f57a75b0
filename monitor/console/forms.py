"""The console's forms: sign-in and out, incident actions, relabels and the viewer's time zone.

Incident actions go through :func:`monitor.interact.actions.perform`, the same path as Slack's
buttons, so they do the same thing and are audited the same way (channel ``console``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from monitor.console.auth import COOKIE, LOGIN_COOKIE, SESSION, safe_next
from monitor.console.render import page
from monitor.errors import IncidentError
from monitor.interact.actions import ACTIONS, perform
from monitor.names import LABELS as POST_LABELS
from monitor.store_actions import ActionStore

if TYPE_CHECKING:
    from monitor.console import Console

RELABELS = POST_LABELS  # a post is relabelled to one of the model's labels
MAX_NOTE = 500


def incident_url(incident_id: str) -> str:
    return "/console/incidents/" + quote(incident_id, safe="")


def redirect(location: str) -> web.Response:
    """303 See Other: after a POST the browser GETs the page again (no resubmission on reload)."""
    return web.Response(status=303, headers={"Location": location})


def routes(console: Console) -> list[web.RouteDef]:
    auth, env, service = console.auth, console.env, console.service

    def rt() -> Any:
        if service.rt is None:
            raise web.HTTPServiceUnavailable(text="starting or stopping")
        return service.rt

    async def login_form(request: web.Request, error: str | None = None, status: int = 200) -> web.Response:
        token = auth.login_token()
        resp = page(env, "login.html", title="Sign in", error=error, csrf=token,
                    next=safe_next(request.query.get("next", "/")), sso=bool(auth.cfg.proxy_user_header))
        resp.set_status(status)
        resp.headers.update(console.headers)
        auth.set_cookie(request, resp, LOGIN_COOKIE, token, 600)
        return resp

    async def login_page(request: web.Request) -> web.StreamResponse:
        if not auth.cfg.enabled:
            raise web.HTTPNotFound(text="the console is off (server.console.enabled)")
        if auth.session(request) is not None:
            raise web.HTTPSeeOther(safe_next(request.query.get("next", "/")))
        return await login_form(request)

    async def login(request: web.Request) -> web.StreamResponse:
        if not auth.cfg.enabled:
            raise web.HTTPNotFound(text="the console is off (server.console.enabled)")
        form = await auth.form(request, None)
        name, password = form.get("name", "").strip()[:100], form.get("password", "")[:1024]
        now, limits = service.clock.now(), auth.limits()
        keys = [f"addr:{auth.client(request)}", f"name:{name.lower()}"]
        if limits.blocked(keys, now):
            return await login_form(request, "Too many failed sign-ins; wait a few minutes and try again.", 429)
        accounts = auth.accounts()
        account = accounts.check(name, password) if name and password else None
        if account is None:
            limits.fail(keys, now)
            return await login_form(request, "Wrong name or password.", 401)
        limits.succeed(keys)
        accounts.prune(now)  # ended sessions are forgotten as people sign in
        sid = accounts.open_session(account.name, now, auth.cfg.session_ttl)
        ActionStore(rt().store).audit(at=now, actor=account.name, channel="console", action="sign_in",
                                      address=auth.client(request))
        resp = redirect(safe_next(form.get("next", "/")))
        auth.set_cookie(request, resp, COOKIE, sid, None)
        resp.del_cookie(LOGIN_COOKIE, path="/")
        return resp

    @auth.guard("viewer")
    async def logout(request: web.Request) -> web.StreamResponse:
        s = request[SESSION]
        await auth.form(request, s)
        auth.accounts().close_session(request.cookies.get(COOKIE, ""))
        ActionStore(rt().store).audit(at=service.clock.now(), actor=s.name, channel="console", action="sign_out")
        resp = redirect("/console/login")
        resp.del_cookie(COOKIE, path="/")
        return resp

    @auth.guard("responder")
    async def act(request: web.Request) -> web.StreamResponse:
        s = request[SESSION]
        form = await auth.form(request, s)
        incident_id, action = request.match_info["id"], form.get("action", "")
        if action not in ACTIONS:
            raise web.HTTPBadRequest(text=f"unknown action; use one of {', '.join(ACTIONS)}")
        outcome = perform(rt(), action, incident_id, s.name, "console", service.clock.now())
        console.flash[s.name] = (outcome.ok, outcome.message)
        return redirect(incident_url(incident_id))

    @auth.guard("responder")
    async def relabel(request: web.Request) -> web.StreamResponse:
        s = request[SESSION]
        form = await auth.form(request, s)
        key, label, back = form.get("key", ""), form.get("label", ""), form.get("incident", "")
        note = form.get("note", "")[:MAX_NOTE] or None
        if label not in RELABELS:
            raise web.HTTPBadRequest(text=f"label must be one of {', '.join(RELABELS)}")
        r, now = rt(), service.clock.now()
        try:
            with r.engine.batch():
                r.engine.relabel(key, label, s.name, now, note)
                ActionStore(r.store).audit(at=now, actor=s.name, channel="console", action="relabel", key=key,
                                           label=label, incident_id=back or None)
            console.flash[s.name] = (True, f"{key} relabelled {label} by {s.name}")
        except IncidentError as exc:
            console.flash[s.name] = (False, str(exc))
        page_no = form.get("page", "0")
        suffix = f"?page={int(page_no)}" if page_no.isdigit() else ""
        return redirect((incident_url(back) + suffix) if back else "/")

    @auth.guard("viewer")
    async def set_zone(request: web.Request) -> web.StreamResponse:
        s = request[SESSION]
        form = await auth.form(request, s)
        zone = form.get("timezone", "").strip()
        if zone:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise web.HTTPBadRequest(text="unknown time zone; pick one from the list") from None
        auth.accounts().set_timezone(s.name, zone or None)
        ActionStore(rt().store).audit(at=service.clock.now(), actor=s.name, channel="console", action="timezone",
                                      timezone=zone or None)
        console.flash[s.name] = (True, f"Times now show in {zone or 'the default zone'}")
        return redirect("/console/settings")

    return [web.get("/console/login", login_page), web.post("/console/login", login),
            web.post("/console/logout", logout), web.post("/console/incidents/{id}/act", act),
            web.post("/console/relabel", relabel), web.post("/console/settings", set_zone)]
