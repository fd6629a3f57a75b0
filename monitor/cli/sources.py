"""`monitor sources list | show KIND`: the channel kinds this build knows, and their settings.

``show`` is generated from each kind's pydantic config, so the configuration reference
can never drift from what ``monitor check`` accepts.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import types
import typing
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from monitor.cli.common import print_json
from monitor.durations import format_duration
from monitor.plugins import describe
from monitor.sources.base import SOURCES, Source, SourceConfig
from monitor.sources.http import HttpSourceConfig


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("sources", help="the channel kinds this build knows, and their settings")
    ssub = p.add_subparsers(dest="action", metavar="ACTION")
    ls = ssub.add_parser("list", help="every source kind with its one-line description")
    ls.add_argument("--json", action="store_true", help="one JSON line")
    ls.set_defaults(func=list_sources)
    show = ssub.add_parser("show", help="a kind's settings: type, default, description")
    show.add_argument("kind", help="a kind from `monitor sources list`")
    show.add_argument("--json", action="store_true", help="one JSON line")
    show.set_defaults(func=show_source)
    p.set_defaults(func=list_sources, json=False)  # bare `monitor sources` lists


def mode(cls: type[Source]) -> str:
    if cls.routes is not Source.routes:
        return "push"
    return "streaming" if cls.streaming else "polled"


def list_sources(args: argparse.Namespace) -> int:
    rows = [{"kind": kind, "mode": mode(cls), "description": describe(cls)} for kind, cls in SOURCES.items()]
    if args.json:
        print_json(rows)
        return 0
    width = max(len(r["kind"]) for r in rows)
    for r in rows:
        print(f"{r['kind']:<{width}}  {r['description']}")
    return 0


def show_source(args: argparse.Namespace) -> int:
    cls = SOURCES.get(args.kind)
    if cls is None:
        print(f"error: unknown source kind {args.kind!r}; known kinds: {', '.join(SOURCES.kinds())}", file=sys.stderr)
        return 2
    return show_plugin(args, cls, mode(cls), _ordered(cls.Config.model_fields))


def user_doc(cls: Any) -> str:
    """What an operator reads about a kind: its one-line summary and its settings' docstring.

    The module and class docstrings beyond the first line are written for developers (why a base
    class, which helper) and stay out of the reference.
    """
    parts = [describe(cls)]
    config_doc = inspect.cleandoc(cls.Config.__doc__ or "")
    inherited = {inspect.cleandoc(base.__doc__ or "") for base in cls.Config.__mro__[1:]}
    if config_doc and config_doc not in inherited and config_doc != parts[0]:
        parts.append(config_doc)
    return "\n\n".join(parts)


def show_plugin(args: argparse.Namespace, cls: Any, how: str, ordered: list[tuple[str, FieldInfo]]) -> int:
    fields = [describe_field(name, f) for name, f in ordered]
    doc = user_doc(cls)
    if args.json:
        print_json({"kind": args.kind, "mode": how, "description": describe(cls), "doc": doc, "fields": fields})
        return 0
    print(f"{args.kind} ({how}): {describe(cls)}")
    rest = doc.split("\n", 1)[1].strip() if "\n" in doc else ""
    if rest:
        print()
        print("\n".join(f"  {line}" if line else "" for line in rest.splitlines()))
    print()
    rows = [(f["name"], f["type"], "(required)" if f["required"] else _show(f["default"]), f["description"])
            for f in fields]
    head = ("setting", "type", "default", "description")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(3)]
    for r in [head, *rows]:
        print(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}".rstrip())
    return 0


def _ordered(fields: dict[str, FieldInfo]) -> list[tuple[str, FieldInfo]]:
    """The kind's own settings first, then the ones every (HTTP) source shares."""
    common = set(HttpSourceConfig.model_fields) | set(SourceConfig.model_fields)
    own = [(n, f) for n, f in fields.items() if n not in common]
    shared = [(n, f) for n, f in fields.items() if n in common and n != "kind"]
    return [("kind", fields["kind"]), *own, *shared]


def describe_field(name: str, f: FieldInfo) -> dict[str, Any]:
    """One setting as data: name, readable type, default (JSON-ready), required, description."""
    required = f.is_required()
    default = None if required else _jsonable(f.get_default(call_default_factory=True))
    return {"name": name, "type": type_label(f.annotation, f.metadata), "default": default, "required": required,
            "description": f.description or ""}


def type_label(annotation: Any, metadata: list[Any] | None = None) -> str:
    """A config type in the words a YAML author uses: duration, string, list of string, a|b|c, ... or null."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_label(args[0], list(args[1:]))
    if origin in (typing.Union, types.UnionType):
        parts = [type_label(a) for a in args if a is not type(None)]
        label = " or ".join(parts)
        return f"{label} or null" if type(None) in args else label
    if origin is typing.Literal:
        return "|".join(str(a) for a in args)
    if origin in (list, tuple, set, frozenset):
        return f"list of {type_label(args[0])}" if args else "list"
    if origin is dict:
        return "mapping"
    if annotation is timedelta:
        return "duration"
    names = {str: "string", int: "integer", float: "number", bool: "boolean", SecretStr: "secret", Path: "path"}
    if annotation in names:
        return names[annotation]
    return getattr(annotation, "__name__", str(annotation))


def _jsonable(value: Any) -> Any:
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, SecretStr):
        return "********"
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, BaseModel):  # a nested settings group, e.g. a push source's limits
        return {k: _jsonable(v) for k, v in value.model_dump().items()}
    return value


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)
