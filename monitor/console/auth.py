"""Who is asking: the console's sessions, roles, CSRF tokens, sign-in limits and the SSO header.

- A page needs a session (no anonymous access): a cookie ``bm_console`` (HttpOnly,
  SameSite=Strict, Secure over TLS or as configured) made at sign-in, ending after
  ``session_ttl`` or ``idle_timeout``.
- Every POST carries the session's CSRF token in a ``csrf`` field and must come from the same
  origin; sign-in itself uses a double-submit token (cookie ``bm_login`` = field ``csrf``).
- Single sign-on: when ``proxy_user_header`` is set, that header names the person, but only on
  requests whose TCP peer is one of ``trusted_proxies``; from anyone else it is ignored.
- Roles rank viewer < responder < admin; a handler names the least role it needs.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from monitor.console.users import Accounts, LoginLimiter, Session

if TYPE_CHECKING:
    from monitor.console.settings import ConsoleConfig
    from monitor.service import Service

COOKIE, LOGIN_COOKIE = "bm_console", "bm_login"
RANKS = {"viewer": 0, "responder": 1, "admin": 2}
SESSION = web.RequestKey("console_session", Session)
NEW_SID = web.RequestKey("console_new_sid", str)
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Auth:
    def __init__(self, service: Service) -> None:
        self.service = service
        self.limiter: LoginLimiter | None = None

    @property
    def cfg(self) -> ConsoleConfig:
        return self.service.loaded.config.server.console

    def accounts(self) -> Accounts:
        if self.service.rt is None:
            raise web.HTTPServiceUnavailable(text="starting or stopping")
        return Accounts(self.service.rt.store)

    def limits(self) -> LoginLimiter:
        cfg = self.cfg
        if self.limiter is None or (self.limiter.attempts, self.limiter.window) != (cfg.login_attempts,
                                                                                   cfg.login_window):
            self.limiter = LoginLimiter(cfg.login_attempts, cfg.login_window)
        return self.limiter

    # -- where the request came from --------------------------------------------------------
    def via_proxy(self, request: web.Request) -> bool:
        return self.cfg.trusts(request.remote)

    def client(self, request: web.Request) -> str:
        """The client's address: the TCP peer, or the last hop a trusted proxy names."""
        if self.via_proxy(request):
            hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
            if hops:
                return hops[-1][:64]
        return request.remote or "?"

    def tls(self, request: web.Request) -> bool:
        if request.secure:
            return True
        return self.via_proxy(request) and request.headers.get("X-Forwarded-Proto", "").lower() == "https"

    def secure_cookie(self, request: web.Request) -> bool:
        mode = self.cfg.secure_cookie
        return mode == "always" or (mode == "auto" and self.tls(request))

    def set_cookie(self, request: web.Request, resp: web.StreamResponse, name: str, value: str,
                   max_age: int | None) -> None:
        resp.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="Strict",
                        secure=self.secure_cookie(request))

    # -- sessions ---------------------------------------------------------------------------
    def session(self, request: web.Request) -> Session | None:
        cfg, now, accounts = self.cfg, self.service.clock.now(), self.accounts()
        sid = request.cookies.get(COOKIE, "")
        current = accounts.session(sid, now, cfg.idle_timeout) if sid else None
        user = request.headers.get(cfg.proxy_user_header, "").strip() if cfg.proxy_user_header else ""
        if not user or not self.via_proxy(request):
            return current  # the header from anyone but a trusted proxy is never honoured
        if current is not None and current.name == user:
            return current
        account = accounts.get(user)
        if account is None:
            if cfg.proxy_default_role is None:
                return None
            account = accounts.add(user, cfg.proxy_default_role, None, now)
        if account.disabled:
            return None
        accounts.prune(now)
        sid = accounts.open_session(user, now, cfg.session_ttl, via="proxy")
        request[NEW_SID] = sid
        return accounts.session(sid, now, cfg.idle_timeout)

    def same_origin(self, request: web.Request) -> bool:
        from monitor.http_api import origin_allowed

        origin = request.headers.get("Origin")
        if origin is None:
            return request.headers.get("Sec-Fetch-Site", "same-origin").lower() in ("same-origin", "none")
        return origin_allowed(origin, request.headers.get("Host", ""),
                              self.service.loaded.config.server.allowed_origins)

    async def form(self, request: web.Request, session: Session | None) -> dict[str, str]:
        """The POSTed form after the origin and CSRF checks (403 otherwise)."""
        if not self.same_origin(request):
            raise web.HTTPForbidden(text="cross-site form refused")
        data = await request.post()
        token = data.get("csrf")
        expected = session.csrf if session else request.cookies.get(LOGIN_COOKIE, "")
        if not isinstance(token, str) or not expected or not hmac.compare_digest(token.encode(), expected.encode()):
            raise web.HTTPForbidden(text="missing or stale form token (CSRF): reload the page and try again")
        return {k: v for k, v in data.items() if isinstance(v, str)}

    def guard(self, role: str, *, api: bool = False) -> Callable[[Handler], Handler]:
        """Wrap a handler: Host check, a live session of at least ``role``, security headers."""

        def wrap(handler: Handler) -> Handler:
            async def guarded(request: web.Request) -> web.StreamResponse:
                from monitor.http_api import host_allowed

                host = request.headers.get("Host", "")
                if host and not host_allowed(host, self.service.loaded.config.server.allowed_hosts):
                    raise web.HTTPMisdirectedRequest(text="this Host is not served here (server.allowed_hosts)")
                if not self.cfg.enabled:
                    raise web.HTTPNotFound(text="the console is off (server.console.enabled)")
                session = self.session(request)
                if session is None:
                    if api or request.method != "GET":
                        raise web.HTTPUnauthorized(text="sign in first")
                    raise web.HTTPSeeOther("/console/login?next=" + _next(request.path_qs))
                if RANKS.get(session.role, -1) < RANKS[role]:
                    raise web.HTTPForbidden(text=f"{session.name} is a {session.role}; this needs a {role}")
                request[SESSION] = session
                started = time.perf_counter()
                resp = await handler(request)
                if NEW_SID in request:
                    self.set_cookie(request, resp, COOKIE, request[NEW_SID], None)
                if not resp.prepared:  # (an event stream is already on its way)
                    for key, value in HEADERS.items():  # a handler's own policy (a sandboxed report) stands
                        resp.headers.setdefault(key, value)
                    resp.headers["Server-Timing"] = f"render;dur={(time.perf_counter() - started) * 1000:.1f}"
                return resp

            return guarded

        return wrap

    def login_token(self) -> str:
        return secrets.token_urlsafe(24)


def _next(path: str) -> str:
    from urllib.parse import quote

    return quote(path if path.startswith("/") and not path.startswith("//") else "/", safe="")


def safe_next(value: Any) -> str:
    """Only a local path may be the place to go after sign-in (no open redirect)."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    return value if all(c.isprintable() and c not in "\r\n" for c in value) else "/"
