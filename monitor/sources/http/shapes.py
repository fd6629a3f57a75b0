"""Response-shape checks and URL redaction: the messages a broken channel produces.

A channel that changes its JSON must fail with a message naming the field ("expected
data.children to be a list, got dict"), never with a KeyError deep in a mapper.
"""

from __future__ import annotations

from typing import Any

from monitor.errors import SourceError
from monitor.redact import redact_url

__all__ = ["redact_url", "require", "shape_error", "type_name"]


def type_name(value: Any) -> str:
    """JSON-ish name of a value's type for shape errors: dict, list, str, int, null, ..."""
    if value is None:
        return "null"
    return type(value).__name__


_ARTICLE = {dict: "an object (dict)", list: "a list", str: "a string", int: "an integer", float: "a number",
            bool: "a boolean"}


def _expected(types: type | tuple[type, ...]) -> str:
    seq = types if isinstance(types, tuple) else (types,)
    return " or ".join(_ARTICLE.get(t, t.__name__) for t in seq)


def shape_error(source: str, path: str, expected: str, got: Any) -> SourceError:
    """``SourceError("reddit: response shape changed: expected data.children to be a list, got dict")``.

    Not retryable: a channel that changed its API will not change back by itself; the
    message names the field so the fix is obvious.
    """
    return SourceError(
        f"{source}: response shape changed: expected {path} to be {expected}, got {type_name(got)}",
        retryable=False,
    )


_MISSING = object()


def require(obj: Any, path: str, types: type | tuple[type, ...], *, source: str) -> Any:
    """Walk ``a.b.c`` through nested objects and check the value's type, or raise :func:`shape_error`.

    A missing field reads as ``got missing (no field 'c' in a.b)``; an intermediate that is
    not an object names that intermediate. ``path=""`` checks ``obj`` itself.
    """
    value: Any = obj
    walked: list[str] = []
    for part in [p for p in path.split(".") if p]:
        if not isinstance(value, dict):
            where = ".".join(walked) or "the response"
            raise shape_error(source, where, "an object (dict)", value)
        if part not in value:
            where = ".".join(walked) or "the response"
            raise SourceError(
                f"{source}: response shape changed: expected {path} to be {_expected(types)}, "
                f"got missing (no field {part!r} in {where})",
                retryable=False,
            )
        value = value[part]
        walked.append(part)
    ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in _as_tuple(types))
    if not ok:
        raise shape_error(source, path or "the response", _expected(types), value)
    return value


def _as_tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)




