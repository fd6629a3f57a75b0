"""Reddit: search (sort=new) for posts, optionally the newest comments of chosen subreddits.

Why OAuth is optional: logged-out clients get 10 requests a minute, an app with client
credentials 100. Both paths share the code; only the host, the token and the rate-limit
budget differ. ``X-Ratelimit-Remaining`` / ``X-Ratelimit-Reset`` (seconds) are obeyed
by the HTTP layer for the whole channel.
"""

from __future__ import annotations

import base64
import logging
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal

from pydantic import Field, SecretStr, model_validator

from monitor.durations import Duration
from monitor.errors import SourceError
from monitor.models import Post
from monitor.sources.base import Batch, SourceContext, register_source
from monitor.sources.http import HttpSource, HttpSourceConfig, require
from monitor.sources.text import as_count, from_epoch, html_to_text
from monitor.sources.watermark import Watermark

log = logging.getLogger(__name__)

SITE = "https://www.reddit.com"  # permalinks always point at the public site


class RedditConfig(HttpSourceConfig):
    kind: str = "reddit"
    base_url: str = Field(default="https://www.reddit.com", description="public JSON API root, also the token endpoint")
    oauth_url: str = Field(default="https://oauth.reddit.com", description="API root for OAuth requests")
    query: str = Field(min_length=1, description='search query (Reddit syntax), e.g. "acme" (battery OR charger)')
    subreddits: list[str] = Field(default_factory=list, description="limit the search to these subreddits (no r/)")
    comments_in: list[str] = Field(
        default_factory=list, description="subreddits whose newest comments are also collected (no r/)"
    )
    client_id: str | None = Field(default=None, description="OAuth app id (script/web app); enables 100 requests/min")
    client_secret: SecretStr | None = Field(default=None, description="OAuth app secret, e.g. ${REDDIT_SECRET}")
    post_kind: Literal["forum", "social"] = Field(default="forum", description="event kind of Reddit posts")
    lookback: Duration = Field(default=timedelta(hours=1), description="how far back the first poll reaches")
    overlap: Duration = Field(
        default=timedelta(minutes=10), description="re-read window for posts the search index adds late"
    )
    page_size: int = Field(default=100, ge=1, le=100, description="items per page (Reddit allows 100)")
    max_pages: int = Field(default=3, ge=1, le=10, description="pages per listing per poll")
    interval: Duration = Field(default=timedelta(minutes=5), description="how often to poll")
    expected_update_period: Duration | None = Field(
        default=timedelta(hours=12), description="half a day without a post matching the query is a blind spot"
    )

    @model_validator(mode="after")
    def _both_credentials(self) -> RedditConfig:
        if (self.client_id is None) != (self.client_secret is None):
            raise ValueError("give both client_id and client_secret for OAuth, or neither")
        return self


