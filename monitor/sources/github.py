"""GitHub issues (and optionally pull requests) that mention the brand.

Uses the issues search (``/search/issues``) with the brand terms, optional ``repo:`` /
``org:`` qualifiers and ``created:>=<watermark>``, sorted oldest first, so a poll cut
short by ``max_pages`` (or GitHub's 1,000-result cap) resumes where it stopped. A token
is optional: without one the search allows 10 requests a minute, with one 30. The
``X-RateLimit-Remaining`` / ``X-RateLimit-Reset`` headers are obeyed by the HTTP layer;
a 403 that says the limit is spent becomes a retryable error with the reset wait.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any, ClassVar

from pydantic import Field, SecretStr, field_validator

from monitor.durations import Duration
from monitor.errors import SourceError
from monitor.models import Post, format_ts
from monitor.sources.base import Batch, register_source
from monitor.sources.http import (
    HttpSource,
    HttpSourceConfig,
    Response,
    parse_rate_reset,
    parse_retry_after,
    require,
)
from monitor.sources.text import as_count, html_to_text, parse_time
from monitor.sources.watermark import Watermark

log = logging.getLogger(__name__)

_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_OPERATOR = re.compile(r"\b(AND|OR|NOT)\b")
MAX_QUERY_CHARS = 256
MAX_OPERATORS = 5


class GitHubConfig(HttpSourceConfig):
    kind: str = "github"
    base_url: str = Field(default="https://api.github.com", description="API root (GitHub Enterprise: https://HOST/api/v3)")
    query: str = Field(description="brand terms in GitHub search syntax, e.g. '\"acme sdk\" OR acme-cli'")
    repos: list[str] = Field(default_factory=list, description="limit to these repositories (owner/name)")
    orgs: list[str] = Field(default_factory=list, description="limit to these organisations or users")
    include_pull_requests: bool = Field(default=False, description="also collect pull requests, not just issues")
    token: SecretStr | None = Field(
        default=None, description="personal access token: 30 searches a minute instead of 10 (sent as a Bearer header)"
    )
    lookback: Duration = Field(default=timedelta(days=1), description="how far back the first poll reaches")
    per_page: int = Field(default=100, ge=1, le=100, description="results per page (GitHub allows 100)")
    max_pages: int = Field(default=3, ge=1, description="pages per poll; the rest waits for the next poll")
    interval: Duration = Field(default=timedelta(minutes=10), description="how often to poll")
    expected_update_period: Duration | None = Field(
        default=timedelta(days=1), description="issues about a brand are sparse: a day without one is a blind spot"
    )

    @field_validator("query")
    @classmethod
    def _query(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("query must not be empty")
        if len(v) > MAX_QUERY_CHARS:
            raise ValueError(f"query is {len(v)} characters; GitHub search allows {MAX_QUERY_CHARS}")
        operators = len(_OPERATOR.findall(v))
        if operators > MAX_OPERATORS:
            raise ValueError(f"query has {operators} AND/OR/NOT operators; GitHub search allows {MAX_OPERATORS}")
        return v

    @field_validator("repos")
    @classmethod
    def _repos(cls, v: list[str]) -> list[str]:
        for repo in v:
            if not _REPO.match(repo):
                raise ValueError(f"repository {repo!r} is not owner/name")
        return v


@register_source
class GitHubSource(HttpSource[GitHubConfig]):
    """GitHub issues search (created:>= cursor, token optional, rate-limit headers obeyed)."""

    kind: ClassVar[str] = "github"
    requests_per_minute: ClassVar[float] = 10.0  # unauthenticated search; 30 with a token

    def default_rate(self) -> float:
        return 30.0 if self.cfg.token else 10.0

    def channel_key(self) -> str:
        # the search budget belongs to the token (or to our IP without one)
        return "github:token" if self.cfg.token else "github"

    def search_query(self, since: Any) -> str:
        cfg = self.cfg
        parts = [cfg.query.strip()]
        parts += [f"repo:{r}" for r in cfg.repos] + [f"org:{o}" for o in cfg.orgs]
        if not cfg.include_pull_requests:
            parts.append("is:issue")
        parts.append(f"created:>={format_ts(since)}")
        return " ".join(parts)

    async def poll(self, cursor: Any) -> Batch:
        cfg = self.cfg
        mark = Watermark.from_cursor(cursor)
        batch = Batch()
        query = self.search_query(mark.start(self.ctx.clock.now() - cfg.lookback))
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if cfg.token:
            headers["Authorization"] = f"Bearer {cfg.token.get_secret_value()}"
        url = f"{cfg.base_url.rstrip('/')}/search/issues"
        for page in range(1, cfg.max_pages + 1):
            params = {"q": query, "sort": "created", "order": "asc", "per_page": cfg.per_page, "page": page}
            resp = await self.http.get(url, params=params, headers=headers, accept=(403, 422))
            if resp.status in (403, 422):
                raise self._refusal(resp)
            data = require(resp.json(), "", dict, source=self.name)
            items = require(data, "items", list, source=self.name)
            if data.get("incomplete_results"):
                log.warning("%s: GitHub marked page %d incomplete (search timed out server-side)", self.name, page,
                            extra={"source": self.name})
            mark.take_page(items, lambda item: self.map_item(item, batch), batch)
            total = data.get("total_count")
            if len(items) < cfg.per_page or (isinstance(total, int) and page * cfg.per_page >= total):
                break
        batch.cursor = mark.to_cursor()
        return batch

    def _refusal(self, resp: Response) -> SourceError:
        body: Any
        try:
            body = resp.json()
        except SourceError:
            body = {}
        message = str(body.get("message", "")) if isinstance(body, dict) else ""
        details = "; ".join(
            str(e.get("message", e)) for e in (body.get("errors") or []) if isinstance(e, dict)
        ) if isinstance(body, dict) else ""
        now = self.ctx.clock.now()
        if resp.status == 403 and (resp.headers.get("X-RateLimit-Remaining") == "0" or "rate limit" in message.lower()):
            wait = parse_retry_after(resp.headers.get("Retry-After"), now)
            if wait is None:
                wait = parse_rate_reset(resp.headers.get("X-RateLimit-Reset"), now)
            if wait is not None:
                self.http.limiter.block_for(wait)
            return SourceError(f"{self.name}: GitHub rate limit exceeded: {message or resp.snippet()}",
                               retryable=True, retry_after=wait)
        if resp.status == 422:
            return SourceError(f"{self.name}: GitHub rejected the search query: {details or message}; "
                               f"check query/repos/orgs in the source's config", retryable=False)
        return SourceError(f"{self.name}: GitHub refused access (HTTP 403): {message or resp.snippet()}; "
                           f"check the token in the source's config", retryable=False)

    def map_item(self, item: Any, batch: Batch) -> Post | None:
        """One search hit -> a post; malformed hits are counted in ``batch`` and skipped."""
        if not isinstance(item, dict):
            batch.skip("search hit is not an object")
            return None
        iid = item.get("id")
        if not isinstance(iid, int) or isinstance(iid, bool):
            batch.skip("issue without id")
            return None
        ts = parse_time(item.get("created_at"))
        if ts is None:
            batch.skip("issue without a readable created_at")
            return None
        title = html_to_text(item.get("title") if isinstance(item.get("title"), str) else "")
        body = html_to_text(item.get("body") if isinstance(item.get("body"), str) else "")
        if not (title or body):
            batch.skip("issue without title or body")
            return None
        user = item.get("user") if isinstance(item.get("user"), dict) else {}
        reactions = item.get("reactions") if isinstance(item.get("reactions"), dict) else {}
        repo_url = item.get("repository_url")
        repo = repo_url.split("/repos/", 1)[-1] if isinstance(repo_url, str) and "/repos/" in repo_url else None
        labels = [lb.get("name") for lb in item.get("labels") or [] if isinstance(lb, dict) and lb.get("name")]
        return Post(
            ts=ts, source=self.name, id=str(iid), text=body or title, title=title or None,
            author=user.get("login") if isinstance(user.get("login"), str) else None,
            url=item.get("html_url") if isinstance(item.get("html_url"), str) else None,
            kind="forum", replies=as_count(item.get("comments")), likes=as_count(reactions.get("+1")),
            extra={"repo": repo, "number": item.get("number"), "state": item.get("state"),
                   "pull_request": "pull_request" in item, "labels": labels,
                   "reactions": as_count(reactions.get("total_count"))},
        )
