"""Stack Exchange questions (and optionally their answers) that mention the brand.

Reads ``/2.3/search/advanced`` oldest-first from a ``fromdate`` watermark, so a poll cut
short by ``max_pages`` resumes exactly where it stopped. The API's etiquette is honoured:
a ``backoff`` field in any response means "no request to this method for N seconds" and
blocks the channel for that long; a spent daily ``quota_remaining`` blocks it until the
quota resets at midnight UTC; API errors (``error_id``/``error_name``) are translated,
``throttle_violation`` into a retryable error with the wait the API names.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import Field, SecretStr

from monitor.durations import Duration
from monitor.errors import SourceError
from monitor.models import Post
from monitor.sources.base import Batch, register_source
from monitor.sources.http import HttpSource, HttpSourceConfig, Response, require
from monitor.sources.text import as_count, from_epoch, html_to_text, nonempty_str
from monitor.sources.watermark import Watermark

log = logging.getLogger(__name__)

# Localised sites are in their language; every other Stack Exchange site is English-only.
_SITE_LANG = {"ru.stackoverflow": "ru", "es.stackoverflow": "es", "pt.stackoverflow": "pt", "ja.stackoverflow": "ja"}
_RETRYABLE_ERRORS = {"throttle_violation", "internal_error", "temporarily_unavailable", "duplicate_request"}
_WAIT_IN_MESSAGE = re.compile(r"available in (\d+) seconds")
MAX_IDS = 100  # the API's limit on ids in one vectorised call


class StackExchangeConfig(HttpSourceConfig):
    kind: str = "stackexchange"
    base_url: str = Field(default="https://api.stackexchange.com", description="API root (tests point it elsewhere)")
    site: str = Field(default="stackoverflow", description="site parameter: stackoverflow, superuser, askubuntu, ...")
    query: str = Field(description="free-text search (the q parameter), e.g. the brand and product names")
    tagged: list[str] = Field(default_factory=list, description="only questions with all of these tags")
    key: SecretStr | None = Field(
        default=None, description="app key from stackapps.com: a quota of 10,000 requests a day instead of 300"
    )
    include_answers: bool = Field(
        default=False, description="also collect new answers to the questions found (one more request per poll)"
    )
    follow_answers_for: Duration = Field(
        default=timedelta(days=7), description="how long after a question was found its new answers are collected"
    )
    lookback: Duration = Field(default=timedelta(days=1), description="how far back the first poll reaches")
    page_size: int = Field(default=100, ge=1, le=100, description="items per page (the API allows 100)")
    max_pages: int = Field(default=5, ge=1, description="pages per poll; the rest waits for the next poll")
    interval: Duration = Field(default=timedelta(minutes=10), description="how often to poll")
    expected_update_period: Duration | None = Field(
        default=timedelta(days=1), description="a brand's questions are sparse: a day without one is a blind spot"
    )


@register_source
class StackExchangeSource(HttpSource[StackExchangeConfig]):
    """Stack Exchange questions (search/advanced, fromdate cursor, backoff honoured), optionally answers."""

    kind: ClassVar[str] = "stackexchange"
    requests_per_minute: ClassVar[float] = 30.0

    async def poll(self, cursor: Any) -> Batch:
        cur = cursor if isinstance(cursor, dict) else {}
        batch = Batch()
        questions = Watermark.from_cursor(cur.get("questions"))
        watch = _watch_from_cursor(cur.get("watch"))
        await self._questions(questions, watch, batch)
        now = self.ctx.clock.now()
        # the answers cursor starts at the lookback and is stored from the first poll, so its start stays put
        answers = Watermark.from_cursor(cur.get("answers"), first_run=now - self.cfg.lookback)
        horizon = now - self.cfg.follow_answers_for
        watch = {qid: w for qid, w in watch.items() if from_epoch(w[0]) >= horizon}
        out: dict[str, Any] = {"questions": questions.to_cursor()}
        if self.cfg.include_answers:
            if watch:
                await self._answers(answers, watch, batch)
            out["answers"] = answers.to_cursor()
            out["watch"] = {qid: list(w) for qid, w in watch.items()}
        batch.cursor = out
        return batch

    # -- requests

    def _params(self, **extra: Any) -> dict[str, Any]:
        cfg = self.cfg
        return {"site": cfg.site, "filter": "withbody", "pagesize": cfg.page_size,
                "key": cfg.key.get_secret_value() if cfg.key else None, **extra}

    async def _questions(self, mark: Watermark, watch: dict[str, tuple[int, str]], batch: Batch) -> None:
        start = mark.start(self.ctx.clock.now() - self.cfg.lookback)
        url = f"{self.cfg.base_url.rstrip('/')}/2.3/search/advanced"
        for page in range(1, self.cfg.max_pages + 1):
            params = self._params(q=self.cfg.query, tagged=";".join(self.cfg.tagged) or None,
                                  fromdate=int(start.timestamp()), sort="creation", order="asc", page=page)
            data = await self._get(url, params)
            taken = len(batch.events)
            mark.take_page(require(data, "items", list, source=self.name),
                           lambda item: self.map_question(item, batch), batch)
            for post in batch.events[taken:]:  # the questions just taken: follow their answers
                if isinstance(post, Post) and post.url:
                    watch[post.id] = (int(post.ts.timestamp()), post.url)
            if not data.get("has_more"):
                break

    async def _answers(self, mark: Watermark, watch: dict[str, tuple[int, str]], batch: Batch) -> None:
        newest = sorted(watch, key=lambda q: watch[q][0], reverse=True)[:MAX_IDS]
        url = f"{self.cfg.base_url.rstrip('/')}/2.3/questions/{';'.join(newest)}/answers"
        start = mark.start(self.ctx.clock.now() - self.cfg.lookback)
        for page in range(1, self.cfg.max_pages + 1):
            params = self._params(fromdate=int(start.timestamp()), sort="creation", order="asc", page=page)
            data = await self._get(url, params)
            mark.take_page(require(data, "items", list, source=self.name),
                           lambda item: self.map_answer(item, watch, batch), batch)
            if not data.get("has_more"):
                break

    async def _get(self, url: str, params: dict[str, Any]) -> dict[str, Any]:
        resp = await self.http.get(url, params=params, accept=(400,))
        data = require(resp.json(), "", dict, source=self.name)
        if "error_id" in data or resp.status == 400:
            raise self._api_error(resp, data)
        self._obey_wrapper(data)
        return data

    def _obey_wrapper(self, data: dict[str, Any]) -> None:
        """Honour ``backoff`` and a spent ``quota_remaining`` before anyone asks again."""
        backoff = data.get("backoff")
        if isinstance(backoff, int | float) and backoff > 0:
            log.info("%s: API asks for a %ss backoff", self.name, backoff, extra={"source": self.name})
            self.http.limiter.block_for(float(backoff))
        remaining = data.get("quota_remaining")
        if isinstance(remaining, int) and remaining <= 0:
            now = self.ctx.clock.now()
            reset = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
            log.warning("%s: daily quota spent; next request after %s", self.name, reset.isoformat(),
                        extra={"source": self.name})
            self.http.limiter.block_for((reset - now).total_seconds())

    def _api_error(self, resp: Response, data: dict[str, Any]) -> SourceError:
        name = str(data.get("error_name", "unknown_error"))
        message = html_to_text(str(data.get("error_message", resp.snippet())))
        text = f"{self.name}: Stack Exchange API error {data.get('error_id', resp.status)} {name}: {message}"
        if name in _RETRYABLE_ERRORS:
            m = _WAIT_IN_MESSAGE.search(message)
            wait = float(m.group(1)) if m else None
            if wait is not None:
                self.http.limiter.block_for(wait)
            return SourceError(text, retryable=True, retry_after=wait)
        if name in ("key_required", "invalid_access_token", "access_denied", "access_token_required"):
            text += " (check 'key' in the source's config)"
        return SourceError(text, retryable=False)

    # -- mapping

    def _lang(self) -> str | None:
        site = self.cfg.site.lower()
        return _SITE_LANG.get(site.removesuffix(".com"), "en" if "." not in site else None)

    def _common(self, item: Any, id_field: str, batch: Batch, what: str) -> dict[str, Any] | None:
        if not isinstance(item, dict):
            batch.skip(f"{what} is not an object")
            return None
        pid, created = item.get(id_field), item.get("creation_date")
        if not isinstance(pid, int) or isinstance(pid, bool):
            batch.skip(f"{what} without {id_field}")
            return None
        if not isinstance(created, int | float) or isinstance(created, bool):
            batch.skip(f"{what} without creation_date")
            return None
        owner = item.get("owner") if isinstance(item.get("owner"), dict) else {}
        return {
            "ts": from_epoch(created), "source": self.name, "id": str(pid), "kind": "forum", "lang": self._lang(),
            "author": html_to_text(owner.get("display_name")) or None,
            "likes": as_count(item.get("score")),
        }

    def map_question(self, item: Any, batch: Batch) -> Post | None:
        """One search/advanced item -> a post; malformed items are counted in ``batch`` and skipped."""
        base = self._common(item, "question_id", batch, "question")
        if base is None:
            return None
        title = html_to_text(item.get("title") if isinstance(item.get("title"), str) else "")
        body = html_to_text(item.get("body") if isinstance(item.get("body"), str) else "")
        if not (title or body):
            batch.skip("question without title or body")
            return None
        tags = item.get("tags")
        return Post(**base, title=title or None, text=body or title, url=nonempty_str(item.get("link")),
                    replies=as_count(item.get("answer_count")),
                    extra={"post_type": "question", "site": self.cfg.site,
                           "tags": tags if isinstance(tags, list) else [],
                           "views": item.get("view_count") if isinstance(item.get("view_count"), int) else None})

    def map_answer(self, item: Any, watch: dict[str, tuple[int, str]], batch: Batch) -> Post | None:
        base = self._common(item, "answer_id", batch, "answer")
        if base is None:
            return None
        body = html_to_text(item.get("body") if isinstance(item.get("body"), str) else "")
        if not body:
            batch.skip("answer without body")
            return None
        qid = str(item.get("question_id", ""))
        url = nonempty_str(item.get("link"))
        if url is None and qid in watch:
            host = urlsplit(watch[qid][1]).netloc
            url = f"https://{host}/a/{base['id']}" if host else None
        return Post(**base, text=body, url=url,
                    extra={"post_type": "answer", "site": self.cfg.site, "question_id": qid,
                           "accepted": bool(item.get("is_accepted"))})


def _watch_from_cursor(data: Any) -> dict[str, tuple[int, str]]:
    out: dict[str, tuple[int, str]] = {}
    if isinstance(data, dict):
        for qid, value in data.items():
            if isinstance(value, list) and len(value) == 2 and isinstance(value[0], int):
                out[str(qid)] = (value[0], str(value[1]))
    return out
