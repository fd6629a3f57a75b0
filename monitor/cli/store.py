"""`monitor store migrate | copy --from URL --to URL`: schema upgrades and moving backends.

URLs: ``sqlite:PATH`` or ``postgres:DSN`` (``postgres:postgresql://user@host:5432/db``).
"""

from __future__ import annotations

import argparse

from monitor.cli.common import add_config
from monitor.store import open_store, open_url


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("store", help="migrate the store's schema; copy a store to another backend")
    ssub = p.add_subparsers(dest="action", metavar="ACTION")
    ssub.required = True
    m = ssub.add_parser("migrate", help="bring the store up to this release's schema (also done at start)")
    add_config(m)
    m.add_argument("--url", default=None, help="sqlite:PATH or postgres:DSN instead of the config's store")
    m.set_defaults(func=migrate)
    c = ssub.add_parser("copy", help="copy every row into a new, empty store (e.g. SQLite to PostgreSQL)")
    c.add_argument("--from", dest="src", required=True, help="sqlite:PATH or postgres:DSN")
    c.add_argument("--to", dest="dst", required=True, help="sqlite:PATH or postgres:DSN (must be empty)")
    c.set_defaults(func=copy)


def migrate(args: argparse.Namespace) -> int:
    if args.url:
        store = open_url(args.url)
    else:
        from monitor.config import load_for_cli

        store = open_store(load_for_cli(args.config).config.store)
    try:  # opening applied what was missing; report where it stands
        print(f"{store.path}: schema version {store.get_meta('schema_version')} (up to date)")
    finally:
        store.close()
    return 0


def copy(args: argparse.Namespace) -> int:
    from monitor.store.copy import copy_store

    src = open_url(args.src)
    try:
        dst = open_url(args.dst)
        try:
            report = copy_store(src, dst)
        finally:
            dst.close()
    finally:
        src.close()
    for table, n in report.rows.items():
        print(f"  {table:<14} {n} row(s)")
    print(f"copied {report.total} row(s) from {src.path} to {dst.path}")
    return 0
