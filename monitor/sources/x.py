"""Posts on X about the brand, from the v2 recent search (``/2/tweets/search/recent``).

App-only auth with a bearer token. The cursor is ``since_id``: results come newest
first, so a poll walks ``next_token`` pages down to ``since_id`` and only then moves
``since_id`` to the newest id it saw. A walk cut short by ``max_pages`` stores its
``next_token`` and finishes on the next poll, so nothing between is skipped. Recent
search reaches back 7 days; a ``since_id`` older than that (the daemon was off for a
week) is dropped with a warning and the search restarts from ``lookback``.
Reposts are ``retweet_count + quote_count``; long posts use their ``note_tweet`` text.
"""

from __future__ import annotations

import html
import logging
from datetime import timedelta
from typing import Any, ClassVar

from pydantic import Field, SecretStr, field_validator

from monitor.durations import Duration
from monitor.errors import SourceError
from monitor.models import Post, format_ts
from monitor.sources.base import Batch, register_source
from monitor.sources.http import HttpSource, HttpSourceConfig, Response, require
from monitor.sources.text import as_count, nonempty_str, normalize_space, parse_time

log = logging.getLogger(__name__)

RECENT_WINDOW = timedelta(days=7)
_NO_LANGUAGE = {"und", "zxx", "art"}  # undetermined, no linguistic content, constructed


