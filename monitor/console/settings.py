"""``server.console:`` settings: sign-in, sessions and the single sign-on header of the web console."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from monitor.durations import Duration
from monitor.timezones import ZoneName


class ConsoleConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="serve the web console at / (closed: sign-in needed)")
    session_ttl: Duration = Field(default=timedelta(hours=12), description="a session ends this long after "
                                  "sign-in, whatever happens")
    idle_timeout: Duration = Field(default=timedelta(hours=2), description="a session unused this long ends")
    secure_cookie: Literal["auto", "always", "never"] = Field(
        default="auto", description="the session cookie's Secure flag: auto sets it when the request came over "
                                    "TLS (directly, or X-Forwarded-Proto: https from a trusted proxy)")
    login_attempts: int = Field(default=5, ge=1, description="failed sign-ins allowed per address and per "
                                "name within login_window; more are refused with 429")
    login_window: Duration = Field(default=timedelta(minutes=15), description="the window login_attempts counts in")
    trusted_proxies: list[str] = Field(default_factory=list, description="addresses or networks (CIDR) of reverse "
                                       "proxies whose proxy_user_header and X-Forwarded-Proto are believed")
    proxy_user_header: str | None = Field(default=None, description="single sign-on: the header a trusted proxy "
                                          "puts the signed-in person's name in (e.g. X-Forwarded-User)")
    proxy_default_role: Literal["viewer", "responder", "admin"] | None = Field(
        default=None, description="role of a single sign-on person without an account (none: refused)")
    timezone: ZoneName | None = Field(default=None, description="default display zone of people without their "
                                      "own (none: the top-level timezone)")
    reports_dir: Path | None = Field(default=None, description="a directory whose subdirectories hold drill or "
                                     "backtest reports (report.json, report.html), listed under History")

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        for item in v:
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an address or network (e.g. 127.0.0.1 or 10.0.0.0/8)") from None
        return v

    def trusts(self, peer: str | None) -> bool:
        """True when ``peer`` (the TCP peer's address) is one of the trusted proxies."""
        if not peer or not self.trusted_proxies:
            return False
        try:
            addr = ipaddress.ip_address(peer.split("%", 1)[0])
        except ValueError:
            return False
        return any(addr in ipaddress.ip_network(n.strip(), strict=False) for n in self.trusted_proxies)
