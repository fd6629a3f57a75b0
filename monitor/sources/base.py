"""What a collector is.

A source turns a channel into events. Polled sources implement :meth:`Source.poll`:
given the cursor they returned last time (or ``None``), fetch what is new and return
a :class:`Batch` with the events and the next cursor. The pipeline stores events, seen
ids and the new cursor in one SQLite transaction, so a crash between fetch and store
re-fetches instead of losing, and dedup keeps a re-fetch from emitting twice.

Streaming sources (replay, webhook push) implement :meth:`Source.stream` instead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import Field

from monitor.durations import Duration
from monitor.models import Event
from monitor.plugins import Plugin, PluginConfig, Registry

if TYPE_CHECKING:
    import aiohttp
    import aiohttp.web

    from monitor.clock import Clock


class SourceConfig(PluginConfig):
    """Settings every source has. Subclasses add their own fields and may change defaults."""

    interval: Duration = Field(default=timedelta(minutes=5), description="how often to poll")
    expected_update_period: Duration | None = Field(
        default=None,
        description="silence longer than this is a blind spot (default: 6 x interval, at least 1h)",
    )
    failure_threshold: int = Field(default=3, ge=1, description="consecutive failures before unhealthy")
    enabled: bool = Field(default=True, description="false keeps the source configured but not polled")

    def silence_limit(self) -> timedelta:
        if self.expected_update_period is not None:
            return self.expected_update_period
        return max(self.interval * 6, timedelta(hours=1))


@dataclass
class Batch:
    """One poll's result. ``skipped`` counts malformed items by reason; they never stop a source."""

    events: list[Event] = field(default_factory=list)
    cursor: Any = None
    skipped: Counter[str] = field(default_factory=Counter)
    done: bool = False  # a finite source (a recording) has nothing more to give

    def skip(self, reason: str) -> None:
        self.skipped[reason] += 1


@dataclass
class SourceContext:
    """What the runtime lends a source: shared HTTP session, clock, user agent."""

    clock: Clock
    session: aiohttp.ClientSession | None = None
    user_agent: str = "BrandMonitor/0.1 (+https://github.com/brand-monitor/brand-monitor)"
    state_dir: Path | None = None  # where a source may keep durable files of its own (push spools)
    extra: dict[str, Any] = field(default_factory=dict)


SC = TypeVar("SC", bound=SourceConfig)


class Source(Plugin[SC]):
    """A channel collector: ``class FooSource(Source[FooConfig])`` sets ``kind``, implements poll or stream."""

    kind: ClassVar[str]
    Config: ClassVar[type[SourceConfig]] = SourceConfig
    streaming: ClassVar[bool] = False

    def __init__(self, config: SC, ctx: SourceContext) -> None:
        self.config = config
        self.ctx = ctx

    @property
    def name(self) -> str:
        return self.config.display_name()

    async def poll(self, cursor: Any) -> Batch:
        raise NotImplementedError(f"{type(self).__name__} is a streaming source")

    def stream(self, cursor: Any) -> AsyncIterator[Batch]:
        raise NotImplementedError(f"{type(self).__name__} is a polled source")

    def routes(self) -> list[aiohttp.web.RouteDef]:
        """HTTP routes a push source mounts on the daemon's server (webhook ingestion)."""
        return []

    async def close(self) -> None:
        """Release anything the source opened itself (the shared session is not its own)."""


SOURCES: Registry[Source] = Registry(
    "source",
    [
        "monitor.sources.replay",
        "monitor.sources.rss",
        "monitor.sources.google_news",
        "monitor.sources.youtube",
        "monitor.sources.reddit",
        "monitor.sources.hackernews",
        "monitor.sources.mastodon",
        "monitor.sources.bluesky",
        "monitor.sources.webhook",
        "monitor.sources.stackexchange",
        "monitor.sources.github",
        "monitor.sources.appstore",
        "monitor.sources.gdelt",
        "monitor.sources.x",
        "monitor.sources.trends",
        "monitor.sources.market",
    ],
)
register_source = SOURCES.register
