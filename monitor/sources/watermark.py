"""The time cursor every searching collector keeps: the newest time taken, plus recent ids.

Why ids as well as a time: channels filter "at or after" a time (``fromdate``,
``created:>=``, ``since``), so the boundary second comes back on the next poll, and a
strict "newer than" would lose the items that share it. Why an ``overlap``: search
indexes (Reddit, Algolia for Hacker News, Bluesky) add an item seconds to minutes after
it was created, so it can turn up *after* newer ones were collected. Each poll therefore
reads from ``newest - overlap`` and skips the ids already taken in that window: the late
item is collected once, the rest of the window is not emitted twice. With ``overlap`` 0
(GDELT, GitHub, Stack Exchange, the App Store) only the boundary second is re-read.

Stored as ``{"since": "<ISO 8601>" | null, "ids": {"<id>": <unix seconds>, ...}}``: each
id keeps its item's time so the window can be trimmed as the cursor moves on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from monitor.models import Post, format_ts
from monitor.sources.base import Batch
from monitor.sources.text import from_epoch, parse_time

MAX_IDS = 5000  # bound on the stored ids whatever the channel's volume; the newest are kept
NO_OVERLAP = timedelta(0)

T = TypeVar("T")


@dataclass(slots=True)
class Watermark:
    """Newest item time taken so far, and the ids taken within ``overlap`` of it.

    One object serves one poll: the floor that :meth:`is_new` compares against is fixed
    when the cursor is loaded, so taking a newer item mid-poll does not reject the older,
    still unseen items that follow it (on the next page of a newest-first walk, or out of
    order in an oldest-first one).
    """

    overlap: timedelta = NO_OVERLAP
    since: datetime | None = None
    ids: dict[str, float] = field(default_factory=dict)
    poll_floor: datetime | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.poll_floor = self.floor

    @classmethod
    def from_cursor(cls, data: Any, overlap: timedelta = NO_OVERLAP, *,
                    first_run: datetime | None = None) -> Watermark:
        """Rebuild from a stored cursor; anything unreadable starts afresh (the pipeline dedups).

        ``first_run``, when given, is where a cursor without a time begins: items older than
        it are behind the floor, and it is stored even when the poll takes nothing.
        """
        if not isinstance(data, dict):
            return cls(overlap, first_run)
        since = parse_time(data.get("since"))
        if since is None:
            return cls(overlap, first_run)
        raw = data.get("ids")
        ids = {str(k): float(v) for k, v in raw.items()
               if isinstance(v, int | float) and not isinstance(v, bool)} if isinstance(raw, dict) else {}
        return cls(overlap, since, ids)

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

    def take_page(self, items: Iterable[T], to_post: Callable[[T], Post | None], batch: Batch,
                  start: datetime | None = None) -> bool:
        """Map one page of raw items and take the new posts into this cursor and ``batch.events``.

        ``to_post`` counts a malformed item in ``batch`` and returns None. Posts older than
        ``start`` (where the channel was asked to begin) are not taken; the return value
        says whether the page reached one, which is where a newest-first walk stops. Posts
        already taken are passed over without stopping: a late-indexed one may follow them.
        """
        reached_start = False
        for item in items:
            post = to_post(item)
            if post is None:
                continue
            if start is not None and post.ts < start:
                reached_start = True
            elif self.is_new(post.ts, post.id):
                self.take(post.ts, post.id)
                batch.events.append(post)
        return reached_start

    def to_cursor(self) -> dict[str, Any]:
        """The stored form, keeping only the ids at or after the floor (the newest :data:`MAX_IDS`)."""
        floor = self.floor
        keep = self.ids if floor is None else {k: v for k, v in self.ids.items() if from_epoch(v) >= floor}
        if len(keep) > MAX_IDS:
            keep = dict(sorted(keep.items(), key=lambda kv: kv[1])[-MAX_IDS:])
        return {"since": format_ts(self.since) if self.since else None, "ids": keep}
