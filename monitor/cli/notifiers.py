"""`monitor notifiers list | show KIND`: the alert channels this build knows, and their settings."""

from __future__ import annotations

import argparse
import sys

from monitor.alerts.notifiers.base import NOTIFIERS, NotifierConfig
from monitor.cli.common import print_json
from monitor.cli.sources import show_plugin
from monitor.plugins import PluginConfig, describe


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("notifiers", help="the alert channels this build knows, and their settings")
    nsub = p.add_subparsers(dest="action", metavar="ACTION")
    ls = nsub.add_parser("list", help="every notifier kind with its one-line description")
    ls.add_argument("--json", action="store_true", help="one JSON line")
    ls.set_defaults(func=list_notifiers)
    show = nsub.add_parser("show", help="a kind's settings: type, default, description")
    show.add_argument("kind", help="a kind from `monitor notifiers list`")
    show.add_argument("--json", action="store_true", help="one JSON line")
    show.set_defaults(func=show_notifier)
    p.set_defaults(func=list_notifiers, json=False)


def list_notifiers(args: argparse.Namespace) -> int:
    rows = [{"kind": kind, "description": describe(cls)} for kind, cls in NOTIFIERS.items()]
    if args.json:
        print_json(rows)
        return 0
    width = max(len(r["kind"]) for r in rows)
    for r in rows:
        print(f"{r['kind']:<{width}}  {r['description']}")
    return 0


def show_notifier(args: argparse.Namespace) -> int:
    cls = NOTIFIERS.get(args.kind)
    if cls is None:
        print(f"error: unknown notifier kind {args.kind!r}; known kinds: {', '.join(NOTIFIERS.kinds())}",
              file=sys.stderr)
        return 2
    fields = cls.Config.model_fields
    common = set(NotifierConfig.model_fields) | set(PluginConfig.model_fields)
    ordered = [("kind", fields["kind"]), *[(n, f) for n, f in fields.items() if n not in common],
               *[(n, f) for n, f in fields.items() if n in common and n != "kind"]]
    return show_plugin(args, cls, "notifier", ordered)
