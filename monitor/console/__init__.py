"""The crisis room: a web console served by the daemon's HTTP server at ``/``.

Server-rendered pages (Jinja2, :mod:`monitor.console.render`), a little plain JavaScript that
swaps the live part of a page when a Server-Sent Event says something changed
(:mod:`monitor.console.live`), and SVG charts drawn on the server (:mod:`monitor.console.chart`).
Nothing is public: every page needs a session (:mod:`monitor.console.auth`); accounts are made
with ``monitor users add``. The console's own paths (``/console/...``) check their session and
CSRF token themselves, so the API's bearer-token guard lets them through
(:func:`monitor.interact.open_paths`).

:func:`install` is the one call the HTTP server makes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiohttp import web

    from monitor.service import Service

PREFIX = "/console/"


class Console:
    """The console's parts for one daemon: sign-in, templates, live updates, messages to show once."""

    def __init__(self, service: Service) -> None:
        from monitor.console.auth import HEADERS, Auth
        from monitor.console.live import Hub
        from monitor.console.render import environment

        self.service = service
        self.auth = Auth(service)
        self.env = environment()
        self.headers = HEADERS
        self.flash: dict[str, tuple[bool, str]] = {}  # person -> the outcome of their last action
        self.hub = Hub(lambda: service.rt.store if service.rt is not None else None)
        self.tasks_for: Callable[[str], list[Any]] | None = None
        self.statement_for: Callable[[str], Any] | None = None

    def reports(self) -> list[dict[str, Any]]:
        """Drill and backtest reports under ``server.console.reports_dir`` (newest first)."""
        root = self.service.loaded.config.server.console.reports_dir
        if root is None:
            return []
        base = Path(self.service.loaded.file).parent / root if not root.is_absolute() else root
        out = []
        for path in sorted(base.glob("*/report.json"), key=lambda p: p.stat().st_mtime, reverse=True)[:50]:
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            alerts = doc.get("alerts") if isinstance(doc, dict) else None
            out.append({"name": path.parent.name, "alerts": len(alerts) if isinstance(alerts, list) else None,
                        "html": (path.parent / "report.html").exists()})
        return out


def install(app: web.Application, service: Service) -> Console:
    """Add the console's routes to the daemon's app (and end its live streams on shutdown)."""
    from monitor.console import checklist, forms, views
    from monitor.console.render import STATIC

    console = Console(service)
    app.router.add_routes([*views.routes(console), *forms.routes(console), *checklist.attach(console),
                           *_extra_routes(console)])
    app.router.add_static("/console/static/", STATIC, append_version=True)

    async def closing(_app: web.Application) -> None:
        await console.hub.close()

    app.on_shutdown.append(closing)  # before the server waits for open requests to finish
    return console


def _extra_routes(console: Console) -> list[web.RouteDef]:
    from aiohttp import web

    from monitor.console.reports import report_file

    events = console.auth.guard("viewer", api=True)(console.hub.stream)
    return [web.get("/console/events", events),
            web.get("/console/reports/{name}/report.html", console.auth.guard("viewer")(report_file(console)))]
