"""Drill and backtest reports (``monitor drill --report DIR``) shown from ``server.console.reports_dir``."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from monitor.console import Console

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def report_file(console: Console) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def serve(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        root = console.service.loaded.config.server.console.reports_dir
        if root is None or not _NAME.match(name) or ".." in name:
            raise web.HTTPNotFound(text="no such report")
        base = root if root.is_absolute() else Path(console.service.loaded.file).parent / root
        path = base / name / "report.html"
        if not path.is_file():
            raise web.HTTPNotFound(text="no such report")
        # the report is a file on disk, not ours to trust fully: sandboxed, no scripts of its own run
        return web.FileResponse(path, headers={"Content-Security-Policy": "sandbox; default-src 'self' 'unsafe-inline' "
                                               "data:", "Content-Type": "text/html; charset=utf-8"})

    return serve
