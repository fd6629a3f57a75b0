"""Slack button clicks: ``POST /slack/interactivity`` and Socket Mode.

Over HTTP every request must carry ``X-Slack-Signature`` (v0: HMAC-SHA256 of
``v0:{timestamp}:{body}`` with a ``slack_app`` notifier's ``signing_secret``, computed with
slack_sdk's :class:`SignatureVerifier`) and a ``X-Slack-Request-Timestamp`` within five
minutes; a signature is accepted once (kept in ``used_nonces``), so a captured request
replayed inside the window acts nothing. Refusals answer 401 and change nothing. The
Slack user who clicked is the actor: recorded in the audit log and named in the thread.

Socket Mode (``socket_mode: true``): slack_sdk's aiohttp :class:`SocketModeClient`
opens the websocket that ``apps.connections.open`` names (under the notifier's
``api_url``) and hands every interactive envelope to the same handler; no inbound port.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from monitor.interact.actions import ACTIONS, LABELS, Outcome, perform
from monitor.store_actions import ActionStore

if TYPE_CHECKING:
    from monitor.alerts.notifiers.slack_app import SlackAppNotifier
    from monitor.service import Service

log = logging.getLogger(__name__)
WINDOW_S = 300
NAMED_BY_ENGINE = ("ack", "resolve")  # the engine's own notification names the actor in the thread


def _refuse(message: str) -> web.Response:
    return web.json_response({"error": message}, status=401)


def slack_apps(rt: Any) -> list[SlackAppNotifier]:
    return [n for n in (rt.notifiers if rt else []) if n.kind == "slack_app"]


async def read_limited(request: web.Request, limit: int) -> bytes | None:
    raw = bytearray()
    while chunk := await request.content.read(65536):
        raw.extend(chunk)
        if len(raw) > limit:
            return None
    return bytes(raw)


def actor_of(payload: dict[str, Any]) -> tuple[str, str]:
    user = payload.get("user") if isinstance(payload.get("user"), dict) else {}
    assert isinstance(user, dict)
    uid = str(user.get("id") or "")[:40]
    name = str(user.get("username") or user.get("name") or uid or "someone")[:80]
    return name, uid


async def handle_payload(rt: Any, app: SlackAppNotifier, payload: dict[str, Any], now: Any,
                         channel: str) -> list[Outcome]:
    """Act on a ``block_actions`` payload (HTTP or Socket Mode); other types are ignored."""
    if payload.get("type") != "block_actions":
        return []
    name, uid = actor_of(payload)
    outcomes = []
    for act in payload.get("actions") or []:
        if not isinstance(act, dict) or act.get("action_id") not in ACTIONS:
            continue
        action, incident_id = str(act["action_id"]), str(act.get("value") or "")[:200]
        outcome = perform(rt, action, incident_id, name, channel, now)
        outcomes.append(outcome)
        log.info("slack %s on %s by %s (%s): %s", action, incident_id, name, uid, outcome.message)
        if outcome.ok and action in NAMED_BY_ENGINE:
            continue
        text = outcome.message if outcome.ok else f"{LABELS[action]} by {name} refused: {outcome.message}"
        try:
            await asyncio.wait_for(app.say(incident_id, text), timeout=2.5)
        except Exception as exc:  # the action stands; the thread line is a courtesy
            log.warning("could not post to the Slack thread of %s: %s", incident_id, exc)
    return outcomes


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    expected = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return bool(expected) and hmac.compare_digest(expected.encode(), signature.encode("utf-8", "surrogateescape"))


def routes(service: Service) -> list[web.RouteDef]:
    async def interactivity(request: web.Request) -> web.Response:
        rt = service.rt
        apps = [a for a in slack_apps(rt) if a.config.signing_secret]
        if rt is None or not apps:
            return web.json_response({"error": "no slack_app notifier with a signing_secret is configured"},
                                     status=404)
        body = await read_limited(request, service.loaded.config.server.max_body_bytes)
        if body is None:
            return web.json_response({"error": "body too large"}, status=413)
        now = service.clock.now()
        ts = request.headers.get("X-Slack-Request-Timestamp", "")
        sig = request.headers.get("X-Slack-Signature", "")
        if not ts.isdigit() or abs(now.timestamp() - int(ts)) > WINDOW_S:
            return _refuse("missing or stale X-Slack-Request-Timestamp (older than 5 minutes)")
        app = next((a for a in apps if verify(a.config.signing_secret, ts, body, sig)), None)
        if app is None:
            return _refuse("bad X-Slack-Signature")
        if not ActionStore(rt.store).use_nonce("slack:" + sig, now):
            return _refuse("replayed request refused (this signature was already used)")
        try:
            form = parse_qs(body.decode("utf-8"), max_num_fields=10)
            payload = json.loads(form["payload"][0])
        except (KeyError, ValueError, UnicodeDecodeError):
            return web.json_response({"error": "expected a form with a JSON 'payload'"}, status=400)
        if not isinstance(payload, dict):
            return web.json_response({"error": "payload must be a JSON object"}, status=400)
        await handle_payload(rt, app, payload, now, "slack")
        return web.Response(status=200)

    return [web.post("/slack/interactivity", interactivity)]


class SocketMode:
    """One Socket Mode connection per ``slack_app`` notifier with ``socket_mode: true``."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.clients: list[Any] = []

    async def start(self) -> None:
        from slack_sdk.socket_mode.aiohttp import SocketModeClient
        from slack_sdk.socket_mode.response import SocketModeResponse
        from slack_sdk.web.async_client import AsyncWebClient

        for app in slack_apps(self.service.rt):
            if not app.config.socket_mode:
                continue
            web_client = AsyncWebClient(token=app.config.token, base_url=app.config.api_url)
            client = SocketModeClient(app_token=app.config.app_token, web_client=web_client,
                                      auto_reconnect_enabled=True)

            async def listener(client: Any, req: Any, app: SlackAppNotifier = app) -> None:
                await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
                if req.type == "interactive" and isinstance(req.payload, dict) and self.service.rt is not None:
                    await handle_payload(self.service.rt, app, req.payload, self.service.clock.now(), "slack")

            client.socket_mode_request_listeners.append(listener)
            await client.connect()
            self.clients.append(client)

    async def close(self) -> None:
        for client in self.clients:
            try:
                await client.close()
            except Exception:  # closing a dead socket
                log.debug("socket mode close failed", exc_info=True)
        self.clients.clear()
