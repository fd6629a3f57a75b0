"""The crisis room: a web console served by the daemon's HTTP server at ``/``.

Server-rendered pages (Jinja2, :mod:`monitor.console.render`), a little plain JavaScript that
swaps the live part of a page when a Server-Sent Event says something changed
(:mod:`monitor.console.live`), and SVG charts drawn on the server (:mod:`monitor.console.chart`).
Nothing is public: every page needs a session (:mod:`monitor.console.auth`); accounts are made
with ``monitor users add``. The console's own paths (``/console/...``) check their session and
CSRF token themselves, so the API's bearer-token guard lets them through
(:func:`monitor.interact.open_paths`).

:func:`routes` is the one call the HTTP server makes (a route provider, like the API's). Open event
streams end as soon as the daemon starts stopping (``service.stop_event``).
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


def is_console(path: str) -> bool:
    """The console's own paths (``/`` and ``/console...``): HTML pages with their own session checks,
    not part of the JSON API that ``/openapi.json`` describes."""
    return path == "/" or path == "/console" or path.startswith(PREFIX)


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
        self.hub = Hub(lambda: service.rt.store if service.rt is not None else None,
                       stopping=getattr(service, "stop_event", None))
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
            summary = doc.get("summary") if isinstance(doc, dict) else None
            summary = summary if isinstance(summary, dict) else {}
            out.append({"name": path.parent.name, "incidents": summary.get("incidents"),
                        "notifications": summary.get("notifications"), "peak": summary.get("peak_level"),
                        "html": (path.parent / "report.html").exists()})
        return out


def routes(service: Service) -> list[web.AbstractRouteDef]:
    """The console's routes (pages, forms, checklist, live events, static files): a route provider
    like the API's, for the daemon's app builder."""
    from aiohttp import web

    from monitor.console import checklist, forms, views
    from monitor.console.render import STATIC
    from monitor.console.reports import report_file

    console = Console(service)
    events = console.auth.guard("viewer", api=True)(console.hub.stream)
    report = console.auth.guard("viewer")(report_file(console))
    return [*views.routes(console), *forms.routes(console), *checklist.attach(console),
            web.get("/console/events", events), web.get("/console/reports/{name}/report.html", report),
            web.static("/console/static/", STATIC, append_version=True)]
