"""JSON from strangers, decoded within limits: bounded depth, string length and numbers.

Python's ``json`` accepts ``NaN``/``Infinity``, turns ``1e400`` into ``inf``, recurses
until ``RecursionError`` on ``[[[[...`` and raises a plain ``ValueError`` for integers
past 4,300 digits. Every body the daemon accepts from the network (the API, push
sources) goes through :func:`loads`, which turns each of those into a
:class:`JsonLimitError` naming the limit and the setting that raises it, so a hostile
body gets a clear 4xx and never a 500.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class JsonLimits(BaseModel):
    """Limits on decoded JSON bodies (``limits:`` under ``server`` and each push source)."""

    model_config = ConfigDict(extra="forbid")

    max_depth: int = Field(default=32, ge=1, le=500, description="deepest nesting of arrays/objects")
    max_string_chars: int = Field(default=100_000, ge=1, description="longest string (value or key)")
    max_number: float = Field(default=float(2**63 - 1), gt=0, allow_inf_nan=False,
                              description="largest absolute number (default: a 64-bit integer, so ids fit); "
                                          "NaN/Infinity never pass")


_DEFAULT = JsonLimits()


def _refuse_constant(s: str) -> Any:
    raise JsonLimitError(f"{s} is not a number JSON allows; send a finite number")


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)  # built once: json.loads(**hooks) rebuilds it


class JsonLimitError(ValueError):
    """A body that is valid JSON (or nearly) but breaks a limit; the message says which."""


# a string literal (skipped whole) or a bracket; anything else is irrelevant to depth
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def nesting_depth(text: str) -> int:
    """The deepest bracket nesting outside string literals, without recursing."""
    depth = deepest = 0
    for m in _TOKENS.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth = max(depth - 1, 0)
    return deepest


def loads(text: str | bytes, limits: JsonLimits | None = None) -> Any:
    """``json.loads`` within ``limits``; raises JSONDecodeError (not JSON) or JsonLimitError."""
    lim = limits or _DEFAULT
    if isinstance(text, (bytes, bytearray)):
        text = text.decode("utf-8")
    if text.count("[") + text.count("{") > lim.max_depth:  # only then can it be too deep
        depth = nesting_depth(text)
        if depth > lim.max_depth:
            raise JsonLimitError(f"JSON is nested {depth} levels deep; the limit is {lim.max_depth} "
                                 f"(limits.max_depth)")
    try:
        data = _DECODER.decode(text)
    except RecursionError:  # cannot happen below max_depth <= 500, kept as a last line
        raise JsonLimitError(f"JSON is nested too deeply (limits.max_depth is {lim.max_depth})") from None
    except JsonLimitError:
        raise
    except ValueError as exc:
        if "digits" in str(exc):  # Python's own cap on integer literals (4,300 digits)
            raise JsonLimitError(f"a number with thousands of digits is out of range; numbers must be finite "
                                 f"and within ±{lim.max_number:g} (limits.max_number)") from None
        raise
    # a decoded string is never longer than the text, so a short text needs only its numbers checked (the
    # common case: a feed line); the full walk runs when a string might be too long or a number is out of range
    if len(text) > lim.max_string_chars or not _numbers_fit(data, lim.max_number):
        _check_values(data, lim)
    return data


def _numbers_fit(data: Any, biggest: float) -> bool:
    """Every number within ±``biggest`` (the decoder builds exact dicts, lists and numbers; bools are not numbers)."""
    stack: list[Any] = []
    for item in data.values() if type(data) is dict else (data,):  # a feed line: one flat object, mostly
        kind = type(item)
        if kind is dict or kind is list:
            stack.append(item)
        elif (kind is int or kind is float) and not -biggest <= item <= biggest:
            return False
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif (kind is int or kind is float) and not -biggest <= item <= biggest:
            return False
    return True


def _check_values(data: Any, lim: JsonLimits) -> None:
    """Strings within ``max_string_chars``, numbers finite and within ``max_number``; no recursion."""
    limit, biggest = lim.max_string_chars, lim.max_number
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if len(item) > limit:
                raise JsonLimitError(f"a string of {len(item)} characters is longer than the limit of {limit} "
                                     f"(limits.max_string_chars): {item[:40]!r}...")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, int | float) and not isinstance(item, bool) and not -biggest <= item <= biggest:
            if isinstance(item, int) and item.bit_length() > 128:
                shown = f"of about {int(item.bit_length() * 0.30103)} digits"
            else:
                shown = repr(item)
            raise JsonLimitError(f"number {shown} is out of range; numbers must be finite and within "
                                 f"±{biggest:g} (limits.max_number)")
