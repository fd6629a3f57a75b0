"""Display time zones: alerts show local time beside UTC; the engine's logic stays in UTC event time.

``timezone:`` (global) and ``brand_timezones:`` (per brand id) in monitor.yaml choose the zone
a PR team reads. Only formatting consults this: windows, deadlines and reports keep
computing in UTC, so a drill and a live run decide alike whatever zone is shown. The
runtime installs the configured zones (:func:`configure`) when it starts and on reload.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BeforeValidator


def _zone_name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be an IANA time zone name, e.g. Asia/Shanghai, Europe/Berlin or UTC")
    name = value.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        close = sorted(z for z in available_timezones() if z.lower().endswith(name.lower().split("/")[-1]))[:3]
        hint = f"; did you mean {', '.join(close)}?" if close else " (e.g. Asia/Shanghai, Europe/Berlin, UTC)"
        raise ValueError(f"unknown time zone {name!r}{hint}") from None
    return name


ZoneName = Annotated[str, BeforeValidator(_zone_name)]


class DisplayZones:
    """The global zone and per-brand zones; formats a UTC instant for people."""

    def __init__(self) -> None:
        self.default: ZoneInfo = ZoneInfo("UTC")
        self.brands: dict[str, ZoneInfo] = {}

    def configure(self, default: str = "UTC", brands: Mapping[str, str] | None = None) -> None:
        self.default = ZoneInfo(default)
        self.brands = {b: ZoneInfo(z) for b, z in (brands or {}).items()}

    def zone(self, brand: str | None = None) -> ZoneInfo:
        return self.brands.get(brand or "", self.default)

    def format(self, ts: datetime, brand: str | None = None) -> str:
        """``2026-03-01 16:00 CST (08:00 UTC)``; just ``2026-03-01 08:00 UTC`` when the zone is UTC."""
        utc = ts.astimezone(UTC) if ts.tzinfo else ts.replace(tzinfo=UTC)
        zone = self.zone(brand)
        if zone.key in ("UTC", "Etc/UTC", "Etc/UCT", "Universal", "Zulu", "Etc/Zulu", "GMT", "Etc/GMT"):
            return utc.strftime("%Y-%m-%d %H:%M UTC")
        local = utc.astimezone(zone)
        same_day = local.date() == utc.date()
        return (f"{local.strftime('%Y-%m-%d %H:%M')} {local.tzname()} "
                f"({utc.strftime('%H:%M' if same_day else '%Y-%m-%d %H:%M')} UTC)")


zones = DisplayZones()


def configure(default: str = "UTC", brands: Mapping[str, str] | None = None) -> None:
    zones.configure(default, brands)


def fmt_local(ts: datetime, brand: str | None = None) -> str:
    return zones.format(ts, brand)
