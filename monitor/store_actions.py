"""The tables behind human response: silences, the audit log, people's API tokens, chat thread
references, single-use nonces and incident marks ("Not a crisis").

The tables are created by migration 0004_actions of each backend
(monitor/store/migrations/<backend>/0004_actions.sql). The module reaches the database only
through the store's ``query``, ``execute`` and ``transaction``: a small, explicit hook rather
than another god object. Its SQL is portable with ``?`` placeholders; the PostgreSQL store
converts them to ``%s``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from monitor.errors import MonitorError
from monitor.models import Alert, format_ts
from monitor.names import ROUTING_LEVELS
from monitor.store import Store, from_epoch, to_epoch

ROLES = ("viewer", "responder", "admin")
LEVELS = ROUTING_LEVELS  # a silence may name any level an alert can carry, system alerts included


class ActionError(MonitorError):
    """A response action that cannot be done as asked (the message says why and what to do)."""


@dataclass(frozen=True, slots=True)
class Silence:
    id: str
    brand: str
    level: str | None
    category: str | None
    story: str | None
    incident_id: str | None
    starts_at: datetime
    ends_at: datetime
    created_by: str
    reason: str
    include_red: bool
    expired_at: datetime | None = None

    def active(self, at: datetime) -> bool:
        end = min(self.ends_at, self.expired_at) if self.expired_at else self.ends_at
        return self.starts_at <= at < end

    def matches(self, alert: Alert) -> bool:
        if not self.active(alert.ts) or alert.brand != self.brand:
            return False
        if alert.level == "red" and not self.include_red:
            return False  # red is never hidden by accident
        if self.level is not None and alert.level != self.level:
            return False
        if self.category is not None and alert.category != self.category:
            return False
        if self.incident_id is not None and alert.incident_id != self.incident_id:
            return False
        return self.story is None or self.story in _lead_stories(alert)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for k in ("starts_at", "ends_at", "expired_at"):
            out[k] = format_ts(out[k]) if out[k] is not None else None
        return out


def hash_token(token: str) -> str:
    return hashlib.sha256(b"brand-monitor-token\0" + token.encode("utf-8", "surrogateescape")).hexdigest()


class ActionStore:
    """Companion tables of one store (SQLite or PostgreSQL; created by migration 0004)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- silences ---------------------------------------------------------------------------
    def add_silence(self, *, brand: str, starts_at: datetime, ends_at: datetime, created_by: str, reason: str,
                    level: str | None = None, category: str | None = None, story: str | None = None,
                    incident_id: str | None = None, include_red: bool = False) -> Silence:
        if not brand:
            raise ActionError("a silence needs a brand (--brand)")
        if level is not None and level not in LEVELS:
            raise ActionError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
        if level == "red" and not include_red:
            raise ActionError("a silence of red alerts needs --include-red: red means executives must decide")
        if not reason.strip():
            raise ActionError("a silence needs a reason (--reason): the next person on call will ask why")
        if ends_at <= starts_at:
            raise ActionError("a silence must end after it starts (--for a positive duration)")
        s = Silence(id="sil-" + secrets.token_hex(4), brand=brand, level=level, category=category, story=story,
                    incident_id=incident_id, starts_at=starts_at, ends_at=ends_at, created_by=created_by,
                    reason=reason.strip(), include_red=include_red)
        self.store.execute(
            "INSERT INTO silences(id, brand, level, category, story, incident_id, starts_at, ends_at, created_by, "
            "reason, include_red, expired_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            (s.id, brand, level, category, story, incident_id, to_epoch(starts_at), to_epoch(ends_at), created_by,
             s.reason, int(include_red)))
        return s

    def silences(self, at: datetime | None = None) -> list[Silence]:
        """Every silence (or only those active at ``at``), newest first."""
        rows = self.store.query("SELECT id, brand, level, category, story, incident_id, starts_at, ends_at, "
                                "created_by, reason, include_red, expired_at FROM silences ORDER BY starts_at DESC")
        out = [Silence(r[0], r[1], r[2], r[3], r[4], r[5], from_epoch(r[6]), from_epoch(r[7]), r[8], r[9],
                       bool(r[10]), from_epoch(r[11]) if r[11] is not None else None) for r in rows]
        return [s for s in out if at is None or s.active(at)]

    def expire_silence(self, silence_id: str, at: datetime) -> Silence:
        found = [s for s in self.silences() if s.id == silence_id]
        if not found:
            raise ActionError(f"no silence {silence_id!r} (see `monitor silence list`)")
        self.store.execute("UPDATE silences SET expired_at=? WHERE id=? AND expired_at IS NULL",
                           (to_epoch(at), silence_id))
        return next(s for s in self.silences() if s.id == silence_id)

    def silenced_by(self, alert: Alert) -> Silence | None:
        return next((s for s in self.silences(alert.ts) if s.matches(alert)), None)

    # -- audit ------------------------------------------------------------------------------
    def audit(self, *, at: datetime, actor: str, channel: str, action: str, incident_id: str | None = None,
              **detail: Any) -> None:
        self.store.execute(
            "INSERT INTO audit_log(id, ts, actor, channel, action, incident_id, detail) VALUES(?, ?, ?, ?, ?, ?, ?)",
            ("aud-" + secrets.token_hex(8), to_epoch(at), actor, channel, action, incident_id,
             json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)))

    def audit_log(self, incident_id: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT ts, actor, channel, action, incident_id, detail FROM audit_log"
        args: tuple[Any, ...] = ()
        if incident_id is not None:
            sql, args = sql + " WHERE incident_id=?", (incident_id,)
        rows = self.store.query(sql + " ORDER BY ts, id", args)
        return [{"ts": format_ts(from_epoch(r[0])), "actor": r[1], "channel": r[2], "action": r[3],
                 "incident_id": r[4], "detail": json.loads(r[5])} for r in rows]

    # -- people and tokens ------------------------------------------------------------------
    def add_token(self, person: str, role: str, at: datetime) -> str:
        """A new token for ``person``; only its hash is kept, so it is shown once."""
        if role not in ROLES:
            raise ActionError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
        token = "bm_" + secrets.token_urlsafe(24)
        self.store.execute("INSERT INTO api_tokens(id, person, role, token_hash, created_at, revoked_at) "
                           "VALUES(?, ?, ?, ?, ?, NULL)",
                           ("tok-" + secrets.token_hex(4), person, role, hash_token(token), to_epoch(at)))
        return token

    def who(self, token: str) -> tuple[str, str] | None:
        """(person, role) of a live token, or None."""
        rows = self.store.query("SELECT person, role FROM api_tokens WHERE token_hash=? AND revoked_at IS NULL",
                                (hash_token(token),))
        return (rows[0][0], rows[0][1]) if rows else None

    def revoke_tokens(self, person: str, at: datetime) -> int:
        return self.store.execute("UPDATE api_tokens SET revoked_at=? WHERE person=? AND revoked_at IS NULL",
                                  (to_epoch(at), person))

    # -- chat threads, nonces, marks --------------------------------------------------------
    def thread(self, incident_id: str, notifier: str) -> tuple[str, str] | None:
        rows = self.store.query("SELECT channel, ref FROM chat_threads WHERE incident_id=? AND notifier=?",
                                (incident_id, notifier))
        return (rows[0][0], rows[0][1]) if rows else None

    def save_thread(self, incident_id: str, notifier: str, channel: str, ref: str) -> None:
        with self.store.transaction():
            self.store.execute("DELETE FROM chat_threads WHERE incident_id=? AND notifier=?", (incident_id, notifier))
            self.store.execute("INSERT INTO chat_threads(incident_id, notifier, channel, ref) VALUES(?, ?, ?, ?)",
                               (incident_id, notifier, channel, ref))

    def incident_for_ref(self, notifier: str, ref: str) -> str | None:
        rows = self.store.query("SELECT incident_id FROM chat_threads WHERE notifier=? AND ref=?", (notifier, ref))
        return str(rows[0][0]) if rows else None

    def use_nonce(self, nonce: str, at: datetime) -> bool:
        """True the first time ``nonce`` is seen, False for a replay (atomic)."""
        with self.store.transaction():
            if self.store.query("SELECT 1 FROM used_nonces WHERE nonce=?", (nonce,)):
                return False
            self.store.execute("INSERT INTO used_nonces(nonce, used_at) VALUES(?, ?)", (nonce, to_epoch(at)))
            return True

    def prune_nonces(self, before: datetime) -> int:
        return self.store.execute("DELETE FROM used_nonces WHERE used_at < ?", (to_epoch(before),))

    def mark(self, incident_id: str, mark: str, actor: str, at: datetime) -> None:
        with self.store.transaction():
            self.store.execute("DELETE FROM incident_marks WHERE incident_id=? AND mark=?", (incident_id, mark))
            self.store.execute("INSERT INTO incident_marks(incident_id, mark, actor, at) VALUES(?, ?, ?, ?)",
                               (incident_id, mark, actor, to_epoch(at)))

    def marks(self, incident_id: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT incident_id, mark, actor, at FROM incident_marks"
        args: tuple[Any, ...] = ()
        if incident_id is not None:
            sql, args = sql + " WHERE incident_id=?", (incident_id,)
        return [{"incident_id": r[0], "mark": r[1], "actor": r[2], "at": format_ts(from_epoch(r[3]))}
                for r in self.store.query(sql + " ORDER BY at", args)]


def suppress(store: Store, alert: Alert, record: dict[str, Any], names: list[str]) -> list[str]:
    """The outbox's hook: the notifiers still to deliver ``alert``; a match is noted in ``record``."""
    silence = ActionStore(store).silenced_by(alert)
    if silence is None:
        return names
    record["suppressed"] = {"silence": silence.id, "notifiers": list(names), "reason": silence.reason,
                            "by": silence.created_by, "until": format_ts(silence.ends_at)}
    return []


def _lead_stories(alert: Alert) -> set[str]:
    """The story an alert is about: its largest story's id (the key, SOURCE:ID, of the story's first
    post, as report.json's ``evidence.detail.stories[0].id``), or an explicit ``story`` detail.
    A silence on one story never hides an alert led by another."""
    detail = alert.evidence.detail if alert.evidence else {}
    found = {str(detail["story"])} if detail.get("story") else set()
    stories = detail.get("stories")
    if isinstance(stories, list) and stories and isinstance(stories[0], dict) and stories[0].get("id"):
        found.add(str(stories[0]["id"]))
    return found
