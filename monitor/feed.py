"""Recorded feeds: one event per JSONL line.

A line that breaks the contract is reported with its line number and skipped; it
never stops a replay. ``monitor record`` writes with :class:`FeedWriter`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from monitor import safejson
from monitor.errors import EventFormatError
from monitor.models import Event, event_to_dict, parse_event


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line that could not be used, and why (the text is what we tell the user)."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: line {self.line}: {self.reason} (line skipped)"


LINE_LIMITS = safejson.JsonLimits(max_depth=64, max_string_chars=10_000_000)


def parse_line(raw: str, file: str, lineno: int) -> Event | BadLine | None:
    """One JSONL line -> event, BadLine, or None for a blank line."""
    text = raw.strip()
    if not text:
        return None
    try:
        obj = safejson.loads(text, LINE_LIMITS)
    except json.JSONDecodeError as exc:
        return BadLine(file, lineno, f"not valid JSON ({exc.msg} at column {exc.colno})")
    except ValueError as exc:  # too deep, NaN, a 5,000-digit number: skipped like any broken line
        return BadLine(file, lineno, str(exc))
    try:
        return parse_event(obj)
    except EventFormatError as exc:
        return BadLine(file, lineno, str(exc))


def read_feed(path: str | Path, start_line: int = 0,
              mentioning: str | None = None) -> Iterator[tuple[int, Event | BadLine]]:
    """Yield ``(line number, event or BadLine)`` for every non-blank line after ``start_line``.

    ``mentioning`` (an ASCII field name, for a reader that needs only the events carrying it, such as a
    drill's phase marks): a line whose raw text holds neither the name nor a ``\\u`` escape (which could
    spell it) cannot carry it and is passed over undecoded, so a big recording is scanned at the speed of a
    substring search."""
    path = Path(path)
    if mentioning is not None and not _mentions(path, (mentioning, "\\u")):
        return  # a block search over the raw bytes says no line can carry it
    # utf-8-sig: a byte-order mark left by a Windows editor must not cost the first event
    name = path.name
    with path.open(encoding="utf-8-sig", errors="replace") as fh:
        for lineno, raw in enumerate(fh, 1):
            if lineno <= start_line:
                continue
            if mentioning is not None and mentioning not in raw and "\\u" not in raw:
                continue
            item = parse_line(raw, name, lineno)
            if item is not None:
                yield lineno, item


def _mentions(path: Path, needles: tuple[str, ...]) -> bool:
    """Could the text hold any of the ASCII ``needles``? Searched in the raw bytes, in large blocks: decoding
    (UTF-8, a BOM dropped, bad bytes replaced) keeps every ASCII byte as it is, so text that holds a needle
    comes from bytes that hold it."""
    raw = tuple(n.encode("ascii") for n in needles)
    keep = max(len(n) for n in raw) - 1  # a needle cut by a block boundary is found in the joined bytes
    tail = b""
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            data = tail + block
            if any(n in data for n in raw):
                return True
            tail = data[-keep:] if keep else b""
    return False


class FeedWriter:
    """Append events to a JSONL recording, flushing each line so a crash loses at most one."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[str] = self.path.open("a", encoding="utf-8")
        self.written = 0

    def write(self, event: Event) -> None:
        self._fh.write(json.dumps(event_to_dict(event), ensure_ascii=False) + "\n")
        self._fh.flush()
        self.written += 1

    def close(self) -> None:
        self._fh.close()
