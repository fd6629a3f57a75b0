"""People's console accounts and sign-in sessions (tables of migration 0006_console).

Passwords are kept as scrypt hashes (:func:`hashlib.scrypt`, a memory-hard key derivation in
the standard library) with a per-account salt and the cost written beside the hash, so a
stronger cost later still verifies old hashes. A session's cookie value is random; only its
SHA-256 is stored, so a copy of the database cannot be replayed as a cookie. Every session
carries its own CSRF token. Roles are the API's (viewer, responder, admin).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor.store import from_epoch, to_epoch
from monitor.store_actions import ROLES, ActionError

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MAX_NAME, MAX_PASSWORD, MIN_PASSWORD = 100, 1024, 8


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str | None) -> bool:
    """Constant-time check; a malformed or empty stored hash never matches."""
    try:
        kind, n, r, p, salt, digest = (stored or "").split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(password.encode("utf-8", "surrogateescape")[:MAX_PASSWORD * 4],
                             salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32,
                             maxmem=256 * 1024 * 1024)
        return hmac.compare_digest(got, base64.b64decode(digest))
    except (ValueError, TypeError):
        return False


_DUMMY = hash_password(secrets.token_hex(16))  # unknown names cost as much as wrong passwords


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    role: str
    timezone: str | None
    disabled: bool


@dataclass(frozen=True, slots=True)
class Session:
    name: str
    role: str
    csrf: str
    timezone: str | None
    expires_at: datetime
    via: str  # "password" or "proxy"


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME or any((c.isspace() and c != " ") or not c.isprintable() for c in name):
        raise ActionError(f"a name must be 1-{MAX_NAME} printable characters")
    return name


class Accounts:
    """Accounts and sessions in one store (SQLite or PostgreSQL) through ``query``/``execute``."""

    def __init__(self, store: Any) -> None:
        self.store = store

    # -- accounts ---------------------------------------------------------------------------
    def add(self, name: str, role: str, password: str | None, at: datetime, timezone: str | None = None) -> Account:
        """A new account; ``password`` None makes a single sign-on-only account."""
        name = check_name(name)
        if role not in ROLES:
            raise ActionError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
        if password is not None and not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise ActionError(f"a password must be {MIN_PASSWORD}-{MAX_PASSWORD} characters")
        if self.get(name) is not None:
            raise ActionError(f"an account {name!r} exists already (`monitor users passwd` or `role` change it)")
        self.store.execute("INSERT INTO console_users(name, role, password_hash, timezone, created_at, disabled_at) "
                           "VALUES(?, ?, ?, ?, ?, NULL)",
                           (name, role, hash_password(password) if password else None, timezone, to_epoch(at)))
        return Account(name, role, timezone, False)

    def get(self, name: str) -> Account | None:
        rows = self.store.query("SELECT name, role, timezone, disabled_at FROM console_users WHERE name=?", (name,))
        return Account(rows[0][0], rows[0][1], rows[0][2], rows[0][3] is not None) if rows else None

    def all(self) -> list[Account]:
        rows = self.store.query("SELECT name, role, timezone, disabled_at FROM console_users ORDER BY name")
        return [Account(r[0], r[1], r[2], r[3] is not None) for r in rows]

    def set_password(self, name: str, password: str) -> None:
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise ActionError(f"a password must be {MIN_PASSWORD}-{MAX_PASSWORD} characters")
        self._need(name)
        self.store.execute("UPDATE console_users SET password_hash=? WHERE name=?", (hash_password(password), name))
        self.end_sessions(name)

    def set_role(self, name: str, role: str) -> None:
        if role not in ROLES:
            raise ActionError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
        self._need(name)
        self.store.execute("UPDATE console_users SET role=? WHERE name=?", (role, name))

    def set_timezone(self, name: str, zone: str | None) -> None:
        self.store.execute("UPDATE console_users SET timezone=? WHERE name=?", (zone, name))

    def disable(self, name: str, at: datetime) -> None:
        self._need(name)
        self.store.execute("UPDATE console_users SET disabled_at=? WHERE name=?", (to_epoch(at), name))
        self.end_sessions(name)

    def _need(self, name: str) -> None:
        if self.get(name) is None:
            raise ActionError(f"no account {name!r} (see `monitor users list`)")

    def check(self, name: str, password: str) -> Account | None:
        """The account when ``password`` is right and the account is live; else None (same cost)."""
        rows = self.store.query("SELECT password_hash, disabled_at FROM console_users WHERE name=?", (name,))
        stored = rows[0][0] if rows and rows[0][0] else _DUMMY
        ok = verify_password(password, stored)
        if not ok or not rows or rows[0][0] is None or rows[0][1] is not None:
            return None
        return self.get(name)

    # -- sessions ---------------------------------------------------------------------------
    def open_session(self, name: str, at: datetime, ttl: timedelta, via: str = "password") -> str:
        """A new session for ``name``; returns the cookie value (only its hash is stored)."""
        sid = secrets.token_urlsafe(32)
        self.store.execute("INSERT INTO console_sessions(id_hash, name, csrf, created_at, last_seen, expires_at, via) "
                           "VALUES(?, ?, ?, ?, ?, ?, ?)",
                           (_sha(sid), name, secrets.token_urlsafe(32), to_epoch(at), to_epoch(at),
                            to_epoch(at + ttl), via))
        return sid

    def session(self, sid: str, at: datetime, idle: timedelta) -> Session | None:
        """The live session for a cookie value (touching it), or None if unknown, expired, idle or disabled."""
        if not sid or len(sid) > 200:
            return None
        rows = self.store.query(
            "SELECT s.name, u.role, s.csrf, u.timezone, s.expires_at, s.last_seen, s.via, u.disabled_at "
            "FROM console_sessions s JOIN console_users u ON u.name=s.name WHERE s.id_hash=?", (_sha(sid),))
        if not rows:
            return None
        name, role, csrf, zone, expires, seen, via, disabled = rows[0]
        now = to_epoch(at)
        if disabled is not None or now >= expires or now - seen >= idle.total_seconds():
            self.store.execute("DELETE FROM console_sessions WHERE id_hash=?", (_sha(sid),))
            return None
        if now - seen >= 60:  # touch at most once a minute: a page's many requests write once
            self.store.execute("UPDATE console_sessions SET last_seen=? WHERE id_hash=?", (now, _sha(sid)))
        return Session(name, role, csrf, zone, from_epoch(expires), via)

    def close_session(self, sid: str) -> None:
        self.store.execute("DELETE FROM console_sessions WHERE id_hash=?", (_sha(sid),))

    def end_sessions(self, name: str) -> int:
        return self.store.execute("DELETE FROM console_sessions WHERE name=?", (name,))

    def prune(self, at: datetime) -> int:
        return self.store.execute("DELETE FROM console_sessions WHERE expires_at <= ?", (to_epoch(at),))


class LoginLimiter:
    """Failed sign-ins per key (address, name) in a sliding window; in memory, bounded."""

    def __init__(self, attempts: int, window: timedelta, max_keys: int = 10_000) -> None:
        self.attempts, self.window, self.max_keys = attempts, window, max_keys
        self.failures: dict[str, deque[datetime]] = {}

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        q = self.failures.get(key, deque())
        while q and now - q[0] >= self.window:
            q.popleft()
        return q

    def blocked(self, keys: list[str], now: datetime) -> bool:
        return any(len(self._recent(k, now)) >= self.attempts for k in keys)

    def fail(self, keys: list[str], now: datetime) -> None:
        if len(self.failures) >= self.max_keys:  # an address flood forgets the oldest keys, never grows
            for k in list(self.failures)[: self.max_keys // 10]:
                del self.failures[k]
        for k in keys:
            q = self._recent(k, now)
            q.append(now)
            self.failures[k] = q

    def succeed(self, keys: list[str]) -> None:
        for k in keys:
            self.failures.pop(k, None)
