"""Hacker News stories and comments through Algolia's ``search_by_date`` API.

Why Algolia: the official Firebase API has no search. ``search_by_date`` returns the
newest hits first and filters with ``numericFilters=created_at_i>=<cursor>``; the
cursor re-reads a short overlap because Algolia indexes items a little late.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from pydantic import Field, model_validator

from monitor.durations import Duration
from monitor.models import Post
from monitor.sources.base import Batch, register_source
from monitor.sources.http import HttpSource, HttpSourceConfig, require
from monitor.sources.text import as_count, from_epoch, html_to_text
from monitor.sources.watermark import Watermark

ITEM_URL = "https://news.ycombinator.com/item?id="


class HackerNewsConfig(HttpSourceConfig):
    kind: str = "hackernews"
    base_url: str = Field(default="https://hn.algolia.com", description="Algolia HN API root (tests override it)")
    query: str = Field(min_length=1, description="full-text query, e.g. acme battery (all words must appear)")
    stories: bool = Field(default=True, description="collect stories (submissions, Ask/Show HN)")
    comments: bool = Field(default=True, description="collect comments")
    lookback: Duration = Field(default=timedelta(hours=1), description="how far back the first poll reaches")
    overlap: Duration = Field(default=timedelta(minutes=5), description="re-read window for items indexed late")
    page_size: int = Field(default=100, ge=1, le=1000, description="hits per page (hitsPerPage)")
    max_pages: int = Field(default=5, ge=1, le=50, description="pages per poll")
    interval: Duration = Field(default=timedelta(minutes=5), description="how often to poll")
    expected_update_period: Duration | None = Field(
        default=timedelta(hours=24), description="brand mentions on HN are sparse: a silent day is a blind spot"
    )

    @model_validator(mode="after")
    def _something(self) -> HackerNewsConfig:
        if not (self.stories or self.comments):
            raise ValueError("stories and comments are both off: nothing to collect")
        return self


@register_source
class HackerNewsSource(HttpSource[HackerNewsConfig]):
    """Hacker News stories and comments from Algolia search_by_date with a created_at_i cursor."""

    kind: ClassVar[str] = "hackernews"
    requests_per_minute: ClassVar[float] = 60.0  # Algolia allows 10,000 an hour per IP
    burst: ClassVar[int] = 5

    def _tags(self) -> str:
        if self.cfg.stories and self.cfg.comments:
            return "(story,comment)"
        return "story" if self.cfg.stories else "comment"

    async def poll(self, cursor: Any) -> Batch:
        batch = Batch()
        mark = Watermark.from_cursor(cursor, self.cfg.overlap)
        start = mark.start(self.ctx.clock.now() - self.cfg.lookback)
        url = f"{self.cfg.base_url.rstrip('/')}/api/v1/search_by_date"
        for page in range(self.cfg.max_pages):
            params = {"query": self.cfg.query, "tags": self._tags(), "hitsPerPage": self.cfg.page_size,
                      "numericFilters": f"created_at_i>={int(start.timestamp())}", "page": page}
            data = await self.http.get_json(url, params=params)
            hits = require(data, "hits", list, source=self.name)
            mark.take_page(hits, lambda hit: self._map(hit, batch), batch, start)
            pages = data.get("nbPages")
            if not hits or not isinstance(pages, int) or page + 1 >= pages:
                break
            if page == self.cfg.max_pages - 1:
                batch.skip("more new hits than max_pages x page_size; older ones left behind")
        batch.cursor = mark.to_cursor()
        return batch

    def _map(self, hit: Any, batch: Batch) -> Post | None:
        if not isinstance(hit, dict):
            batch.skip("hit is not an object")
            return None
        object_id, created = hit.get("objectID"), hit.get("created_at_i")
        if not isinstance(object_id, str | int) or isinstance(object_id, bool) or not str(object_id):
            batch.skip("hit without objectID")
            return None
        if isinstance(created, bool) or not isinstance(created, int | float):
            batch.skip(f"hit {object_id}: created_at_i missing or not a number")
            return None
        tags = hit.get("_tags") if isinstance(hit.get("_tags"), list) else []
        is_comment = "comment" in tags or hit.get("comment_text") is not None
        if is_comment:
            text = html_to_text(hit.get("comment_text"))
            title = html_to_text(hit.get("story_title")) or None
            replies = 0
            extra = {"story_id": hit.get("story_id"), "parent_id": hit.get("parent_id")}
        else:
            title = html_to_text(hit.get("title")) or None
            text = html_to_text(hit.get("story_text")) or title or ""
            replies = as_count(hit.get("num_comments"))
            extra = {"link": hit.get("url")}
        if not text:
            batch.skip(f"hit {object_id}: no text")
            return None
        return Post(
            ts=from_epoch(created), source=self.name, id=str(object_id), text=text, title=title,
            author=hit.get("author") if isinstance(hit.get("author"), str) else None,
            url=f"{ITEM_URL}{object_id}", lang=None, kind="forum", likes=as_count(hit.get("points")),
            replies=replies, extra={k: v for k, v in extra.items() if v is not None},
        )
