"""Templates and the viewer's clock: Jinja2 with autoescaping, times in the viewer's zone.

Every text a post, a brand or a person wrote goes through Jinja's autoescape; the only markup
marked safe is what this package builds itself (``<time>`` elements, the SVG charts, which
escape their own labels). Times read in the viewer's zone (their setting, else
``server.console.timezone``, else the top-level ``timezone``) with the absolute UTC time in
the tooltip.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


class Clockface:
    """Formats instants for one viewer."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone

    def local(self, ts: datetime | None) -> str:
        if ts is None:
            return "—"
        return _utc(ts).astimezone(self.zone).strftime("%Y-%m-%d %H:%M %Z")

    def time(self, ts: datetime | None) -> Markup:
        """``<time>`` in the viewer's zone; the tooltip and ``datetime`` hold UTC."""
        if ts is None:
            return Markup("—")
        utc = _utc(ts)
        return Markup('<time datetime="{}" title="{} UTC">{}</time>').format(
            utc.strftime("%Y-%m-%dT%H:%M:%SZ"), utc.strftime("%Y-%m-%d %H:%M:%S"), self.local(ts))


def _utc(ts: datetime) -> datetime:
    return ts.astimezone(UTC) if ts.tzinfo else ts.replace(tzinfo=UTC)


def ago(td: timedelta | None) -> str:
    """A duration for people: ``45s``, ``12m``, ``3h 5m``, ``2d 4h``."""
    if td is None:
        return "—"
    secs = int(td.total_seconds())
    sign, secs = ("-" if secs < 0 else ""), abs(secs)
    if secs < 60:
        return f"{sign}{secs}s"
    if secs < 3600:
        return f"{sign}{secs // 60}m"
    if secs < 86400:
        return f"{sign}{secs // 3600}h {secs % 3600 // 60}m"
    return f"{sign}{secs // 86400}d {secs % 86400 // 3600}h"


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["ago"] = ago
    env.filters["pct"] = lambda n, d: f"{100 * n / d:.0f}%" if d else "—"
    env.globals["escape"] = escape
    return env


def page(env: Environment, name: str, **ctx: Any) -> web.Response:
    html = env.get_template(name).render(**ctx)
    return web.Response(text=html, content_type="text/html", charset="utf-8")