class XConfig(HttpSourceConfig):
    kind: str = "x"
    base_url: str = Field(default="https://api.x.com", description="API root (tests point it elsewhere)")
    bearer_token: SecretStr = Field(description="app-only bearer token from the X developer portal")
    query: str = Field(description="X search query, e.g. '(acme OR #acme) -is:retweet'")
    max_results: int = Field(default=100, ge=10, le=100, description="posts per page (10-100)")
    max_pages: int = Field(default=5, ge=1, description="pages per poll; an unfinished walk resumes next poll")
    lookback: Duration = Field(default=timedelta(hours=1), description="how far back the first poll reaches")
    requests_per_minute: float | None = Field(
        default=None, gt=0, description="request budget; null = 4 a minute (Basic tier: 60 per 15 min)"
    )
    interval: Duration = Field(default=timedelta(minutes=5), description="how often to poll")
    expected_update_period: Duration | None = Field(
        default=timedelta(hours=2), description="no post about the brand for this long is a blind spot"
    )

    @field_validator("lookback")
    @classmethod
    def _recent(cls, v: timedelta) -> timedelta:
        if v > RECENT_WINDOW:
            raise ValueError("lookback must be at most 7d: recent search only reaches 7 days back")
        return v

    @field_validator("query")
    @classmethod
    def _query(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("query must not be empty")
        return v


@register_source
class XSource(HttpSource[XConfig]):
    """X (Twitter) API v2 recent search: bearer token, since_id cursor, public metrics."""

    kind: ClassVar[str] = "x"
    requests_per_minute: ClassVar[float] = 4.0

    async def poll(self, cursor: Any) -> Batch:
        cur = cursor if isinstance(cursor, dict) else {}
        since_id = _id(cur.get("since_id"))
        pending = cur.get("pending") if isinstance(cur.get("pending"), dict) else None
        next_token = nonempty_str(pending.get("next_token")) if pending else None
        newest = _id(pending.get("newest_id")) if pending else None
        batch = Batch()
        taken: set[str] = set()
        for _ in range(self.cfg.max_pages):
            data, since_id = await self._search(since_id, next_token)
            meta = require(data, "meta", dict, source=self.name)  # present even with no results
            tweets = require(data, "data", list, source=self.name) if "data" in data else []
            users = _users(data)
            if newest is None:
                newest = _id(meta.get("newest_id"))
            for item in tweets:
                post = self.map_tweet(item, users, batch)
                if post is None or post.id in taken or (since_id and int(post.id) <= int(since_id)):
                    continue
                taken.add(post.id)
                batch.events.append(post)
            next_token = nonempty_str(meta.get("next_token"))
            if not next_token:
                batch.cursor = {"since_id": newest or since_id}
                return batch
        batch.cursor = {"since_id": since_id, "pending": {"next_token": next_token, "newest_id": newest}}
        return batch

    async def _search(self, since_id: str | None, next_token: str | None) -> tuple[dict[str, Any], str | None]:
        """One page; a since_id the API calls too old is dropped once. Returns (data, since_id used)."""
        cfg = self.cfg
        params: dict[str, Any] = {
            "query": cfg.query, "max_results": cfg.max_results, "next_token": next_token,
            "tweet.fields": "created_at,lang,public_metrics,author_id,note_tweet",
            "expansions": "author_id", "user.fields": "username,name",
        }
        if since_id:
            params["since_id"] = since_id
        else:
            # a minute inside the 7-day reach, so clock skew cannot push start_time past it
            back = min(cfg.lookback, RECENT_WINDOW - timedelta(minutes=1))
            params["start_time"] = format_ts(self.ctx.clock.now() - back)
        headers = {"Authorization": f"Bearer {cfg.bearer_token.get_secret_value()}"}
        url = f"{cfg.base_url.rstrip('/')}/2/tweets/search/recent"
        resp = await self.http.get(url, params=params, headers=headers, accept=(400,))
        if resp.status == 400:
            problem = _problem(resp)
            if since_id and "since_id" in problem:
                log.warning("%s: since_id %s is older than recent search reaches; restarting from lookback (%s)",
                            self.name, since_id, problem, extra={"source": self.name})
                return await self._search(None, None)
            raise SourceError(f"{self.name}: X rejected the search: {problem}; check 'query' in the source's config",
                              retryable=False)
        return require(resp.json(), "", dict, source=self.name), since_id

    def map_tweet(self, item: Any, users: dict[str, dict[str, Any]], batch: Batch) -> Post | None:
        """One tweet object -> a post; malformed ones are counted in ``batch`` and skipped."""
        if not isinstance(item, dict):
            batch.skip("post is not an object")
            return None
        tid = _id(item.get("id"))
        if tid is None:
            batch.skip("post without a numeric id")
            return None
        ts = parse_time(item.get("created_at"))
        if ts is None:
            batch.skip("post without a readable created_at (is tweet.fields=created_at sent?)")
            return None
        note = item.get("note_tweet")
        raw = note.get("text") if isinstance(note, dict) and isinstance(note.get("text"), str) else item.get("text")
        if not isinstance(raw, str) or not raw.strip():
            batch.skip("post without text")
            return None
        user = users.get(str(item.get("author_id")), {})
        username = user.get("username") if isinstance(user.get("username"), str) else None
        metrics = item.get("public_metrics") if isinstance(item.get("public_metrics"), dict) else {}
        lang = item.get("lang")
        return Post(
            ts=ts, source=self.name, id=tid, text=normalize_space(html.unescape(raw)), author=username,
            url=f"https://x.com/{username}/status/{tid}" if username else f"https://x.com/i/web/status/{tid}",
            lang=lang if isinstance(lang, str) and lang not in _NO_LANGUAGE and not lang.startswith("q") else None,
            kind="social",
            reposts=as_count(metrics.get("retweet_count")) + as_count(metrics.get("quote_count")),
            likes=as_count(metrics.get("like_count")), replies=as_count(metrics.get("reply_count")),
            extra={"author_name": user.get("name"), "impressions": as_count(metrics.get("impression_count"))},
        )


def _problem(resp: Response) -> str:
    try:
        body = resp.json()
    except SourceError:
        return resp.snippet()
    if not isinstance(body, dict):
        return resp.snippet()
    messages = [str(e.get("message")) for e in body.get("errors") or [] if isinstance(e, dict) and e.get("message")]
    return "; ".join(messages) or str(body.get("detail") or body.get("title") or resp.snippet())


def _users(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    includes = data.get("includes")
    users = includes.get("users") if isinstance(includes, dict) else None
    return {str(u.get("id")): u for u in users or [] if isinstance(u, dict)}


def _id(value: Any) -> str | None:
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    return text if text.isdigit() else None
