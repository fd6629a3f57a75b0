"""The polite HTTP layer every collector uses.

Why one layer: channels ban impolite clients and each one fails in its own way (HTML
error pages, 429 storms, changed JSON shapes). Politeness and failure translation live
here, so a collector is a page of request-and-map code and every collector behaves alike:

- one shared ``aiohttp.ClientSession`` (``ctx.session``), a descriptive User-Agent, a
  total timeout per request;
- per-channel rate limits (:class:`RateLimiter`, a token bucket timed on the passed-in
  clock and shared by every source of that channel on the same session), which also obey
  the server's ``X-RateLimit-Remaining`` / ``X-RateLimit-Reset`` headers;
- ``429`` with ``Retry-After`` (seconds or an HTTP date) honoured; exponential backoff
  with jitter on ``5xx``, timeouts and connection errors, bounded, then :class:`SourceError`;
- conditional GET (:class:`Validators`: ETag / Last-Modified -> ``304`` = not modified);
- JSON decoding that turns an HTML error page into a clear error naming URL and content
  type, and :func:`require` / :func:`shape_error` for "response shape changed" errors
  that name the field.

Typical collector::

    class FooConfig(HttpSourceConfig):
        kind: str = "foo"
        base_url: str = Field(default="https://api.foo.example", description="API root")

    @register_source
    class FooSource(HttpSource[FooConfig]):  # the type argument is the config model: self.cfg is a FooConfig
        \"\"\"Foo posts.\"\"\"
        kind = "foo"
        requests_per_minute = 30.0

        async def poll(self, cursor):
            resp = await self.http.get(f"{self.cfg.base_url}/search", params={"q": "acme"})
            hits = require(resp.json(), "data.hits", list, source=self.name)
            ...
"""

from monitor.sources.http.client import HttpClient, HttpSource, HttpSourceConfig
from monitor.sources.http.limits import (
    RateLimiter,
    RetryPolicy,
    parse_rate_reset,
    parse_retry_after,
    shared_limiter,
)
from monitor.sources.http.response import Response, Validators
from monitor.sources.http.shapes import redact_url, require, shape_error, type_name

__all__ = [
    "HttpClient",
    "HttpSource",
    "HttpSourceConfig",
    "RateLimiter",
    "Response",
    "RetryPolicy",
    "Validators",
    "parse_rate_reset",
    "parse_retry_after",
    "redact_url",
    "require",
    "shape_error",
    "shared_limiter",
    "type_name",
]
