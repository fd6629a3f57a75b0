"""`monitor check`: validate config, keywords and playbooks without touching the network."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from monitor.alerts.levels import describe_thresholds
from monitor.cli.common import add_config, print_json
from monitor.config import load_for_cli
from monitor.errors import ConfigError
from monitor.tasks.settings import role_summary


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("check", help="validate config, keywords and playbooks; no network I/O",
                       description="Validate monitor.yaml, the keyword rules and the playbooks and list every "
                                   "problem with its file and place. Exit code 2 when anything is wrong.")
    add_config(p)
    p.add_argument("--keywords", "-k", type=Path, help="keyword rules to use instead of the config's")
    p.add_argument("--json", action="store_true", help="one JSON line: {ok, file, ...} or {ok: false, problems}")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        loaded = load_for_cli(args.config, args.keywords)
    except ConfigError as exc:
        if not args.json:
            raise
        print_json({"ok": False, "problems": [asdict(p) for p in exc.problems]})
        return 2
    cfg = loaded.config
    rules = loaded.rules
    if args.json:
        print_json({"ok": True, "file": loaded.file,
                    "keywords": {"file": str(cfg.keywords), "rules": len(rules.rules), "brands": sorted(rules.brands)},
                    "playbooks": {"dir": str(cfg.playbooks), "ids": sorted(p.id for p in loaded.playbooks.all())},
                    "sources": [{"name": s.display_name(), "kind": s.kind} for s in cfg.sources],
                    "notifiers": [{"name": n.display_name(), "kind": n.kind} for n in cfg.notifiers],
                    "store": str(cfg.store.path), "server": {"host": cfg.server.host, "port": cfg.server.port},
                    "thresholds": describe_thresholds(cfg.engine),
                    "tasks": role_summary(cfg.tasks, loaded.playbooks)})
        return 0
    print(f"ok: {loaded.file}")
    print(f"  keywords:  {cfg.keywords} ({len(rules.rules)} rules, {len(rules.brands)} brand(s): "
          f"{', '.join(sorted(rules.brands))})")
    print(f"  playbooks: {cfg.playbooks} ({', '.join(sorted(p.id for p in loaded.playbooks.all()))})")
    print(f"  sources:   {', '.join(f'{s.display_name()} ({s.kind})' for s in cfg.sources) or 'none'}")
    print(f"  notifiers: {', '.join(f'{n.display_name()} ({n.kind})' for n in cfg.notifiers) or 'none'}")
    print(f"  store:     {cfg.store.path}")
    roles = role_summary(cfg.tasks, loaded.playbooks)
    held = "; ".join(f"{role} -> {', '.join(people)}" for role, people in roles["owners"].items()) or "no owners"
    unassigned = f"; unassigned: {', '.join(roles['unassigned'])}" if roles["unassigned"] else ""
    print(f"  tasks:     {held}{unassigned}")
    for line in describe_thresholds(cfg.engine):
        print(f"  {line}")
    return 0
