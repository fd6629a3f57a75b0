"""Feishu / Lark card button clicks: ``POST /feishu/card``.

Feishu signs a card callback with the app's Verification Token:
``X-Lark-Signature = sha1(X-Lark-Request-Timestamp + X-Lark-Request-Nonce + token + body)``
(hex). A request with a wrong signature, a timestamp more than five minutes off, or a
signature already seen is refused with 401 and changes nothing. The URL check Feishu
makes when the callback is configured (``type: url_verification``) is answered with its
challenge when its ``token`` matches. The clicking user (``user_id``, else ``open_id``)
is the actor. The card itself is edited in place by the ``feishu_app`` notifier when the
engine's notification (acknowledged, resolved) is delivered; the callback's answer is a
toast saying what happened.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web

from monitor.interact.actions import ACTIONS, LABELS, perform
from monitor.interact.slack import WINDOW_S, read_limited
from monitor.store_actions import ActionStore

if TYPE_CHECKING:
    from monitor.service import Service

log = logging.getLogger(__name__)


def lark_signature(timestamp: str, nonce: str, token: str, body: bytes) -> str:
    return hashlib.sha1(timestamp.encode() + nonce.encode() + token.encode() + body).hexdigest()


def routes(service: Service) -> list[web.RouteDef]:
    def tokens() -> list[str]:
        rt = service.rt
        return [n.config.verification_token.get_secret_value() for n in (rt.notifiers if rt else [])
                if n.kind == "feishu_app" and n.config.verification_token]

    async def callback(request: web.Request) -> web.Response:
        rt, known = service.rt, tokens()
        if rt is None or not known:
            return web.json_response({"error": "no feishu_app notifier with a verification_token"}, status=404)
        body = await read_limited(request, service.loaded.config.server.max_body_bytes)
        if body is None:
            return web.json_response({"error": "body too large"}, status=413)
        try:
            data: Any = json.loads(body)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return web.json_response({"error": "expected a JSON object"}, status=400)
        if data.get("type") == "url_verification":
            given = str(data.get("token", "")).encode("utf-8", "surrogateescape")
            if any(hmac.compare_digest(t.encode(), given) for t in known):
                return web.json_response({"challenge": data.get("challenge")})
            return web.json_response({"error": "bad verification token"}, status=401)
        now = service.clock.now()
        ts = request.headers.get("X-Lark-Request-Timestamp", "")
        nonce = request.headers.get("X-Lark-Request-Nonce", "")
        sig = request.headers.get("X-Lark-Signature", "")
        if not ts.isdigit() or abs(now.timestamp() - int(ts)) > WINDOW_S:
            return web.json_response({"error": "missing or stale X-Lark-Request-Timestamp"}, status=401)
        if not any(hmac.compare_digest(lark_signature(ts, nonce, t, body).encode(),
                                       sig.encode("utf-8", "surrogateescape")) for t in known):
            return web.json_response({"error": "bad X-Lark-Signature"}, status=401)
        if not ActionStore(rt.store).use_nonce("feishu:" + sig, now):
            return web.json_response({"error": "replayed request refused"}, status=401)
        action = data.get("action") if isinstance(data.get("action"), dict) else {}
        value = (action or {}).get("value")
        if not isinstance(value, dict) or value.get("action") not in ACTIONS:
            return web.json_response({})
        verb, incident_id = str(value["action"]), str(value.get("incident") or "")[:200]
        actor = str(data.get("user_id") or data.get("open_id") or "feishu user")[:80]
        outcome = perform(rt, verb, incident_id, actor, "feishu", now)
        log.info("feishu %s on %s by %s: %s", verb, incident_id, actor, outcome.message)
        text = outcome.message if outcome.ok else f"{LABELS[verb]} refused: {outcome.message}"
        return web.json_response({"toast": {"type": "success" if outcome.ok else "error", "content": text}})

    return [web.post("/feishu/card", callback)]
