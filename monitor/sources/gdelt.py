"""World news about the brand from the GDELT DOC 2.0 API (ArtList, JSON), in 65 languages.

GDELT asks for at most one request every 5 seconds; the channel's limiter enforces that
across every gdelt source on the shared session. Articles come oldest first from a
``startdatetime`` watermark (GDELT stamps them at 15-minute resolution, so the ids seen
at the boundary are remembered). The API reports problems as plain text with HTTP 200
("Please limit requests to one every 5 seconds", "The specified phrase is too short"):
the first becomes a retryable error, the others a config error naming the query.
"""

from __future__ import annotations

import logging
from datetime import UTC, timedelta
from typing import Any, ClassVar

from pydantic import Field, field_validator

from monitor.durations import Duration
from monitor.errors import SourceError
from monitor.models import Post
from monitor.sources.base import Batch, register_source
from monitor.sources.http import HttpSource, HttpSourceConfig, Response, require
from monitor.sources.text import host_of, html_to_text, parse_time, truncate
from monitor.sources.watermark import Watermark

log = logging.getLogger(__name__)

PER_MINUTE = 12.0  # "one request every 5 seconds"
REACH = timedelta(days=89)  # the API searches a rolling three months; older start times are refused

# GDELT names an article's language in English; these are its translingual languages.
LANGUAGES = {
    "afrikaans": "af", "albanian": "sq", "arabic": "ar", "armenian": "hy", "azerbaijani": "az", "basque": "eu",
    "belarusian": "be", "bengali": "bn", "bosnian": "bs", "bulgarian": "bg", "catalan": "ca", "chinese": "zh",
    "croatian": "hr", "czech": "cs", "danish": "da", "dutch": "nl", "english": "en", "estonian": "et",
    "finnish": "fi", "french": "fr", "galician": "gl", "georgian": "ka", "german": "de", "greek": "el",
    "gujarati": "gu", "hebrew": "he", "hindi": "hi", "hungarian": "hu", "icelandic": "is", "indonesian": "id",
    "italian": "it", "japanese": "ja", "kannada": "kn", "kazakh": "kk", "korean": "ko", "latvian": "lv",
    "lithuanian": "lt", "macedonian": "mk", "malay": "ms", "malayalam": "ml", "marathi": "mr", "mongolian": "mn",
    "nepali": "ne", "norwegian": "no", "persian": "fa", "polish": "pl", "portuguese": "pt", "punjabi": "pa",
    "romanian": "ro", "russian": "ru", "serbian": "sr", "sinhala": "si", "sinhalese": "si", "slovak": "sk",
    "slovenian": "sl", "somali": "so", "spanish": "es", "swahili": "sw", "swedish": "sv", "tamil": "ta",
    "telugu": "te", "thai": "th", "tibetan": "bo", "turkish": "tr", "ukrainian": "uk", "urdu": "ur",
    "vietnamese": "vi",
}


class GdeltConfig(HttpSourceConfig):
    kind: str = "gdelt"
    base_url: str = Field(default="https://api.gdeltproject.org", description="API root (tests point it elsewhere)")
    query: str = Field(description="GDELT query, e.g. '\"acme earbuds\" (battery OR recall) sourcelang:english'")
    max_records: int = Field(default=250, ge=1, le=250, description="articles per request (GDELT allows 250)")
    lookback: Duration = Field(default=timedelta(hours=1), description="how far back the first poll reaches")
    interval: Duration = Field(
        default=timedelta(minutes=15), description="how often to poll (GDELT updates every 15 minutes)"
    )
    expected_update_period: Duration | None = Field(
        default=timedelta(days=1), description="no article about the brand for this long is a blind spot"
    )

    @field_validator("requests_per_minute")
    @classmethod
    def _polite(cls, v: float | None) -> float | None:
        if v is not None and v > PER_MINUTE:
            raise ValueError(f"GDELT allows one request every 5 s ({PER_MINUTE:g} a minute); got {v:g}")
        return v


@register_source
class GdeltSource(HttpSource[GdeltConfig]):
    """GDELT DOC 2.0 news articles (ArtList JSON, many languages, one request per 5 s)."""

    kind: ClassVar[str] = "gdelt"
    requests_per_minute: ClassVar[float] = PER_MINUTE

    async def poll(self, cursor: Any) -> Batch:
        cfg = self.cfg
        now = self.ctx.clock.now()
        mark = Watermark.from_cursor(cursor)
        start = max(mark.start(now - cfg.lookback), now - REACH)  # after a long outage: as far back as it goes
        params = {"query": cfg.query, "mode": "ArtList", "format": "json", "maxrecords": cfg.max_records,
                  "sort": "DateAsc", "startdatetime": _stamp(start), "enddatetime": _stamp(max(now, start))}
        resp = await self.http.get(f"{cfg.base_url.rstrip('/')}/api/v2/doc/doc", params=params)
        data = self._decode(resp)
        # no match is an empty object, {}; anything else must carry the article list
        articles = require(data, "articles", list, source=self.name) if data else []
        batch = Batch()
        mark.take_page(articles, lambda item: self.map_article(item, batch), batch)
        if len(articles) >= cfg.max_records and not batch.events and mark.since is not None:
            # a full page of articles we already have, all at one 15-minute stamp: step past it
            # (the stamp's ids fall behind the new floor and leave the cursor)
            log.warning("%s: more than %d articles at %s; skipping the rest of that stamp", self.name,
                        cfg.max_records, mark.since.isoformat(), extra={"source": self.name})
            mark.since += timedelta(seconds=1)
        batch.cursor = mark.to_cursor()
        return batch

    def _decode(self, resp: Response) -> dict[str, Any]:
        body = resp.body.lstrip()
        if not body.startswith((b"{", b"[")):
            message = truncate(html_to_text(resp.text()), 200) or "(empty body)"
            if "limit requests" in message.lower():
                self.http.limiter.block_for(5.0)
                raise SourceError(f"{self.name}: GDELT rate limit: {message}", retryable=True, retry_after=5.0)
            if not body or "html" in resp.content_type:
                return require(resp.json(), "", dict, source=self.name)  # names the URL and content type
            raise SourceError(f"{self.name}: GDELT rejected the query: {message}; check 'query' in the source's config",
                              retryable=False)
        return require(resp.json(), "", dict, source=self.name)

    def map_article(self, item: Any, batch: Batch) -> Post | None:
        """One ArtList article -> a news post; malformed ones are counted in ``batch`` and skipped."""
        if not isinstance(item, dict):
            batch.skip("article is not an object")
            return None
        url = item.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            batch.skip("article without url")
            return None
        ts = parse_time(item.get("seendate"))
        if ts is None:
            batch.skip("article without a readable seendate")
            return None
        title = html_to_text(item.get("title") if isinstance(item.get("title"), str) else "")
        if not title:
            batch.skip("article without title")
            return None
        domain = item.get("domain")
        language = item.get("language")
        return Post(
            ts=ts, source=self.name, id=url, text=title, title=title, url=url, kind="news",
            outlet=host_of(domain if isinstance(domain, str) and domain else url),
            lang=LANGUAGES.get(language.strip().lower()) if isinstance(language, str) else None,
            extra={"source_country": item.get("sourcecountry") or None, "language_name": language or None},
        )


def _stamp(ts: Any) -> str:
    return ts.astimezone(UTC).strftime("%Y%m%d%H%M%S")
