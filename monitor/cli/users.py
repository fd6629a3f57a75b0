"""`monitor users add|list|passwd|role|disable`: accounts of the web console (see docs/console.md).

A password is read from a prompt (typed twice, never echoed) or, with ``--password-stdin``
or when stdin is not a terminal, from the first line of stdin, so it never lands in the
shell history or the process list. Every change is written to the audit log (channel ``cli``).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from monitor.cli.common import InputError, add_config, print_json
from monitor.clock import SystemClock
from monitor.config import load_for_cli
from monitor.console.users import Accounts
from monitor.store import open_store
from monitor.store_actions import ROLES, ActionError, ActionStore


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("users", help="web console accounts (viewer, responder, admin)")
    usub = p.add_subparsers(dest="action", metavar="ACTION")
    usub.required = True
    a = usub.add_parser("add", help="make an account; the password is read from a prompt or stdin")
    a.add_argument("name")
    a.add_argument("--role", choices=ROLES, required=True)
    a.add_argument("--timezone", default=None, help="the person's display zone, e.g. Asia/Shanghai")
    a.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    a.add_argument("--sso-only", action="store_true", help="no password: signs in only through the SSO proxy")
    add_config(a)
    a.set_defaults(func=add)
    ls = usub.add_parser("list", help="accounts and their roles")
    add_config(ls)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=list_users)
    pw = usub.add_parser("passwd", help="set a new password (ends the person's sessions)")
    pw.add_argument("name")
    pw.add_argument("--password-stdin", action="store_true")
    add_config(pw)
    pw.set_defaults(func=passwd)
    r = usub.add_parser("role", help="change a person's role")
    r.add_argument("name")
    r.add_argument("role", choices=ROLES)
    add_config(r)
    r.set_defaults(func=role)
    d = usub.add_parser("disable", help="lock an account and end its sessions")
    d.add_argument("name")
    add_config(d)
    d.set_defaults(func=disable)


def read_password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            raise InputError("no password on stdin (give it as the first line)")
        return line.rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise InputError("the two passwords differ; nothing was changed")
    return first


def _run(args: argparse.Namespace, action: str, fn: object, **detail: object) -> int:
    store = open_store(load_for_cli(args.config).config.store)
    now = SystemClock().now()
    try:
        with store.transaction():
            fn(Accounts(store), now)  # type: ignore[operator]
            ActionStore(store).audit(at=now, actor=getpass.getuser(), channel="cli", action=action,
                                     person=args.name, **detail)
    except ActionError as exc:
        raise InputError(str(exc)) from None
    finally:
        store.close()
    return 0


def add(args: argparse.Namespace) -> int:
    if args.timezone:
        from monitor.timezones import _zone_name

        try:
            _zone_name(args.timezone)
        except ValueError as exc:
            raise InputError(f"--timezone: {exc}") from None
    password = None if args.sso_only else read_password(args.password_stdin)
    _run(args, "user_add", lambda a, now: a.add(args.name, args.role, password, now, args.timezone), role=args.role)
    print(f"account {args.name} ({args.role}) added; sign in at the console's /console/login")
    return 0


def passwd(args: argparse.Namespace) -> int:
    password = read_password(args.password_stdin)
    _run(args, "user_passwd", lambda a, now: a.set_password(args.name, password))
    print(f"password of {args.name} changed; their sessions were ended")
    return 0


def role(args: argparse.Namespace) -> int:
    _run(args, "user_role", lambda a, now: a.set_role(args.name, args.role), role=args.role)
    print(f"{args.name} is now a {args.role}")
    return 0


def disable(args: argparse.Namespace) -> int:
    _run(args, "user_disable", lambda a, now: a.disable(args.name, now))
    print(f"account {args.name} disabled; their sessions were ended")
    return 0


def list_users(args: argparse.Namespace) -> int:
    store = open_store(load_for_cli(args.config).config.store)
    try:
        users = Accounts(store).all()
    finally:
        store.close()
    rows = [{"name": u.name, "role": u.role, "timezone": u.timezone, "disabled": u.disabled} for u in users]
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        print(f"{r['name']:<24} {r['role']:<10} {r['timezone'] or '-':<20} {'disabled' if r['disabled'] else ''}")
    return 0
