"""A time cursor with an overlap, for search APIs whose index lags behind the channel.

Why: Reddit, Algolia (Hacker News) and Bluesky search index a post seconds to minutes
after it was created, so an item can appear *after* newer ones were already collected.
A strict "newer than the newest seen" cursor would lose it. Instead each poll asks from
``newest - overlap`` and the cursor remembers the ids taken inside that overlap, so the
late item is collected once and the rest of the overlap is not emitted twice.

Stored as ``{"since": "<ISO 8601>", "ids": {"<id>": <unix seconds>, ...}}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from monitor.models import format_ts
from monitor.sources.text import from_epoch, parse_time

MAX_IDS = 5000  # bound on the cursor's size whatever the channel's volume


@dataclass(slots=True)
class OverlapCursor:
    """Newest item time taken so far, and the ids taken within ``overlap`` of it.

    One object serves one poll: the floor that :meth:`is_new` compares against is fixed
    when the cursor is loaded, so taking a newer item mid-poll does not reject the older,
    still unseen items that follow it on the next page.
    """

    overlap: timedelta
    since: datetime | None = None
    ids: dict[str, float] = field(default_factory=dict)
    poll_floor: datetime | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.poll_floor = self.floor

    @classmethod
    def from_cursor(cls, data: Any, overlap: timedelta) -> OverlapCursor:
        """Rebuild from a stored cursor; anything unreadable starts afresh (the pipeline dedups)."""
        if not isinstance(data, dict):
            return cls(overlap)
        since = parse_time(data.get("since"))
        raw = data.get("ids")
        ids = {str(k): float(v) for k, v in raw.items() if isinstance(v, int | float)} if isinstance(raw, dict) else {}
        return cls(overlap, since, ids if since is not None else {})

    @property
    def floor(self) -> datetime | None:
        """Items older than this are behind the cursor: taken earlier or too late to tell."""
        return None if self.since is None else self.since - self.overlap

    def start(self, default: datetime) -> datetime:
        """Where to ask the channel to begin: the poll's floor, or ``default`` on a first run."""
        return self.poll_floor if self.poll_floor is not None else default

    def is_new(self, ts: datetime, item_id: str) -> bool:
        """Not taken yet (in this poll or an earlier one) and not behind the poll's floor."""
        if self.poll_floor is not None and ts < self.poll_floor:
            return False
        return item_id not in self.ids

    def take(self, ts: datetime, item_id: str) -> None:
        """Record an item as emitted."""
        self.ids[item_id] = ts.timestamp()
        if self.since is None or ts > self.since:
            self.since = ts

    def to_cursor(self) -> dict[str, Any]:
        floor = self.floor
        keep = self.ids if floor is None else {k: v for k, v in self.ids.items() if from_epoch(v) >= floor}
        if len(keep) > MAX_IDS:
            keep = dict(sorted(keep.items(), key=lambda kv: kv[1])[-MAX_IDS:])
        return {"since": format_ts(self.since) if self.since else None, "ids": keep}
