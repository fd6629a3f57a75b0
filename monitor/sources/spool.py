"""A durable journal for push ingestion: accepted means written and fsync'd.

Pushed events are appended (one JSON line each) to numbered generation files before
the sender gets its 202; the position after each line is the source's cursor, which the
pipeline stores with the events it processed. After a crash, everything past the stored
cursor is read back and processed, so an accepted event is never lost. Each start opens
a new generation at once (so pushes can be accepted before recovery has run) and
recovery reads only the older generations, deleting those the cursor has passed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, TextIO

from monitor.feed import BadLine, parse_line
from monitor.models import Event, event_to_dict

Position = dict[str, int]  # {"gen": generation, "off": byte offset after the line}


class Spool:
    def __init__(self, directory: Path, rotate_bytes: int = 64 * 1024 * 1024) -> None:
        self.dir = directory
        self.rotate_bytes = rotate_bytes
        self.dir.mkdir(parents=True, exist_ok=True)
        self._fh: TextIO | None = None
        self._off = 0
        existing = self._generations()
        self.first_new = self.gen = (existing[-1] if existing else 0) + 1
        self._open()

    def _path(self, gen: int) -> Path:
        return self.dir / f"{gen:08d}.jsonl"

    def _generations(self) -> list[int]:
        return sorted(int(p.stem) for p in self.dir.glob("*.jsonl") if p.stem.isdigit())

    def recover(self, cursor: Any) -> list[tuple[Event, Position]]:
        """Events journalled by an earlier run and not yet covered by ``cursor``."""
        gen0 = int(cursor["gen"]) if isinstance(cursor, dict) else 0
        off0 = int(cursor["off"]) if isinstance(cursor, dict) else 0
        out: list[tuple[Event, Position]] = []
        for gen in [g for g in self._generations() if g < self.first_new]:
            path = self._path(gen)
            if gen < gen0:
                path.unlink(missing_ok=True)  # fully processed
                continue
            start = off0 if gen == gen0 else 0
            before = len(out)
            with path.open("rb") as fh:
                fh.seek(start)
                pos = start
                for raw in fh:
                    pos += len(raw)
                    if not raw.endswith(b"\n"):
                        break  # a torn last line: its sender never got a 202
                    item = parse_line(raw.decode("utf-8", "replace"), path.name, 0)
                    if item is not None and not isinstance(item, BadLine):
                        out.append((item, {"gen": gen, "off": pos}))
            if len(out) == before:
                path.unlink(missing_ok=True)  # nothing past the cursor in it
        return out

    def _open(self) -> None:
        if self._fh is not None:
            self._fh.close()
        self._fh = self._path(self.gen).open("a", encoding="utf-8")
        self._off = 0

    def append(self, events: list[Event]) -> list[Position]:
        """Write and fsync; returns each event's position (its cursor once processed)."""
        if self._fh is None:
            raise RuntimeError("the spool is closed")
        if self._off > self.rotate_bytes:
            self.gen += 1
            self._open()
        positions = []
        for e in events:
            line = json.dumps(event_to_dict(e), ensure_ascii=False) + "\n"
            self._fh.write(line)
            self._off += len(line.encode("utf-8"))
            positions.append({"gen": self.gen, "off": self._off})
        self._fh.flush()
        os.fsync(self._fh.fileno())
        return positions

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
