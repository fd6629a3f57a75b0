"""The console's pages: Now, Incident, Brands, History (with drills) and the viewer's settings (GET only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from monitor.console import data
from monitor.console.auth import SESSION
from monitor.console.chart import sparkline_svg
from monitor.console.drills import drill_rows, scorecard_page
from monitor.console.render import Clockface, page, zone_of
from monitor.interact.actions import ACTIONS, LABELS
from monitor.names import LABELS as POST_LABELS
from monitor.store_actions import ActionStore

if TYPE_CHECKING:
    from monitor.console import Console

RELABELS = POST_LABELS  # a post is relabelled to one of the model's labels


def viewer_zone(console: Console, request: web.Request) -> str:
    s = request[SESSION]
    cfg = console.service.loaded.config
    return s.timezone or cfg.server.console.timezone or cfg.timezone


def ctx(console: Console, request: web.Request, title: str, nav: str, **more: Any) -> dict[str, Any]:
    s = request[SESSION]
    now = console.service.clock.now()
    zone = viewer_zone(console, request)
    return {"title": title, "nav": nav, "me": s, "csrf": s.csrf, "clock": Clockface(zone_of(zone)), "now": now,
            "can_act": s.role in ("responder", "admin"), "flash": console.flash.pop(s.name, None), "zone": zone,
            **more}


def rt(console: Console) -> Any:
    if console.service.rt is None:
        raise web.HTTPServiceUnavailable(text="starting or stopping")
    return console.service.rt


def routes(console: Console) -> list[web.RouteDef]:
    need = console.auth.guard
    env = console.env

    @need("viewer")
    async def now_page(request: web.Request) -> web.StreamResponse:
        r, now = rt(console), console.service.clock.now()
        rows = data.open_rows(r, now, console.tasks_for)
        srcs = data.sources(r, now)
        return page(env, "now.html", **ctx(console, request, "Now", "now", rows=rows, sources=srcs,
                                           blind=[s for s in srcs if s.get("status") == "unhealthy"],
                                           silences=data.silences(r, now)))

    @need("viewer")
    async def incident_page(request: web.Request) -> web.StreamResponse:
        r, now = rt(console), console.service.clock.now()
        found = r.store.get_incident(request.match_info["id"])
        if found is None:
            raise web.HTTPNotFound(text="no such incident")
        inc = found[1]
        try:
            pageno = max(0, min(int(request.query.get("page", "0")), 100_000))
        except ValueError:
            pageno = 0
        recs = data.records(r.store, inc.id)
        audit = data.audit_rows(ActionStore(r.store).audit_log(inc.id))
        evidence = r.store.incident_evidence(inc.id)
        start, end = data.window_of(r, inc, now)
        total, posts = data.evidence_page(r.store, inc.brand, start, end, pageno)
        c = ctx(console, request, f"{inc.level} · {data.brand_name(r, inc.brand)}", "now")
        chart = data.incident_chart(r.store, r.loaded, inc, now, c["clock"].zone, data.brand_name(r, inc.brand))
        tasks = console.tasks_for(inc.id) if console.tasks_for else None
        return page(env, "incident.html", **c, inc=inc, brand_name=data.brand_name(r, inc.brand),
                    story=data.lead_story(evidence), evidence=evidence, stories=data.stories(evidence), recs=recs,
                    audit=audit, chart=chart,
                    why=data.why(recs), marks=ActionStore(r.store).marks(inc.id), posts=posts, total=total,
                    pageno=pageno, pages=(total + data.PAGE - 1) // data.PAGE, per_page=data.PAGE,
                    playbook=data.latest_playbook(recs), deadline=data.next_deadline(inc, recs, now, tasks),
                    actions=[(a, LABELS[a]) for a in ACTIONS], relabels=RELABELS, tasks=tasks,
                    statement=console.statement_for(inc.id) if console.statement_for else None,
                    summary=data.after_action(inc, evidence, tasks))

    @need("viewer")
    async def brands_page(request: web.Request) -> web.StreamResponse:
        r, now = rt(console), console.service.clock.now()
        rows = data.brand_rows(r, now)
        for row in rows:
            row["svg"] = sparkline_svg(row["spark"], f"{row['name']}: negative posts per hour, last 7 days")
        return page(env, "brands.html", **ctx(console, request, "Brands", "brands", rows=rows))

    @need("viewer")
    async def history_page(request: web.Request) -> web.StreamResponse:
        r = rt(console)
        past = []
        for inc in r.store.list_incidents(status="resolved", limit=200):
            tasks = console.tasks_for(inc.id) if console.tasks_for else None
            past.append((inc, data.brand_name(r, inc.brand),
                         data.after_action(inc, r.store.incident_evidence(inc.id), tasks)))
        audit = data.audit_rows(list(reversed(ActionStore(r.store).audit_log()))[:300])
        return page(env, "history.html", **ctx(console, request, "History", "history", past=past, audit=audit,
                                               reports=console.reports(), drills=drill_rows(r.store)))

    @need("viewer")
    async def settings_page(request: web.Request) -> web.StreamResponse:
        from zoneinfo import available_timezones

        zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
        return page(env, "settings.html", **ctx(console, request, "Settings", "settings", zones=["UTC", *zones]))

    return [web.get("/", now_page), web.get("/console", now_page), web.get("/console/incidents/{id}", incident_page),
            web.get("/console/brands", brands_page), web.get("/console/history", history_page),
            web.get("/console/drills/{id}", need("viewer")(scorecard_page(console))),
            web.get("/console/settings", settings_page)]
