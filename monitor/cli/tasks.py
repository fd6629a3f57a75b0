"""`monitor tasks list|done|statement`: the playbook checklist from a shell or a script.

They work on the store directly (daemon running or not), like `monitor silence`; every change
is written to the audit log with ``--by`` (default: the OS user) as the actor and ``cli`` as
the channel. An unknown task or incident, an empty statement or an approver who is not one
exits 2 (invalid input) with the reason.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from monitor.cli.common import InputError, add_config, print_json
from monitor.clock import SystemClock
from monitor.config import load_for_cli
from monitor.store import open_store
from monitor.tasks import TaskBook, TaskError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("tasks", help="the playbook as a checklist: incidents' tasks, deadlines, the statement")
    tsub = p.add_subparsers(dest="action", metavar="ACTION")
    tsub.required = True
    ls = tsub.add_parser("list", help="tasks with their owners and deadlines (overdue ones marked)")
    ls.add_argument("--incident", default=None, help="only this incident's tasks")
    ls.add_argument("--overdue", action="store_true", help="only tasks past their deadline and not done")
    ls.add_argument("--open", action="store_true", help="only tasks not done")
    add_config(ls)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=list_tasks)
    d = tsub.add_parser("done", help="tick a task (or untick it with --undo)")
    d.add_argument("task_id", metavar="TASK_ID")
    d.add_argument("--by", default=None, help="who did it (default: the OS user)")
    d.add_argument("--undo", action="store_true", help="mark it not done again")
    add_config(d)
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=done)
    s = tsub.add_parser("statement", help="show, edit or approve an incident's holding statement")
    s.add_argument("incident", metavar="INCIDENT")
    group = s.add_mutually_exclusive_group()
    group.add_argument("--edit", metavar="FILE", help="replace the text with FILE's ('-': stdin); clears an approval")
    group.add_argument("--approve", action="store_true", help="approve the current text (an approver role's person)")
    s.add_argument("--version", type=int, default=None, help="with --approve: the version you read (refused if "
                   "the text changed since)")
    s.add_argument("--by", default=None, help="who edits or approves (default: the OS user)")
    add_config(s)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=statement)


def _book(args: argparse.Namespace) -> TaskBook:
    loaded = load_for_cli(args.config)
    return TaskBook(open_store(loaded.config.store), loaded.config.tasks)


def _by(args: argparse.Namespace) -> str:
    return args.by or getpass.getuser()


def _line(v: dict[str, Any]) -> str:
    state = "done" if v["done"] else ("OVERDUE" if v["overdue"] else "open")
    owners = ", ".join(v["owners"]) or "unassigned"
    done = f"  (by {v['done_by']} at {v['done_at']}, {v['outcome'].replace('_', ' ')})" if v["done"] else ""
    return (f"{v['id']}  {state:<7} {v['level']:<6} due {v['due_at']}  {v['role']} [{owners}]: {v['text']}{done}")


def list_tasks(args: argparse.Namespace) -> int:
    book = _book(args)
    try:
        views = [v.to_json() for v in book.tasks(SystemClock().now(), args.incident, overdue=args.overdue,
                                                 open_only=args.open)]
    finally:
        book.store.close()
    if args.json:
        print_json(views)
        return 0
    if not views:
        print("no tasks" + (f" for incident {args.incident}" if args.incident else ""))
    incident = None
    for v in views:
        if v["incident_id"] != incident:
            incident = v["incident_id"]
            print(f"incident {incident}")
        print("  " + _line(v))
    return 0


def done(args: argparse.Namespace) -> int:
    book = _book(args)
    try:
        view = book.mark_done(args.task_id, _by(args), SystemClock().now(), channel="cli", done=not args.undo)
    except TaskError as exc:
        raise InputError(str(exc)) from None
    finally:
        book.store.close()
    if args.json:
        print_json(view.to_json())
    else:
        print(_line(view.to_json()))
    return 0


def statement(args: argparse.Namespace) -> int:
    book = _book(args)
    now, by = SystemClock().now(), _by(args)
    try:
        if args.edit is not None:
            st = book.edit_statement(args.incident, _read(args.edit), by, now, channel="cli")
        elif args.approve:
            st = book.approve_statement(args.incident, by, now, channel="cli", version=args.version)
        else:
            st = book.statement(args.incident)
    except TaskError as exc:
        raise InputError(str(exc)) from None
    finally:
        book.store.close()
    out = st.to_json()
    if args.json:
        print_json(out)
        return 0
    approved = f" by {out['approved_by']} at {out['approved_at']}" if out["approved"] else ""
    print(f"statement of {out['incident_id']}: {out['state'].upper()}{approved} (version {out['version']}, "
          f"{out['author']} at {out['edited_at']})")
    print(out["text"])
    return 0


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--edit {path}: cannot read the statement text ({exc})") from None
