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
import math
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class JsonLimits(BaseModel):
    """Limits on decoded JSON bodies (``limits:`` under ``server`` and each push source)."""

    model_config = ConfigDict(extra="forbid")

    max_depth: int = Field(default=32, ge=1, le=500, description="deepest nesting of arrays/objects")
    max_string_chars: int = Field(default=100_000, ge=1, description="longest string (value or key)")
    max_number: float = Field(default=1e15, gt=0, allow_inf_nan=False,
                              description="largest absolute number; NaN/Infinity never pass")


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
    lim = limits or JsonLimits()
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8")
    depth = nesting_depth(text)
    if depth > lim.max_depth:
        raise JsonLimitError(f"JSON is nested {depth} levels deep; the limit is {lim.max_depth} (limits.max_depth)")
    digits = len(str(int(lim.max_number)))

    def number_error(s: str) -> JsonLimitError:
        shown = s if len(s) <= 40 else f"{s[:20]}...({len(s)} characters)"
        return JsonLimitError(f"number {shown} is out of range; numbers must be finite and within "
                              f"±{lim.max_number:g} (limits.max_number)")

    def parse_int(s: str) -> int:
        if len(s.lstrip("-")) > digits:
            raise number_error(s)
        value = int(s)
        if abs(value) > lim.max_number:
            raise number_error(s)
        return value

    def parse_float(s: str) -> float:
        value = float(s)
        if not math.isfinite(value) or abs(value) > lim.max_number:
            raise number_error(s)
        return value

    def parse_constant(s: str) -> Any:
        raise JsonLimitError(f"{s} is not a number JSON allows; send a finite number")

    try:
        data = json.loads(text, parse_int=parse_int, parse_float=parse_float, parse_constant=parse_constant)
    except RecursionError:  # cannot happen below max_depth <= 500, kept as a last line
        raise JsonLimitError(f"JSON is nested too deeply (limits.max_depth is {lim.max_depth})") from None
    _check_strings(data, lim.max_string_chars)
    return data


def _check_strings(data: Any, limit: int) -> None:
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
