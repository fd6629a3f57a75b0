"""`monitor incidents list | ack ID | resolve ID | relabel KEY LABEL`: the lifecycle by hand.

These act on the store through the same engine code the daemon runs (in one SQLite
transaction), so they work whether or not the daemon is running; the notifications they
cause wait in the outbox and are delivered by the daemon.
"""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from monitor.alerts.dispatch import Outbox
from monitor.alerts.engine import Engine
from monitor.cli.common import add_config, print_json
from monitor.clock import SystemClock
from monitor.config import Loaded, load_for_cli
from monitor.http_api import incident_json
from monitor.names import LABELS
from monitor.runtime import build_notifiers
from monitor.store import Store, open_store
from monitor.store_actions import ActionStore


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("incidents", help="list, acknowledge, resolve incidents; relabel a post")
    isub = p.add_subparsers(dest="action", metavar="ACTION")
    isub.required = True
    ls = isub.add_parser("list", help="incidents, newest first")
    add_config(ls)
    ls.add_argument("--status", choices=["open", "resolved", "all"], default="all")
    ls.add_argument("--json", action="store_true", help="one JSON line")
    ls.set_defaults(func=list_incidents)
    for name, helptext in (("ack", "acknowledge: stops reminders and deadline escalation"),
                           ("resolve", "resolve by hand (all-clear is sent)")):
        a = isub.add_parser(name, help=helptext)
        a.add_argument("id", help="incident id (see `monitor incidents list`)")
        a.add_argument("--by", default=None, help="who (default: the OS user)")
        add_config(a)
        a.add_argument("--json", action="store_true")
        a.set_defaults(func=act, act=name)
    r = isub.add_parser("relabel", help="correct a post's sentiment; open incidents are re-evaluated")
    r.add_argument("key", help="the post's key, SOURCE:ID (shown in alerts' example posts)")
    r.add_argument("label", choices=LABELS)
    r.add_argument("--by", default=None)
    r.add_argument("--note", default=None)
    add_config(r)
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=relabel)


def _engine(loaded: Loaded) -> tuple[Engine, Store, Outbox]:
    store = open_store(loaded.config.store)
    from monitor.alerts.notifiers.base import NotifierContext

    notifiers = build_notifiers(loaded.config.notifiers, NotifierContext(clock=SystemClock()))
    outbox = Outbox(store, notifiers)
    engine = Engine(loaded.config.engine, loaded.playbooks, store, outbox.enqueue,
                    {b.id: b.name for b in loaded.rules.brands.values()})
    engine.load()
    return engine, store, outbox


def list_incidents(args: argparse.Namespace) -> int:
    loaded = load_for_cli(args.config)
    store = open_store(loaded.config.store)
    items = [incident_json(i) for i in store.list_incidents(None if args.status == "all" else args.status)]
    store.close()
    if args.json:
        print_json(items)
        return 0
    if not items:
        print("no incidents")
    for i in items:
        ack = f"acked by {i['acked_by']}" if i["acked_by"] else "unacknowledged"
        end = f"resolved {i['resolved_at']}" if i["resolved_at"] else ack
        print(f"{i['id']:<40} {i['level']:<7} {i['status']:<9} opened {i['opened_at']}  {end}")
    return 0


def _finish(args: argparse.Namespace, store: Store, outbox: Outbox, result: Any, text: str) -> int:
    store.close()
    if args.json:
        print_json(result)
    else:
        print(text)
        if outbox.queued:
            print(f"{outbox.queued} notification(s) queued; the daemon delivers them")
    return 0


def act(args: argparse.Namespace) -> int:
    loaded = load_for_cli(args.config)
    if args.id.startswith("drill-"):  # a live drill's incident: handed to the drill that holds it
        from monitor.drills.live import route

        home = open_store(loaded.config.store)
        try:
            outcome = route(home, args.act, args.id, args.by or getpass.getuser(), "cli", SystemClock().now())
        finally:
            home.close()
        if outcome is not None:
            print(outcome.message)
            return 0 if outcome.ok else 1
    engine, store, outbox = _engine(loaded)
    by = args.by or getpass.getuser()
    with engine.batch():
        fn = engine.acknowledge if args.act == "ack" else engine.resolve
        inc = fn(args.id, by, SystemClock().now())
        ActionStore(store).audit(at=SystemClock().now(), actor=by, channel="cli", action=args.act, incident_id=inc.id)
    verb = "acknowledged" if args.act == "ack" else "resolved"
    return _finish(args, store, outbox, incident_json(inc), f"{inc.id} {verb} by {by}")


def relabel(args: argparse.Namespace) -> int:
    loaded = load_for_cli(args.config)
    engine, store, outbox = _engine(loaded)
    by = args.by or getpass.getuser()
    with engine.batch():
        scopes = engine.relabel(args.key, args.label, by, SystemClock().now(), args.note)
        ActionStore(store).audit(at=SystemClock().now(), actor=by, channel="cli", action="relabel", key=args.key,
                                 label=args.label)
    result = {"key": args.key, "label": args.label, "reevaluated": scopes}
    return _finish(args, store, outbox, result, f"{args.key} relabelled {args.label} by {by}; "
                   f"re-evaluated: {', '.join(scopes) or 'nothing (post outside the current window)'}")
