"""`monitor silence add|list|expire`, `monitor audit` and `monitor tokens`: the response tables by hand.

They work on the store directly (daemon running or not), and every change is written to
the audit log with the OS user (or ``--by``) as the actor and ``cli`` as the channel.
"""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from monitor.cli.common import add_config, print_json
from monitor.clock import SystemClock
from monitor.config import load_for_cli
from monitor.durations import parse_duration
from monitor.errors import MonitorError
from monitor.store import Store, open_store
from monitor.store_actions import LEVELS, ROLES, ActionStore


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("silence", help="time-boxed mutes (suppressed alerts are recorded, not lost)")
    ssub = p.add_subparsers(dest="action", metavar="ACTION")
    ssub.required = True
    a = ssub.add_parser("add", help="mute a brand's alerts (optionally one level, category or story) for a while")
    a.add_argument("--brand", required=True, help="brand id (keywords.yaml)")
    a.add_argument("--level", choices=LEVELS, default=None, help="only this level")
    a.add_argument("--category", default=None, help="only this category")
    a.add_argument("--story", default=None,
                   help="only alerts led by this story: its id is the key (SOURCE:ID) of its first post, "
                        "as in report.json evidence.detail.stories")
    a.add_argument("--for", dest="duration", required=True, help="how long, e.g. 2h, 30m, 1d")
    a.add_argument("--reason", required=True, help="why (shown to whoever is on call next)")
    a.add_argument("--include-red", action="store_true", help="also hide red alerts (executives decide on red)")
    a.add_argument("--by", default=None, help="who (default: the OS user)")
    add_config(a)
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=add)
    ls = ssub.add_parser("list", help="silences, newest first")
    ls.add_argument("--active", action="store_true", help="only those in force now")
    add_config(ls)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=list_silences)
    e = ssub.add_parser("expire", help="end a silence now")
    e.add_argument("id")
    e.add_argument("--by", default=None)
    add_config(e)
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=expire)

    au = sub.add_parser("audit", help="every human action: who, how, when, what")
    au.add_argument("--incident", default=None, help="only this incident")
    add_config(au)
    au.add_argument("--json", action="store_true")
    au.set_defaults(func=audit)

    t = sub.add_parser("tokens", help="per-person API tokens with roles (viewer, responder, admin)")
    tsub = t.add_subparsers(dest="action", metavar="ACTION")
    tsub.required = True
    ta = tsub.add_parser("add", help="make a token for a person; it is shown once, stored hashed")
    ta.add_argument("person")
    ta.add_argument("--role", choices=ROLES, required=True)
    add_config(ta)
    ta.set_defaults(func=add_token)
    tr = tsub.add_parser("revoke", help="revoke every token of a person")
    tr.add_argument("person")
    add_config(tr)
    tr.set_defaults(func=revoke)


def _open(args: argparse.Namespace) -> tuple[Store, ActionStore]:
    store = open_store(load_for_cli(args.config).config.store)  # SQLite or PostgreSQL
    return store, ActionStore(store)


def _by(args: argparse.Namespace) -> str:
    return getattr(args, "by", None) or getpass.getuser()


def add(args: argparse.Namespace) -> int:
    try:
        length = parse_duration(args.duration)
    except ValueError as exc:
        raise MonitorError(f"--for: {exc}") from None
    store, actions = _open(args)
    now, by = SystemClock().now(), _by(args)
    try:
        with store.transaction():
            s = actions.add_silence(brand=args.brand, level=args.level, category=args.category, story=args.story,
                                    starts_at=now, ends_at=now + length, created_by=by, reason=args.reason,
                                    include_red=args.include_red)
            actions.audit(at=now, actor=by, channel="cli", action="silence", silence=s.id, brand=s.brand,
                          level=s.level, category=s.category, until=s.ends_at.isoformat())
    finally:
        store.close()
    if args.json:
        print_json(s.to_json())
    else:
        print(f"{s.id}: {_describe(s.to_json())} until {s.to_json()['ends_at']} ({s.reason})")
    return 0


def _describe(s: dict[str, Any]) -> str:
    what = [f"brand {s['brand']}"] + [f"{k} {s[k]}" for k in ("level", "category", "story", "incident_id") if s[k]]
    red = "" if s["include_red"] or s["level"] not in (None, "red") else " (red still comes through)"
    return ", ".join(what) + red


def list_silences(args: argparse.Namespace) -> int:
    store, actions = _open(args)
    now = SystemClock().now()
    items = [{**s.to_json(), "active": s.active(now)} for s in actions.silences(now if args.active else None)]
    store.close()
    if args.json:
        print_json(items)
        return 0
    if not items:
        print("no silences")
    for s in items:
        state = "active" if s["active"] else ("expired" if s["expired_at"] else "ended/pending")
        print(f"{s['id']:<14} {state:<13} {_describe(s)}  {s['starts_at']} -> {s['ends_at']}  "
              f"by {s['created_by']}: {s['reason']}")
    return 0


def expire(args: argparse.Namespace) -> int:
    store, actions = _open(args)
    now, by = SystemClock().now(), _by(args)
    try:
        with store.transaction():
            s = actions.expire_silence(args.id, now)
            actions.audit(at=now, actor=by, channel="cli", action="silence_expire", silence=s.id)
    finally:
        store.close()
    if args.json:
        print_json(s.to_json())
    else:
        print(f"{s.id} expired by {by}")
    return 0


def audit(args: argparse.Namespace) -> int:
    store, actions = _open(args)
    entries = actions.audit_log(args.incident)
    store.close()
    if args.json:
        print_json(entries)
        return 0
    if not entries:
        print("no audit entries")
    for e in entries:
        detail = " ".join(f"{k}={v}" for k, v in e["detail"].items())
        print(f"{e['ts']}  {e['actor']:<16} via {e['channel']:<6} {e['action']:<14} {e['incident_id'] or '-'}  "
              f"{detail}")
    return 0


def add_token(args: argparse.Namespace) -> int:
    store, actions = _open(args)
    now = SystemClock().now()
    try:
        with store.transaction():
            token = actions.add_token(args.person, args.role, now)
            actions.audit(at=now, actor=getpass.getuser(), channel="cli", action="token_add", person=args.person,
                          role=args.role)
    finally:
        store.close()
    print(token)
    return 0


def revoke(args: argparse.Namespace) -> int:
    store, actions = _open(args)
    now = SystemClock().now()
    try:
        with store.transaction():
            n = actions.revoke_tokens(args.person, now)
            actions.audit(at=now, actor=getpass.getuser(), channel="cli", action="token_revoke", person=args.person)
    finally:
        store.close()
    print(f"{n} token(s) of {args.person} revoked")
    return 0
