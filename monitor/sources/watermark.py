"""A time cursor for channels that filter with "at or after" (``fromdate``, ``created:>=``).

Such a filter resends the items created in the very second we stopped at, so the
cursor remembers that second *and* the ids already taken in it: nothing is lost to a
strict ``>`` and nothing is emitted twice. Stored in the source's cursor as
``{"since": "<ISO 8601>", "seen": [ids]}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.models import format_ts
from monitor.sources.text import parse_time

MAX_SEEN = 1000  # ids kept for one instant; a channel never puts this many in one second


@dataclass(slots=True)
class Watermark:
    """Newest item time taken so far, and the ids taken at exactly that time."""

    since: datetime | None = None
    seen: set[str] = field(default_factory=set)

    @classmethod
    def from_cursor(cls, data: Any) -> Watermark:
        """Rebuild from a stored cursor; anything unreadable starts afresh (the pipeline dedups)."""
        if not isinstance(data, dict):
            return cls()
        since = parse_time(data.get("since"))
        seen = data.get("seen")
        ids = {str(s) for s in seen} if isinstance(seen, list) else set()
        return cls(since, ids if since is not None else set())

    def to_cursor(self) -> dict[str, Any]:
        return {"since": format_ts(self.since) if self.since else None, "seen": sorted(self.seen)}

    def is_new(self, ts: datetime, item_id: str) -> bool:
        if self.since is None or ts > self.since:
            return True
        return ts == self.since and item_id not in self.seen

    def take(self, ts: datetime, item_id: str) -> None:
        """Record an item as emitted (call only for items :meth:`is_new` accepted)."""
        if self.since is None or ts > self.since:
            self.since, self.seen = ts, {item_id}
        elif ts == self.since and len(self.seen) < MAX_SEEN:
            self.seen.add(item_id)

    def start(self, default: datetime) -> datetime:
        """Where to ask the channel to begin: the watermark, or ``default`` on a first run."""
        return self.since if self.since is not None else default
