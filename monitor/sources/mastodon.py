"""Mastodon: hashtag timelines and, with an access token, status search, on one instance.

Why ``min_id``: status ids grow with time, and ``min_id`` asks for the statuses right
after a given one, so walking forward page by page from the newest id taken last time
misses nothing and repeats nothing. The first poll only reads the newest page.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from pydantic import Field, SecretStr, field_validator, model_validator

from monitor.durations import Duration
from monitor.models import Post
from monitor.sources.base import Batch, register_source
from monitor.sources.http import HttpSource, HttpSourceConfig, Validators, require
from monitor.sources.text import as_count, host_of, html_to_text, parse_time


class MastodonConfig(HttpSourceConfig):
    kind: str = "mastodon"
    base_url: str = Field(default="https://mastodon.social", description="the instance to read")
    hashtags: list[str] = Field(default_factory=list, description="hashtags to follow, without # (e.g. acme)")
    queries: list[str] = Field(
        default_factory=list, description="full-text status searches (needs access_token; instance must index them)"
    )
    access_token: SecretStr | None = Field(
        default=None, description="user or app token with read:search, e.g. ${MASTODON_TOKEN}"
    )
    local_only: bool = Field(default=False, description="hashtag timelines: only statuses from this instance")
    lookback: Duration = Field(default=timedelta(hours=1), description="first poll: ignore statuses older than this")
    page_size: int = Field(default=40, ge=1, le=40, description="statuses per page (Mastodon allows 40)")
    max_pages: int = Field(default=5, ge=1, le=20, description="pages per stream per poll")
    interval: Duration = Field(default=timedelta(minutes=5), description="how often to poll")
    expected_update_period: Duration | None = Field(
        default=timedelta(hours=12), description="half a day without a status on the streams is a blind spot"
    )

    @field_validator("hashtags")
    @classmethod
    def _strip_hash(cls, tags: list[str]) -> list[str]:
        cleaned = [t.strip().lstrip("#") for t in tags]
        if any(not t for t in cleaned):
            raise ValueError("a hashtag is empty")
        return cleaned

    @model_validator(mode="after")
    def _something(self) -> MastodonConfig:
        if not self.hashtags and not self.queries:
            raise ValueError("give at least one of hashtags or queries")
        if self.queries and self.access_token is None:
            raise ValueError("queries need access_token: Mastodon only searches statuses for signed-in apps")
        return self


def _id_key(status_id: str) -> tuple[int, str]:
    """Order status ids: numeric ids by value (they are time-based), others by length then text."""
    return (len(status_id), status_id)


@register_source
class MastodonSource(HttpSource[MastodonConfig]):
    """Mastodon hashtag timelines and status search with a min_id cursor; HTML content to text."""

    kind: ClassVar[str] = "mastodon"
    requests_per_minute: ClassVar[float] = 30.0  # instances allow 300 per 5 min per IP
    burst: ClassVar[int] = 5

    def channel_key(self) -> str:
        return f"mastodon:{host_of(self.cfg.base_url) or self.cfg.base_url}"

    def _headers(self) -> dict[str, str]:
        token = self.cfg.access_token
        return {"Authorization": f"Bearer {token.get_secret_value()}"} if token else {}

    async def poll(self, cursor: Any) -> Batch:
        cur = cursor if isinstance(cursor, dict) else {}
        batch = Batch()
        out: dict[str, dict[str, str]] = {}
        root = self.cfg.base_url.rstrip("/")
        for tag in self.cfg.hashtags:
            key = f"tag:{tag}"
            out[key] = await self._stream(key, f"{root}/api/v1/timelines/tag/{tag}",
                                          {"local": True if self.cfg.local_only else None}, None, cur.get(key), batch)
        for query in self.cfg.queries:
            key = f"search:{query}"
            out[key] = await self._stream(key, f"{root}/api/v2/search",
                                          {"q": query, "type": "statuses", "resolve": False}, "statuses",
                                          cur.get(key), batch)
        batch.cursor = out
        return batch

    async def _stream(self, key: str, url: str, params: dict[str, Any], field: str | None, state: Any,
                      batch: Batch) -> dict[str, str]:
        """Walk forward from the stored ``min_id``; return the stream's next state.

        State: ``{"min_id": newest id taken, "etag"/"last_modified": validators of the
        request that found nothing new}`` -- asking the same question again is then
        answered with a cheap ``304`` by instances that support conditional GET.
        """
        state = state if isinstance(state, dict) else {}
        newest = state.get("min_id") if isinstance(state.get("min_id"), str) and state.get("min_id") else None
        floor = self.ctx.clock.now() - self.cfg.lookback if newest is None else None
        pages = 1 if newest is None else self.cfg.max_pages
        start, validators = newest, Validators()
        for page in range(pages):
            resp = await self.http.get(url, params={**params, "limit": self.cfg.page_size, "min_id": newest},
                                       headers=self._headers(),
                                       validators=Validators.from_cursor(state) if page == 0 else None)
            if resp.not_modified:
                validators = resp.validators
                break
            statuses = require(resp.json(), field or "", list, source=self.name)
            if page == 0:
                validators = resp.validators
            if not statuses:
                break
            page_newest = newest
            for status in statuses:
                post, status_id = self._map(status, batch)
                if status_id is None:
                    continue
                if page_newest is None or _id_key(status_id) > _id_key(page_newest):
                    page_newest = status_id
                if newest is not None and _id_key(status_id) <= _id_key(newest):
                    continue  # an instance ignoring min_id must not make us repeat
                if post is not None and (floor is None or post.ts >= floor):
                    batch.events.append(post)
            newest = page_newest
            if len(statuses) < self.cfg.page_size:
                break
            if page == pages - 1 and pages > 1:
                batch.skip(f"{key}: more new statuses than max_pages x page_size; the rest comes next poll")
        out = {"min_id": newest} if newest else {}
        if newest == start:  # nothing new: the same request comes next time, so its validators apply
            out.update(validators.to_cursor())
        return out

    def _map(self, status: Any, batch: Batch) -> tuple[Post | None, str | None]:
        if not isinstance(status, dict) or not isinstance(status.get("id"), str) or not status["id"]:
            batch.skip("status without id")
            return None, None
        status_id = status["id"]
        original = status["reblog"] if isinstance(status.get("reblog"), dict) else status
        ts = parse_time(original.get("created_at"))
        if ts is None:
            batch.skip(f"status {status_id}: created_at missing or unreadable")
            return None, status_id
        text = html_to_text(original.get("content") if isinstance(original.get("content"), str) else "")
        spoiler = html_to_text(original.get("spoiler_text")) if isinstance(original.get("spoiler_text"), str) else ""
        if not text and not spoiler:
            batch.skip(f"status {status_id}: no text")
            return None, status_id
        account = original.get("account") if isinstance(original.get("account"), dict) else {}
        acct = account.get("acct") if isinstance(account.get("acct"), str) else None
        if acct and "@" not in acct:
            acct = f"{acct}@{host_of(self.cfg.base_url)}"  # local accounts: make the handle global
        post = Post(
            ts=ts, source=self.name, id=str(original.get("id") or status_id), text=text or spoiler,
            title=spoiler or None, author=acct, url=original.get("url") or original.get("uri"),
            lang=original.get("language") if isinstance(original.get("language"), str) else None, kind="social",
            reposts=as_count(original.get("reblogs_count")), likes=as_count(original.get("favourites_count")),
            replies=as_count(original.get("replies_count")),
        )
        tags = [t.get("name") for t in original.get("tags") or [] if isinstance(t, dict) and t.get("name")]
        if tags:
            post.extra["tags"] = tags
        return post, status_id
