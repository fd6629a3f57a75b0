"""Bluesky: ``app.bsky.feed.searchPosts`` (sort=latest), signed in with an app password.

Why a session: search needs an authenticated client. ``createSession`` is itself rate
limited (30 per 5 minutes, 300 a day), so the tokens are kept in memory, the access
token is refreshed with ``refreshSession`` shortly before it expires (its JWT ``exp``)
or when the server says ``ExpiredToken``, and a new session is only made when refresh
fails. Results come newest first and are paged with the API's ``cursor`` until the
poll reaches posts older than the stored time (minus an overlap for late indexing).
"""

from __future__ import annotations

import base64
import json
import logging
from datetime import datetime, timedelta
from typing import Any, ClassVar

from pydantic import Field, SecretStr

from monitor.durations import Duration
from monitor.errors import SourceError
from monitor.models import Post, format_ts
from monitor.sources.base import Batch, SourceContext, register_source
from monitor.sources.http import HttpSource, HttpSourceConfig, Response, require
from monitor.sources.text import as_count, from_epoch, parse_time
from monitor.sources.watermark import Watermark

log = logging.getLogger(__name__)

_TOKEN_ERRORS = {"ExpiredToken", "InvalidToken"}


class BlueskyConfig(HttpSourceConfig):
    kind: str = "bluesky"
    base_url: str = Field(default="https://bsky.social", description="your PDS (it signs you in and proxies search)")
    identifier: str = Field(min_length=1, description="handle or email of the account, e.g. acme-monitor.bsky.social")
    app_password: SecretStr = Field(description="an app password (Settings > App passwords), e.g. ${BSKY_APP_PASSWORD}")
    query: str = Field(min_length=1, description='search query (Lucene-like), e.g. acme battery or "acme x2"')
    lang: str | None = Field(default=None, description="only posts in this language (e.g. en, ja)")
    lookback: Duration = Field(default=timedelta(hours=1), description="how far back the first poll reaches")
    overlap: Duration = Field(default=timedelta(minutes=5), description="re-read window for posts indexed late")
    page_size: int = Field(default=100, ge=1, le=100, description="posts per page (the API allows 100)")
    max_pages: int = Field(default=5, ge=1, le=20, description="pages per poll")
    interval: Duration = Field(default=timedelta(minutes=5), description="how often to poll")
    expected_update_period: Duration | None = Field(
        default=timedelta(hours=6), description="six hours without a matching post is a blind spot"
    )


