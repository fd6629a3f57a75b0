"""The per-source HTTP client over the shared session, and the base class of HTTP collectors."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlencode

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy
from pydantic import Field

from monitor.durations import Duration
from monitor.errors import SourceError
from monitor.httpclient import SessionSlot, parse_retry_after, retryable_status
from monitor.sources.base import Source, SourceConfig, SourceContext
from monitor.sources.http.limits import (
    RateLimiter,
    RetryPolicy,
    Sleep,
    parse_rate_reset,
    shared_limiter,
)
from monitor.sources.http.response import Response, Validators
from monitor.sources.http.shapes import redact_url

__all__ = ["HttpClient", "HttpSource", "HttpSourceConfig"]

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- client


@dataclass(slots=True)
class _Attempt:
    error: str = ""
    retry_after: float | None = None


class HttpClient:
    """One source's HTTP client over the shared session: limits, retries, errors translated.

    ``request`` returns a fully read :class:`Response` for 2xx, 304 and any status in
    ``accept``; everything else becomes a :class:`SourceError` whose message names the
    source, method, URL (secrets redacted), status and the start of the body.
    """

    def __init__(
        self,
        name: str,
        ctx: SourceContext,
        *,
        channel: str,
        requests_per_minute: float = 60.0,
        burst: int = 1,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        user_agent: str | None = None,
        headers: Mapping[str, str] | None = None,
        max_bytes: int = 20 * 1024 * 1024,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.name = name
        self.ctx = ctx
        self.channel = channel
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.user_agent = user_agent or ctx.user_agent
        self.headers = dict(headers or {})
        self.max_bytes = max_bytes
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._session = SessionSlot(ctx.session)
        self._limiter_args = (requests_per_minute, burst)
        self._limiter: RateLimiter | None = None
        self.requests = 0  # attempts made, for tests and metrics

    @classmethod
    def from_config(cls, name: str, ctx: SourceContext, config: HttpSourceConfig, *, channel: str,
                    requests_per_minute: float, burst: int = 1, **kwargs: Any) -> HttpClient:
        """Build from the shared config fields (timeout, retries, backoff, max_wait, user_agent)."""
        policy = RetryPolicy(
            max_retries=config.max_retries,
            backoff=config.backoff.total_seconds(),
            backoff_max=config.backoff_max.total_seconds(),
            max_wait=config.max_wait.total_seconds(),
        )
        return cls(
            name, ctx, channel=channel, requests_per_minute=config.requests_per_minute or requests_per_minute,
            burst=burst, timeout=config.timeout.total_seconds(), retry=policy, user_agent=config.user_agent,
            **kwargs,
        )

    # -- plumbing

    @property
    def session(self) -> aiohttp.ClientSession:
        return self._session.get()

    @property
    def limiter(self) -> RateLimiter:
        if self._limiter is None:
            owner = self.ctx.session if self.ctx.session is not None else self
            rpm, burst = self._limiter_args
            self._limiter = shared_limiter(owner, self.channel, rpm, burst, self.ctx.clock, self._sleep)
        return self._limiter

    async def close(self) -> None:
        """Close the session only if this client opened it (the shared one is the runtime's)."""
        await self._session.close()

    def _label(self, method: str, url: str) -> str:
        return f"{self.name}: {method} {redact_url(url)}"

    # -- requests

    async def get(self, url: str, **kwargs: Any) -> Response:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> Response:
        return await self.request("POST", url, **kwargs)

    async def get_json(self, url: str, **kwargs: Any) -> Any:
        """GET and decode JSON (see :meth:`Response.json`)."""
        return (await self.request("GET", url, **kwargs)).json()

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        data: Any = None,
        json_body: Any = None,
        validators: Validators | None = None,
        accept: Collection[int] = (),
    ) -> Response:
        """Send one logical request, retrying what can be retried.

        Retries (up to ``retry.max_retries``): timeouts, connection errors, 408/425/5xx
        (exponential backoff with jitter; a ``Retry-After`` on 503 wins) and 429 (waits
        ``Retry-After`` or the rate-limit reset, channel-wide, when within ``max_wait``).
        """
        hdrs = {"User-Agent": self.user_agent, **self.headers, **(headers or {})}
        if validators is not None:
            hdrs.update(validators.headers())
        query = _clean_params(params)
        full_url = _with_query(url, query)
        label = self._label(method, full_url)
        attempts = self.retry.max_retries + 1
        last = _Attempt()
        for attempt in range(attempts):
            final = attempt == attempts - 1
            try:
                await self.limiter.acquire(self.retry.max_wait)
            except SourceError as exc:
                raise SourceError(f"{label}: {exc}", retryable=True, retry_after=exc.retry_after) from None
            self.requests += 1
            try:
                resp = await self._send(method, url, query, hdrs, data, json_body, validators)
            except SourceError:
                raise
            except (TimeoutError, aiohttp.ServerTimeoutError):
                last = _Attempt(f"timed out after {self.timeout:g}s")
            except aiohttp.InvalidURL as exc:
                raise SourceError(f"{label}: invalid URL ({exc}); check base_url in the config",
                                  retryable=False) from None
            except aiohttp.ClientError as exc:
                last = _Attempt(f"connection failed: {type(exc).__name__}: {exc}")
            else:
                self._observe_rate_headers(resp)
                status = resp.status
                if 200 <= status < 300 or status == 304 or status in accept:
                    return resp
                if status == 429:
                    wait = self._server_wait(resp)
                    last = _Attempt(f"HTTP 429 Too Many Requests: {resp.snippet(120)}", retry_after=wait)
                    if wait is not None:
                        if wait > self.retry.max_wait or final:
                            raise SourceError(f"{label}: rate limited (HTTP 429); retry after {wait:.0f}s",
                                              retryable=True, retry_after=wait)
                        self.limiter.block_for(wait)
                        log.warning("%s: rate limited, waiting %.1fs", label, wait, extra={"source": self.name})
                        continue
                elif retryable_status(status):
                    wait = parse_retry_after(resp.headers.get("Retry-After"), self.ctx.clock.now())
                    last = _Attempt(f"HTTP {status} {_reason(status)}: {resp.snippet(120)}", retry_after=wait)
                    if wait is not None and not final:
                        if wait > self.retry.max_wait:
                            raise SourceError(f"{label}: HTTP {status}; server asks to retry after {wait:.0f}s",
                                              retryable=True, retry_after=wait)
                        self.limiter.block_for(wait)
                        continue
                else:
                    raise _client_error(label, resp)
            if final:
                break
            delay = self.retry.delay(attempt, self._rng)
            log.warning("%s: %s; retry %d/%d in %.2fs", label, last.error, attempt + 1, self.retry.max_retries,
                        delay, extra={"source": self.name})
            await self._sleep(delay)
        raise SourceError(f"{label} failed after {attempts} attempt(s): {last.error}", retryable=True,
                          retry_after=last.retry_after)

    async def _send(self, method: str, url: str, query: list[tuple[str, str]], headers: dict[str, str], data: Any,
                    json_body: Any, validators: Validators | None) -> Response:
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with self.session.request(method, url, params=query or None, headers=headers, data=data,
                                        json=json_body, timeout=timeout, allow_redirects=True) as resp:
            chunks: list[bytes] = []
            size = 0
            async for chunk in resp.content.iter_chunked(65536):
                size += len(chunk)
                if size > self.max_bytes:
                    raise SourceError(
                        f"{self._label(method, str(resp.url))}: response larger than {self.max_bytes} bytes",
                        retryable=False,
                    )
                chunks.append(chunk)
            return Response(self.name, method, str(resp.url), resp.status, CIMultiDictProxy(CIMultiDict(resp.headers)),
                            b"".join(chunks), validators)

    def _server_wait(self, resp: Response) -> float | None:
        now = self.ctx.clock.now()
        wait = parse_retry_after(resp.headers.get("Retry-After"), now)
        if wait is None:
            wait = parse_rate_reset(_rate_header(resp, "reset"), now)
        return wait

    def _observe_rate_headers(self, resp: Response) -> None:
        """An exhausted ``X-RateLimit-Remaining`` blocks the channel until the reset."""
        remaining = _rate_header(resp, "remaining")
        if remaining is None:
            return
        try:
            left = float(remaining)
        except ValueError:
            return
        if left < 1:
            wait = parse_rate_reset(_rate_header(resp, "reset"), self.ctx.clock.now())
            if wait:
                self.limiter.block_for(wait)
                log.info("%s: rate-limit window exhausted; next request in %.0fs", self.name, wait,
                         extra={"source": self.name})


