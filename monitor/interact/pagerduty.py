"""PagerDuty's way back: ``POST /pagerduty/webhook`` (Webhooks v3) acknowledges or resolves our incident.

PagerDuty signs each delivery with the subscription's secret:
``X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the raw body>`` (several, comma-separated,
while a secret rotates). A request without a matching signature is refused with 401 and
changes nothing; each event id is accepted once, so a replay does nothing. The incident is
found by ``incident_key`` — the ``dedup_key`` our ``pagerduty`` notifier sent, which is our
incident id. The PagerDuty user named in ``agent`` is the actor.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import TYPE_CHECKING

from aiohttp import web

from monitor.interact.actions import perform
from monitor.interact.slack import read_limited
from monitor.store_actions import ActionStore

if TYPE_CHECKING:
    from monitor.service import Service

log = logging.getLogger(__name__)
EVENTS = {"incident.acknowledged": "ack", "incident.resolved": "resolve"}


def signature_ok(secret: str, body: bytes, header: str) -> bool:
    expected = "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    given = [s.strip() for s in header.split(",") if s.strip()]
    return any(hmac.compare_digest(expected.encode(), s.encode("utf-8", "surrogateescape")) for s in given)


def routes(service: Service) -> list[web.RouteDef]:
    async def webhook(request: web.Request) -> web.Response:
        rt = service.rt
        secrets = [n.config.webhook_secret for n in (rt.notifiers if rt else [])
                   if n.kind == "pagerduty" and n.config.webhook_secret]
        if rt is None or not secrets:
            return web.json_response({"error": "no pagerduty notifier with a webhook_secret is configured"},
                                     status=404)
        body = await read_limited(request, service.loaded.config.server.max_body_bytes)
        if body is None:
            return web.json_response({"error": "body too large"}, status=413)
        header = request.headers.get("X-PagerDuty-Signature", "")
        if not any(signature_ok(s, body, header) for s in secrets):
            return web.json_response({"error": "bad or missing X-PagerDuty-Signature"}, status=401)
        try:
            event = json.loads(body)["event"]
            kind, data = str(event["event_type"]), event.get("data") or {}
            event_id = str(event["id"])
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error": "expected a PagerDuty v3 webhook event"}, status=400)
        now = service.clock.now()
        if not ActionStore(rt.store).use_nonce("pagerduty:" + event_id, now):
            return web.json_response({"error": "replayed event refused"}, status=401)
        action = EVENTS.get(kind)
        incident_id = str(data.get("incident_key") or "") if isinstance(data, dict) else ""
        if action is None or not incident_id:
            return web.json_response({"ignored": kind})
        agent = event.get("agent") if isinstance(event.get("agent"), dict) else {}
        actor = str((agent or {}).get("summary") or "PagerDuty")[:120]
        outcome = perform(rt, action, incident_id, actor, "pagerduty", now)
        log.info("pagerduty %s on %s by %s: %s", action, incident_id, actor, outcome.message)
        return web.json_response({"ok": outcome.ok, "message": outcome.message})

    return [web.post("/pagerduty/webhook", webhook)]