@register_source
class RedditSource(HttpSource[RedditConfig]):
    """Reddit posts from search (sort=new) and comments from chosen subreddits; OAuth optional."""

    kind: ClassVar[str] = "reddit"
    burst: ClassVar[int] = 3

    def __init__(self, config: RedditConfig, ctx: SourceContext) -> None:
        super().__init__(config, ctx)
        self._token: str | None = None
        self._token_expires: datetime | None = None

    @property
    def oauth(self) -> bool:
        return self.cfg.client_id is not None

    def channel_key(self) -> str:
        return "reddit:oauth" if self.oauth else "reddit:anon"

    def default_rate(self) -> float:
        return 100.0 if self.oauth else 10.0

    # -- poll

    async def poll(self, cursor: Any) -> Batch:
        cur = cursor if isinstance(cursor, dict) else {}
        batch = Batch()
        subs = "+".join(self.cfg.subreddits)
        search_path = f"/r/{subs}/search" if subs else "/search"
        params = {"q": self.cfg.query, "sort": "new", "type": "link", "restrict_sr": "on" if subs else None}
        posts = await self._listing("posts", search_path, params, cur.get("posts"), batch)
        out: dict[str, Any] = {"posts": posts}
        comments = cur.get("comments") if isinstance(cur.get("comments"), dict) else {}
        out_comments = {}
        for sub in self.cfg.comments_in:
            out_comments[sub] = await self._listing(f"r/{sub} comments", f"/r/{sub}/comments", {},
                                                    comments.get(sub), batch)
        if out_comments:
            out["comments"] = out_comments
        batch.cursor = out
        return batch

    async def _listing(self, what: str, path: str, params: dict[str, Any], stored: Any, batch: Batch) -> Any:
        mark = Watermark.from_cursor(stored, self.cfg.overlap)
        start = mark.start(self.ctx.clock.now() - self.cfg.lookback)
        after: str | None = None
        for page in range(self.cfg.max_pages):
            data = await self._get(path, {**params, "limit": self.cfg.page_size, "raw_json": 1, "after": after})
            children = require(data, "data.children", list, source=self.name)
            reached_old = mark.take_page(children, lambda child: self._map(child, batch), batch, start)
            after = data["data"].get("after")
            if reached_old or not after:
                break
            if page == self.cfg.max_pages - 1:
                batch.skip(f"{what}: more new items than max_pages x page_size; older ones left behind")
        return mark.to_cursor()

    # -- requests

    async def _get(self, path: str, params: dict[str, Any]) -> Any:
        if not self.oauth:
            return await self.http.get_json(f"{self.cfg.base_url.rstrip('/')}{path}.json", params=params)
        for attempt in range(2):
            token = await self._access_token()
            resp = await self.http.get(f"{self.cfg.oauth_url.rstrip('/')}{path}", params=params,
                                       headers={"Authorization": f"bearer {token}"}, accept=(401,))
            if resp.status != 401:
                return resp.json()
            self._token = None  # expired or revoked early: fetch a new one once
            if attempt:
                raise SourceError(f"{self.name}: Reddit refused a fresh OAuth token (HTTP 401); "
                                  "check client_id and client_secret", retryable=False)
        raise AssertionError("unreachable")

    async def _access_token(self) -> str:
        now = self.ctx.clock.now()
        if self._token and self._token_expires and now < self._token_expires:
            return self._token
        assert self.cfg.client_id is not None and self.cfg.client_secret is not None
        resp = await self.http.post(
            f"{self.cfg.base_url.rstrip('/')}/api/v1/access_token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": _basic(self.cfg.client_id, self.cfg.client_secret.get_secret_value())},
        )
        data = resp.json()
        if isinstance(data, dict) and "error" in data and "access_token" not in data:
            raise SourceError(f"{self.name}: Reddit refused the OAuth client credentials: {data['error']}; "
                              "check client_id and client_secret", retryable=False)
        token = require(data, "access_token", str, source=self.name)
        expires = data.get("expires_in") if isinstance(data.get("expires_in"), int | float) else 3600
        self._token = token
        self._token_expires = now + timedelta(seconds=max(60.0, float(expires) - 60.0))
        return token

    # -- mapping

    def _map(self, child: Any, batch: Batch) -> Post | None:
        if not isinstance(child, dict) or not isinstance(child.get("data"), dict):
            batch.skip("listing child is not an object with data")
            return None
        kind, data = child.get("kind"), child["data"]
        name, created = data.get("name"), data.get("created_utc")
        if not isinstance(name, str) or not name:
            batch.skip(f"{kind or 'item'} without name")
            return None
        if isinstance(created, bool) or not isinstance(created, int | float):
            batch.skip(f"{name}: created_utc missing or not a number")
            return None
        permalink = data.get("permalink")
        url = f"{SITE}{permalink}" if isinstance(permalink, str) and permalink.startswith("/") else None
        extra: dict[str, Any] = {"subreddit": data.get("subreddit")}
        if kind == "t1":
            text = html_to_text(data.get("body"))
            title = html_to_text(data.get("link_title")) or None
            replies = 0
            extra["link_id"] = data.get("link_id")
        else:
            title = html_to_text(data.get("title")) or None
            text = html_to_text(data.get("selftext")) or title or ""
            replies = as_count(data.get("num_comments"))
            if not data.get("is_self") and isinstance(data.get("url"), str):
                extra["link"] = data["url"]
        if not text or text in ("[removed]", "[deleted]"):
            batch.skip(f"{name}: no text (removed, deleted or empty)")
            return None
        return Post(
            ts=from_epoch(created), source=self.name, id=name, text=text, title=title,
            author=data.get("author") if isinstance(data.get("author"), str) else None, url=url,
            kind=self.cfg.post_kind, reposts=as_count(data.get("num_crossposts")), likes=as_count(data.get("score")),
            replies=replies, extra={k: v for k, v in extra.items() if v is not None},
        )


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