def _rate_header(resp: Response, which: str) -> str | None:
    for name in (f"X-RateLimit-{which}", f"X-Rate-Limit-{which}", f"RateLimit-{which}"):
        value = resp.headers.get(name)
        if value is not None:
            return value
    return None


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _client_error(label: str, resp: Response) -> SourceError:
    status = resp.status
    head = f"{label}: HTTP {status} {_reason(status)}".rstrip()
    if status in (401, 403):
        hint = "check the credentials (token, client id/secret, app password) in the source's config"
    elif status in (404, 410):
        hint = "check base_url and the ids/names in the source's config"
    else:
        hint = "the request was rejected"
    return SourceError(f"{head}: {hint}; server said: {resp.snippet(160)}", retryable=False)


def _clean_params(params: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            out.append((key, "true" if value else "false"))
        elif isinstance(value, list | tuple):
            out.extend((key, str(v)) for v in value)
        else:
            out.append((key, str(value)))
    return out


def _with_query(url: str, query: list[tuple[str, str]]) -> str:
    if not query:
        return url
    return url + ("&" if "?" in url else "?") + urlencode(query)


# --------------------------------------------------------------------------- source base


class HttpSourceConfig(SourceConfig):
    """Fields every HTTP collector shares; collectors add ``base_url`` and their own."""

    timeout: Duration = Field(default=timedelta(seconds=30), description="total time allowed for one HTTP request")
    max_retries: int = Field(
        default=3, ge=0, le=10, description="retries on timeouts, connection errors and 5xx before the poll fails"
    )
    backoff: Duration = Field(
        default=timedelta(seconds=1), description="first retry delay; doubles on each retry, with random jitter"
    )
    backoff_max: Duration = Field(default=timedelta(seconds=60), description="upper bound of one retry delay")
    max_wait: Duration = Field(
        default=timedelta(seconds=60),
        description="longest a poll waits for a rate limit or Retry-After; longer waits fail the poll with "
        "retry_after so the scheduler tries later",
    )
    requests_per_minute: float | None = Field(
        default=None,
        gt=0,
        description="this source's request budget on its channel; null = the channel's documented limit",
    )
    user_agent: str | None = Field(
        default=None,
        description="override the daemon's User-Agent for this source (some channels want their own format)",
    )


HC = TypeVar("HC", bound=HttpSourceConfig)


class HttpSource(Source[HC]):
    """Base for polled HTTP collectors: builds ``self.http`` from the config.

    Subclasses set ``requests_per_minute`` / ``burst`` to the channel's documented limit
    (the config may lower or raise it) and may override :meth:`channel_key` when one
    channel has separate budgets (Reddit logged out vs OAuth). ``ctx.extra["http_options"]``
    (a dict of :class:`HttpClient` keyword arguments such as ``sleep`` or ``rng``) lets
    tests and tools replace the waiting without touching the collectors.
    """

    requests_per_minute: ClassVar[float] = 60.0
    burst: ClassVar[int] = 1

    def __init__(self, config: HC, ctx: SourceContext) -> None:
        super().__init__(config, ctx)
        self.http = HttpClient.from_config(
            self.name, ctx, config, channel=self.channel_key(), requests_per_minute=self.default_rate(),
            burst=self.burst, **ctx.extra.get("http_options", {}),
        )

    def channel_key(self) -> str:
        return self.kind

    def default_rate(self) -> float:
        return self.requests_per_minute

    async def close(self) -> None:
        await self.http.close()
