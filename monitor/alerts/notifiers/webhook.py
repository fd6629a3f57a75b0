"""``webhook``: the notification as JSON, POSTed to any URL (ticketing, paging, your own bot).

The body is a stable, documented contract (``schema: brand-monitor.notification/v1``)::

    {"schema": "brand-monitor.notification/v1",
     "id": "INC-…#3", "incident_id": "INC-…", "brand": "acme", "brand_name": "Acme",
     "category": "quality" | null, "level": "red", "transition": "escalated",
     "ts": "2026-03-01T08:00:00Z", "escalation_step": 0, "acked_by": null,
     "headline": "[RED] Acme — incident INC-… escalated: …", "reason": "…",
     "evidence": null | {"trigger", "rule", "observed", "threshold", "window_minutes",
                         "platforms": {source: n}, "reposts", "negative_posts", "rules": {rule_id: n},
                         "examples": [{"source", "id", "ts", "text", "url", "author", "kind", "outlet",
                                       "reposts", "score", "rules": [], "terms": []}],
                         "detail": {…}},
     "playbook": null | {"id", "title", "level", "owner", "ack_deadline": "15m", "ack_due",
                         "summary", "escalation_contacts": [], "tasks": [{"role", "task", "deadline", "due"}],
                         "statement", "media_list": [{"outlet", "contact", "note"}],
                         "follow_up": [{"after": "3d", "action", "due"}]}}

Times are ISO 8601 UTC (``Z``), durations are ``30s``/``15m``/``1h``/``3d``/``7w``. Text is
raw (not escaped): the receiver escapes for wherever it shows it. New fields may be added
within v1; none are removed or renamed. Headers: ``X-Brand-Monitor-Id`` (the notification
id: the same notification keeps the same id across retries), ``X-Brand-Monitor-Delivery``
(the idempotency key to dedupe on: ``<instance>.<id>``, the same across retries and
restarts, different for another install or another drill run that reuses incident ids),
``X-Brand-Monitor-Event`` (the transition) and, with a ``secret``,
``X-Brand-Monitor-Signature-256: sha256=<hex>``, the HMAC-SHA256 of the exact body bytes.

Delivery is at least once: a send cut off by a timeout or a crash is sent again, so a
receiver that must not act twice keeps the delivery keys it has seen (a day's worth is plenty).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal
from urllib.parse import quote

from pydantic import Field, SecretStr, field_validator

from monitor.alerts.notifiers.base import register_notifier
from monitor.alerts.notifiers.httpbase import HttpNotifier, HttpNotifierConfig, dumps, hmac_sha256
from monitor.alerts.render import headline
from monitor.durations import format_duration
from monitor.models import Alert, Evidence, format_ts

SCHEMA = "brand-monitor.notification/v1"


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_ts(value)
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def evidence_json(ev: Evidence | None) -> dict[str, Any] | None:
    if ev is None:
        return None
    return {
        "trigger": ev.trigger, "rule": ev.rule, "observed": ev.observed, "threshold": ev.threshold,
        "window_minutes": ev.window_minutes, "platforms": dict(ev.platforms), "reposts": ev.reposts,
        "negative_posts": ev.negative_posts, "rules": dict(ev.rules),
        "examples": [{"source": e.source, "id": e.id, "ts": format_ts(e.ts), "text": e.text, "url": e.url,
                      "author": e.author, "kind": e.kind, "outlet": e.outlet, "reposts": e.reposts,
                      "score": e.score, "rules": list(e.rules), "terms": list(e.terms)} for e in ev.examples],
        "detail": _json(ev.detail),
    }


def playbook_json(pb: Any) -> dict[str, Any] | None:
    if pb is None:
        return None
    return {
        "id": pb.id, "title": pb.title, "level": pb.level, "owner": pb.owner,
        "ack_deadline": format_duration(pb.ack_deadline), "ack_due": format_ts(pb.ack_due), "summary": pb.summary,
        "escalation_contacts": list(pb.escalation_contacts),
        "tasks": [{"role": t.role, "task": t.task, "deadline": format_duration(t.deadline), "due": format_ts(t.due)}
                  for t in pb.tasks],
        "statement": pb.statement,
        "media_list": [{"outlet": m.outlet, "contact": m.contact, "note": m.note} for m in pb.media_list],
        "follow_up": [{"after": format_duration(f.after), "action": f.action, "due": format_ts(f.due)}
                      for f in pb.follow_up],
    }


def notification_json(alert: Alert) -> dict[str, Any]:
    """The v1 notification document (see the module docstring)."""
    return {
        "schema": SCHEMA, "id": alert.id, "incident_id": alert.incident_id, "brand": alert.brand,
        "brand_name": alert.brand_name, "category": alert.category, "level": alert.level,
        "transition": alert.transition, "ts": format_ts(alert.ts), "escalation_step": alert.escalation_step,
        "acked_by": alert.acked_by, "headline": headline(alert), "reason": alert.reason,
        "evidence": evidence_json(alert.evidence), "playbook": playbook_json(alert.playbook),
    } | ({"drill": True, "drill_id": alert.drill} if alert.drill else {})


def delivery_key(alert: Alert, instance: str) -> str:
    """The receiver's dedupe key; header-safe whatever the ids contain."""
    key = f"{instance}.{alert.id}" if instance else alert.id
    return quote(key, safe="#-_.~:@!$&'()*+,;=/")


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: ``sha256=`` + hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac_sha256(secret.encode("utf-8"), body).hex()


class WebhookConfig(HttpNotifierConfig):
    """POST each notification as JSON to a URL."""

    kind: Literal["webhook"] = "webhook"
    secret: SecretStr | None = Field(default=None, description="HMAC-SHA256 key; signs the body when set")
    signature_header: str = Field(default="X-Brand-Monitor-Signature-256", description="header carrying the signature")
    headers: dict[str, str] = Field(default_factory=dict, description="extra headers, e.g. Authorization")

    @field_validator("headers")
    @classmethod
    def _no_newlines(cls, v: dict[str, str]) -> dict[str, str]:
        for name, value in v.items():
            if not name or any(c in name + value for c in "\r\n") or ":" in name:
                raise ValueError(f"header {name!r}: names need no colon and no header may contain a line break")
        return v


@register_notifier
class WebhookNotifier(HttpNotifier[WebhookConfig]):
    """Generic JSON webhook with an optional HMAC-SHA256 signature."""

    kind: ClassVar[str] = "webhook"

    async def send(self, alert: Alert) -> None:
        cfg = self.config
        body = dumps(notification_json(alert))
        headers = {"X-Brand-Monitor-Id": alert.id, "X-Brand-Monitor-Delivery": delivery_key(alert, self.ctx.instance),
                   "X-Brand-Monitor-Event": alert.transition, **cfg.headers}
        if cfg.secret is not None:
            headers[cfg.signature_header] = sign(cfg.secret.get_secret_value(), body)
        reply = await self.post(body, headers)
        if not 200 <= reply.status < 300:
            raise self.status_error(reply)
