"""YAML loading that remembers where things are, and turns pydantic errors into Problems.

Every config file in the project (monitor.yaml, keywords.yaml, playbooks) goes
through :func:`load_yaml` so that an error can say ``monitor.yaml: line 12
(sources[2].interval): ...`` instead of a bare traceback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from monitor.errors import ConfigError, Problem

Loc = tuple[str | int, ...]


@dataclass
class Located:
    """A parsed YAML document plus the line (1-based) of every mapping key / sequence item."""

    data: Any
    file: str
    lines: dict[Loc, int] = field(default_factory=dict)

    def line(self, loc: Iterable[str | int]) -> int | None:
        """Line of the deepest known prefix of ``loc``."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), None)

    def place(self, loc: Iterable[str | int]) -> str:
        loc = tuple(loc)
        line = self.line(loc)
        dotted = format_loc(loc)
        if line is None:
            return dotted
        return f"line {line}" + (f" ({dotted})" if dotted else "")


def format_loc(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _walk(node: yaml.Node, loc: Loc, lines: dict[Loc, int]) -> None:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*loc, str(key.value))
            lines[child] = key.start_mark.line + 1
            _walk(value, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            child = (*loc, i)
            lines[child] = item.start_mark.line + 1
            _walk(item, child, lines)


def load_yaml(path: str | Path, *, display: str | None = None) -> Located:
    """Read a YAML file; a syntax error becomes a ConfigError naming the line and column."""
    path = Path(path)
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(name, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(name, "", f"cannot read: {exc}")]) from None
    return parse_yaml(text, name)


MAX_DEPTH = 64
"""Deepest nesting a config may have (a real one is under 10 levels)."""
MAX_NODES = 500_000
"""Most values a document may expand to, aliases counted each time they are used (anchor bombs)."""


def parse_yaml(text: str, name: str) -> Located:
    """Parse YAML text; syntax errors, duplicate keys, recursive aliases, alias bombs and absurd
    nesting become a ConfigError naming the place, before anything is built from the document."""
    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)  # the reader refuses control characters right here
        node = loader.get_single_node()
        if node is not None and (problems := _check_shape(node, name)):
            raise ConfigError(problems)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        place = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError([Problem(name, place, f"YAML syntax error: {exc.problem}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(name, "", f"YAML syntax error: {exc}")]) from None
    except (ValueError, OverflowError) as exc:  # e.g. a 5,000-digit integer or a date like 2026-13-45
        raise ConfigError([Problem(name, "", f"a value cannot be read: {str(exc)[:200]}")]) from None
    except RecursionError:
        raise ConfigError([Problem(name, "", f"nesting is too deep to read; a config has at most {MAX_DEPTH} "
                                             f"levels of lists and mappings")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    lines: dict[Loc, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return Located(data=data, file=name, lines=lines)


def _check_shape(root: yaml.Node, name: str) -> list[Problem]:
    """Duplicate keys, recursive aliases, nesting depth and expanded size, without recursing."""
    problems: list[Problem] = []
    count = 0
    checked: set[int] = set()  # mappings already checked for duplicate keys (aliases revisit them)
    stack: list[tuple[yaml.Node, int, frozenset[int]]] = [(root, 1, frozenset())]
    while stack:
        node, depth, above = stack.pop()
        count += 1
        line = node.start_mark.line + 1
        if count > MAX_NODES:
            return [*problems, Problem(name, f"line {line}", f"the document expands to more than {MAX_NODES:,} "
                                       f"values (aliases of aliases: a YAML 'billion laughs' bomb?); write the "
                                       f"values out or use fewer aliases")]
        if depth > MAX_DEPTH:
            return [*problems, Problem(name, f"line {line}", f"nesting is deeper than {MAX_DEPTH} levels; "
                                       f"flatten the structure")]
        if not isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            continue
        if id(node) in above:
            return [*problems, Problem(name, f"line {line}", "the value anchored here is used inside itself "
                                       "(a recursive alias); it can never be written out")]
        inner = above | {id(node)}
        if isinstance(node, yaml.MappingNode):
            if id(node) not in checked:
                checked.add(id(node))
                problems.extend(_duplicates(node, name))
            children = [v for pair in node.value for v in pair]
        else:
            children = list(node.value)
        stack.extend((child, depth + 1, inner) for child in reversed(children))
    return problems


def _duplicates(node: yaml.MappingNode, name: str) -> list[Problem]:
    out: list[Problem] = []
    first: dict[str, int] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.value == "<<":
            continue
        line = key.start_mark.line + 1
        if key.value in first:
            out.append(Problem(name, f"line {line}", f"duplicate key {key.value!r} (also on line "
                                                     f"{first[key.value]}); keep one of them"))
        else:
            first[key.value] = line
    return out


_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_env(data: Any, env: dict[str, str] | None, doc: Located, problems: list[Problem],
               loc: Loc = ()) -> Any:
    """Replace ``${VAR}`` / ``${VAR:-default}`` in every string; unset variables are problems."""
    env = dict(os.environ) if env is None else env
    if isinstance(data, dict):
        return {k: expand_env(v, env, doc, problems, (*loc, str(k))) for k, v in data.items()}
    if isinstance(data, list):
        return [expand_env(v, env, doc, problems, (*loc, i)) for i, v in enumerate(data)]
    if not isinstance(data, str) or "${" not in data:
        return data

    def sub(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        problems.append(Problem(doc.file, doc.place(loc),
                                f"environment variable {name} is not set (export {name}=... or "
                                f"write ${{{name}:-default}})"))
        return ""

    out = _ENV.sub(sub, data)
    for m in _BROKEN.finditer(_ENV.sub("", data)):
        problems.append(Problem(doc.file, doc.place(loc),
                                f"malformed variable reference {m.group()[:40]!r}; write ${{NAME}} or "
                                f"${{NAME:-default}} (a name is letters, digits and _, not starting with a digit)"))
    return out


_BROKEN = re.compile(r"\$\{[^}]*\}?")  # any ${ left after the well-formed references are removed


def pydantic_problems(exc: ValidationError, doc: Located, prefix: Loc = ()) -> list[Problem]:
    """One Problem per pydantic error, placed at the YAML line it concerns."""
    out = []
    for err in exc.errors():
        loc = (*prefix, *[p for p in err["loc"] if not _is_tag(p)])
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = f"unknown field '{loc[-1]}' (check the spelling; see the configuration reference)"
        elif err["type"] == "missing":
            msg = f"missing required field '{loc[-1]}'"
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        out.append(Problem(doc.file, doc.place(loc), msg))
    return out


def _is_tag(part: Any) -> bool:
    # pydantic inserts union/function tags like "function-after[...]" into locs
    return isinstance(part, str) and (("[" in part and "]" in part) or part.startswith("function-"))
