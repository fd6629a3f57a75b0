"""``pagerduty``: page the on-call through PagerDuty's Events API v2.

One PagerDuty alert per incident: the incident id is the ``dedup_key``, so an opening
triggers, an escalation re-triggers the same alert with a higher severity, and our
acknowledgement and resolution acknowledge and resolve it. Severity follows the level
(red critical, yellow error, blue warning, system info). ``links`` point back to the
console when ``console_url`` is set. PagerDuty answers ``202``; ``400`` means the event
is malformed (a bad ``routing_key`` among others) and retrying cannot help; 429 and 5xx can.

The way back — PagerDuty acknowledging or resolving our incident — is the signed webhook
at ``POST /pagerduty/webhook`` (:mod:`monitor.interact.pagerduty`).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from monitor.alerts.notifiers.base import NotifierConfig, register_notifier
from monitor.alerts.notifiers.httpbase import HttpNotifier, dumps
from monitor.alerts.render import build_view
from monitor.models import Alert, format_ts

SEVERITY = {"red": "critical", "yellow": "error", "blue": "warning"}
ACTION = {"acknowledged": "acknowledge", "resolved": "resolve"}


class PagerDutyConfig(NotifierConfig):
    """Page an on-call service (Events API v2); the incident id is the dedup key."""

    kind: Literal["pagerduty"] = "pagerduty"
    routing_key: str = Field(description="the service's Events API v2 integration key; ${PAGERDUTY_ROUTING_KEY}")
    api_url: str = Field(default="https://events.pagerduty.com/v2/enqueue", description="Events API endpoint")
    console_url: str = Field(default="", description="this daemon's public base URL, for links back")
    webhook_secret: str = Field(default="", description="signing secret of the PagerDuty webhook subscription "
                                                        "(verifies POST /pagerduty/webhook)")

    @property
    def url(self) -> str:
        return self.api_url


def pagerduty_event(alert: Alert, config: PagerDutyConfig) -> dict[str, Any]:
    action = ACTION.get(alert.transition, "trigger")
    # an overdue-task reminder (monitor.tasks) is its own page: it must not re-open the incident's
    dedup = alert.id if alert.transition == "task_overdue" else alert.incident_id
    event: dict[str, Any] = {"routing_key": config.routing_key, "event_action": action, "dedup_key": dedup}
    if action != "trigger":
        return event
    view = build_view(alert, max_examples=3)
    event["payload"] = {
        "summary": f"{view.headline} — {alert.reason}"[:1024],
        "source": "brand-monitor",
        "severity": SEVERITY.get(alert.level, "info"),
        "timestamp": format_ts(alert.ts),
        "component": alert.brand,
        "group": alert.category or alert.brand,
        "class": alert.transition,
        "custom_details": {"incident": alert.incident_id, "level": alert.level, "transition": alert.transition,
                           "why": list(view.why)[:10], "notice": view.notice},
    }
    event["client"] = "Brand Monitor"
    if config.console_url:
        base = config.console_url.rstrip("/")
        event["client_url"] = base
        event["links"] = [{"href": f"{base}/incidents", "text": f"Incident {alert.incident_id} in Brand Monitor"}]
    return event


@register_notifier
class PagerDutyNotifier(HttpNotifier):
    """PagerDuty Events API v2: trigger, acknowledge, resolve one alert per incident."""

    kind: ClassVar[str] = "pagerduty"
    Config: ClassVar[type[NotifierConfig]] = PagerDutyConfig
    config: PagerDutyConfig  # type: ignore[assignment]

    async def send(self, alert: Alert) -> None:
        reply = await self.post(dumps(pagerduty_event(alert, self.config)), url=self.config.api_url)
        if 200 <= reply.status < 300:
            return
        hint = "check routing_key (the service's Events API v2 integration key)" if reply.status == 400 else ""
        raise self.status_error(reply, hint)
