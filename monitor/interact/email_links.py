"""Acknowledge from e-mail: signed, expiring, single-use action links and their confirmation page.

A link is ``{action_url}/act/{payload}.{mac}``: the payload names the incident, the action,
the expiry (epoch seconds) and a random nonce; the MAC is HMAC-SHA256 over the payload with
the e-mail notifier's ``action_secret``. Opening a link (GET) only shows a confirmation page
— mail scanners and link previews fetch links, and must not act — whose button POSTs to the
same URL. The POST checks the MAC and the expiry, spends the nonce (``used_nonces``: a link
works once) and acts through :func:`monitor.interact.actions.perform`, with the name typed
on the page (or "e-mail recipient") as the actor. Tampered or expired links answer 403, a
used one 410, and none of them changes anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from aiohttp import web

from monitor.interact.actions import LABELS, perform
from monitor.store_actions import ActionStore

if TYPE_CHECKING:
    from monitor.service import Service

EMAIL_ACTIONS = ("ack", "resolve", "false_alarm")


class LinkError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Link:
    incident_id: str
    action: str
    expires: int
    nonce: str


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), b"email-action\0" + payload.encode(), hashlib.sha256).digest()[:20])


def make_link(base_url: str, secret: str, incident_id: str, action: str, expires: datetime) -> str:
    payload = _b64(f"{incident_id}\n{action}\n{int(expires.timestamp())}\n{secrets.token_hex(8)}".encode())
    return f"{base_url.rstrip('/')}/act/{payload}.{_mac(secret, payload)}"


def read_link(secrets_: list[str], token: str, now: datetime) -> Link:
    """The link's contents, or LinkError(403) when it was tampered with or has expired."""
    payload, _, mac = token.partition(".")
    if not payload or not any(hmac.compare_digest(_mac(s, payload), mac) for s in secrets_):
        raise LinkError(403, "This link is not valid (it was changed or is not ours).")
    try:
        incident_id, action, expires, nonce = _unb64(payload).decode().split("\n")
        link = Link(incident_id, action, int(expires), nonce)
    except (ValueError, UnicodeDecodeError):
        raise LinkError(403, "This link is not valid.") from None
    if link.action not in EMAIL_ACTIONS:
        raise LinkError(403, "This link names an unknown action.")
    if now.timestamp() >= link.expires:
        raise LinkError(403, "This link has expired; act from the console, chat or the command line.")
    return link


def links_for(base_url: str, secret: str, incident_id: str, expires: datetime) -> list[tuple[str, str]]:
    """(label, url) for every e-mail action."""
    return [(LABELS[a], make_link(base_url, secret, incident_id, a, expires)) for a in EMAIL_ACTIONS]


def _page(title: str, body: str, status: int = 200) -> web.Response:
    doc = (f"<!doctype html><html><head><meta charset='utf-8'><meta name='robots' content='noindex'>"
           f"<title>{html.escape(title)}</title></head><body style='font-family:sans-serif;max-width:40em'>"
           f"<h1>{html.escape(title)}</h1>{body}</body></html>")
    return web.Response(text=doc, status=status, content_type="text/html",
                        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                                 "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                                            "form-action 'self'"})


def routes(service: Service) -> list[web.RouteDef]:
    def link_secrets() -> list[str]:
        rt = service.rt
        return [n.config.action_secret.get_secret_value() for n in (rt.notifiers if rt else [])
                if n.kind == "email" and getattr(n.config, "action_secret", None)]

    def check(token: str) -> Link:
        if service.rt is None or not link_secrets():
            raise LinkError(404, "E-mail actions are not configured here.")
        link = read_link(link_secrets(), token, service.clock.now())
        if ActionStore(service.rt.store).store.query("SELECT 1 FROM used_nonces WHERE nonce=?",
                                                     ("email:" + link.nonce,)):
            raise LinkError(410, "This link was already used; each link works once.")
        return link

    async def confirm(request: web.Request) -> web.Response:
        try:
            link = check(request.match_info["token"])
        except LinkError as exc:
            return _page("Link refused", f"<p>{html.escape(str(exc))}</p>", exc.status)
        label = LABELS[link.action]
        form = (f"<p>{html.escape(label)} incident <b>{html.escape(link.incident_id)}</b>?</p>"
                f"<form method='post'><label>Your name <input name='name' maxlength='80'></label> "
                f"<button type='submit'>{html.escape(label)}</button></form>")
        return _page(f"{label}: confirm", form)

    async def act(request: web.Request) -> web.Response:
        try:
            link = check(request.match_info["token"])
        except LinkError as exc:
            return _page("Link refused", f"<p>{html.escape(str(exc))}</p>", exc.status)
        form = await request.post() if request.content_type == "application/x-www-form-urlencoded" else {}
        name = str(form.get("name") or "").strip()[:80]
        actor = f"{name} (e-mail)" if name else "e-mail recipient"
        rt, now = service.rt, service.clock.now()
        assert rt is not None
        if not ActionStore(rt.store).use_nonce("email:" + link.nonce, now):
            return _page("Link refused", "<p>This link was already used; each link works once.</p>", 410)
        outcome = perform(rt, link.action, link.incident_id, actor, "email", now)
        title = "Done" if outcome.ok else "Not done"
        return _page(title, f"<p>{html.escape(outcome.message)}</p>", 200 if outcome.ok else 409)

    return [web.get("/act/{token}", confirm), web.post("/act/{token}", act)]
