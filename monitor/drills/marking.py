"""Every message of a live drill says DRILL, on every channel, and nothing else does.

The notifiers of a drill are built from the configured ones with drill settings (an e-mail
subject prefix ``[DRILL] ``; PagerDuty pages go to the drills' own service when
``drills.pagerduty_routing_key`` is set, as the Events API v2 has no test flag), and each one's
``send`` marks the alert on its way out: the brand name and the reason start with
``[DRILL]`` (Slack's header and text, Teams, Feishu, ...), and ``Alert.drill`` carries the
drill id (a webhook payload's ``"drill": true``, PagerDuty's custom details). The notifiers of
the daemon itself are untouched, so a real incident during a drill goes out as always.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from monitor.alerts.notifiers.base import Notifier, NotifierConfig
from monitor.drills.settings import DrillsConfig
from monitor.models import Alert

TAG = "[DRILL]"


def drill_configs(configs: list[NotifierConfig], drills: DrillsConfig) -> list[NotifierConfig]:
    out = []
    for cfg in configs:
        update: dict[str, Any] = {}
        if cfg.kind == "email":
            update["subject_prefix"] = f"{TAG} " + getattr(cfg, "subject_prefix", "")
        if cfg.kind == "pagerduty" and drills.pagerduty_routing_key:
            update["routing_key"] = drills.pagerduty_routing_key
        out.append(cfg.model_copy(update=update))
    return out


def mark(alert: Alert, drill_id: str) -> Alert:
    if alert.drill:
        return alert
    return replace(alert, brand_name=f"{TAG} {alert.brand_name}", reason=f"{TAG} {alert.reason}", drill=drill_id)


def mark_notifiers(notifiers: list[Notifier], drill_id: str) -> None:
    """Wrap each notifier's ``send`` so whatever it delivers is marked as this drill's."""
    for n in notifiers:
        original: Callable[[Alert], Awaitable[None]] = n.send

        async def send(alert: Alert, _send: Callable[[Alert], Awaitable[None]] = original) -> None:
            await _send(mark(alert, drill_id))

        n.send = send  # type: ignore[method-assign]