def jwt_expiry(token: str) -> datetime | None:
    """The ``exp`` claim of a JWT, read without verifying (we only schedule a refresh with it)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp = claims.get("exp")
    except (IndexError, ValueError, AttributeError):
        return None
    return from_epoch(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None


@register_source
class BlueskySource(HttpSource[BlueskyConfig]):
    """Bluesky posts from searchPosts (app password session, cursor paging); reposts include quotes."""

    kind: ClassVar[str] = "bluesky"
    requests_per_minute: ClassVar[float] = 60.0
    burst: ClassVar[int] = 5

    def __init__(self, config: BlueskyConfig, ctx: SourceContext) -> None:
        super().__init__(config, ctx)
        self._access: str | None = None
        self._refresh: str | None = None
        self.sessions_created = 0
        self.refreshes = 0

    def _xrpc(self, method: str) -> str:
        return f"{self.cfg.base_url.rstrip('/')}/xrpc/{method}"

    # -- poll

    async def poll(self, cursor: Any) -> Batch:
        batch = Batch()
        mark = Watermark.from_cursor(cursor, self.cfg.overlap)
        start = mark.start(self.ctx.clock.now() - self.cfg.lookback)
        page_cursor: str | None = None
        for page in range(self.cfg.max_pages):
            params = {"q": self.cfg.query, "sort": "latest", "limit": self.cfg.page_size, "lang": self.cfg.lang,
                      "since": format_ts(start), "cursor": page_cursor}
            data = await self._search(params)
            posts = require(data, "posts", list, source=self.name)
            reached_old = mark.take_page(posts, lambda view: self._map(view, batch), batch, start)
            page_cursor = data.get("cursor") if isinstance(data.get("cursor"), str) else None
            if reached_old or not posts or not page_cursor:
                break
            if page == self.cfg.max_pages - 1:
                batch.skip("more new posts than max_pages x page_size; older ones left behind")
        batch.cursor = mark.to_cursor()
        return batch

    async def _search(self, params: dict[str, Any]) -> Any:
        for attempt in range(2):
            token = await self._token()
            resp = await self.http.get(self._xrpc("app.bsky.feed.searchPosts"), params=params,
                                       headers={"Authorization": f"Bearer {token}"}, accept=(400, 401))
            if resp.ok:
                return resp.json()
            error = _xrpc_error(resp)
            if error in _TOKEN_ERRORS and attempt == 0:
                self._access = None  # expired early (clock skew, revoked): refresh, then try once more
                continue
            raise SourceError(f"{self.name}: searchPosts failed (HTTP {resp.status} {error}): {resp.snippet(160)}",
                              retryable=False)
        raise SourceError(f"{self.name}: a fresh session was still refused by searchPosts", retryable=False)

    # -- session

    async def _token(self) -> str:
        if self._access is not None:
            expiry = jwt_expiry(self._access)
            if expiry is None or self.ctx.clock.now() < expiry - timedelta(seconds=60):
                return self._access
            self._access = None
        if self._refresh is not None and await self._refresh_session():
            assert self._access is not None
            return self._access
        await self._create_session()
        assert self._access is not None
        return self._access

    async def _refresh_session(self) -> bool:
        resp = await self.http.post(self._xrpc("com.atproto.server.refreshSession"),
                                    headers={"Authorization": f"Bearer {self._refresh}"}, accept=(400, 401))
        if not resp.ok:
            log.info("%s: refreshSession refused (%s); signing in again", self.name, _xrpc_error(resp),
                     extra={"source": self.name})
            self._refresh = None
            return False
        self._store_session(resp.json())
        self.refreshes += 1
        return True

    async def _create_session(self) -> None:
        body = {"identifier": self.cfg.identifier, "password": self.cfg.app_password.get_secret_value()}
        resp = await self.http.post(self._xrpc("com.atproto.server.createSession"), json_body=body,
                                    accept=(400, 401))
        if not resp.ok:
            raise SourceError(
                f"{self.name}: Bluesky sign-in failed (HTTP {resp.status} {_xrpc_error(resp)}): {resp.snippet(160)}; "
                "check identifier and app_password",
                retryable=False,
            )
        self._store_session(resp.json())
        self.sessions_created += 1

    def _store_session(self, data: Any) -> None:
        self._access = require(data, "accessJwt", str, source=self.name)
        self._refresh = require(data, "refreshJwt", str, source=self.name)

    # -- mapping

    def _map(self, view: Any, batch: Batch) -> Post | None:
        if not isinstance(view, dict) or not isinstance(view.get("uri"), str):
            batch.skip("post without uri")
            return None
        uri = view["uri"]
        record = view.get("record")
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            batch.skip(f"{uri}: record without text")
            return None
        ts = parse_time(record.get("createdAt")) or parse_time(view.get("indexedAt"))
        if ts is None:
            batch.skip(f"{uri}: createdAt missing or unreadable")
            return None
        text = record["text"].strip()
        if not text:
            batch.skip(f"{uri}: empty text")
            return None
        author = view.get("author") if isinstance(view.get("author"), dict) else {}
        handle = author.get("handle") if isinstance(author.get("handle"), str) else None
        rkey = uri.rsplit("/", 1)[-1]
        profile = handle or author.get("did")
        langs = record.get("langs")
        lang = langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else None
        return Post(
            ts=ts, source=self.name, id=uri, text=text, author=handle,
            url=f"https://bsky.app/profile/{profile}/post/{rkey}" if profile else None, lang=lang, kind="social",
            reposts=as_count(view.get("repostCount")) + as_count(view.get("quoteCount")),
            likes=as_count(view.get("likeCount")), replies=as_count(view.get("replyCount")),
            extra={"quotes": as_count(view.get("quoteCount"))},
        )


def _xrpc_error(resp: Response) -> str:
    try:
        data = json.loads(resp.body)
    except ValueError:
        return "non-JSON error"
    return str(data.get("error") or "error") if isinstance(data, dict) else "error"
