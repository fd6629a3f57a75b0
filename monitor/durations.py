"""Human durations in config files: ``30s``, ``15m``, ``1h``, ``3d``, ``7w``, ``1h30m``, or seconds."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
MAX_SECONDS = 100 * 365 * 86400
"""Longest duration a config may name (100 years): beyond it, date arithmetic overflows."""


def _bounded(seconds: float, value: Any) -> timedelta:
    if isinstance(seconds, float) and math.isnan(seconds):
        raise ValueError(f"not a duration: {value!r} (write e.g. 30s, 15m, 1h, 3d, 7w)")
    if seconds > MAX_SECONDS:
        big = isinstance(value, int) and value.bit_length() > 128
        shown = "a huge number" if big else (repr(value) if len(repr(value)) <= 40 else f"{str(value)[:20]}...")
        raise ValueError(f"duration {shown} is too long; the most is 100 years (5200w)")
    return timedelta(seconds=seconds)


def parse_duration(value: Any) -> timedelta:
    """Parse ``1h30m``-style text (or a number of seconds) into a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"duration must not be negative: {value!r}")
        return _bounded(value, value)
    if not isinstance(value, str):
        raise ValueError(f"not a duration: {value!r} (write e.g. 30s, 15m, 1h, 3d, 7w)")
    text = value.strip().lower().replace(" ", "")
    pos, total = 0, 0.0
    for m in _PART.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if not text or pos != len(text):
        raise ValueError(f"not a duration: {value!r} (write e.g. 30s, 15m, 1h, 3d, 7w)")
    return _bounded(total, value)


def format_duration(td: timedelta) -> str:
    """An exact spelling: 3600s -> ``1h``, 5400s -> ``1h30m``, 21 days -> ``21d``, 49 days -> ``7w``."""
    secs = int(td.total_seconds())
    if secs == 0:
        return "0s"
    out = []
    days = secs // 86400
    if days >= 28 and days % 7 == 0:  # "7w" reads better than "49d"; "21d" better than "3w"
        out.append(f"{days // 7}w")
        secs -= days * 86400
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if secs >= size:
            out.append(f"{secs // size}{unit}")
            secs %= size
    return "".join(out)


Duration = Annotated[timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration, return_type=str)]
