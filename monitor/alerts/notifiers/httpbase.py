"""What every HTTP notifier shares: one POST, and the mapping of failures to retry / don't.

Not a notifier itself. What is worth retrying and how ``Retry-After`` reads is the one
policy of :mod:`monitor.httpclient`, shared with the collectors: 5xx, 408, 425, 429,
timeouts and connection errors are retried (the outbox does it, honouring ``Retry-After``);
any other 4xx means the request or the configuration is wrong and retrying cannot help.
Error messages name the notifier and the host but never the full URL: webhook URLs carry their secret token in the path.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

import aiohttp
from pydantic import Field, field_validator

from monitor.alerts.notifiers.base import Notifier, NotifierConfig
from monitor.clock import Clock, SystemClock
from monitor.errors import NotifyError
from monitor.httpclient import TRANSPORT_ERRORS, SessionSlot, retry_after_header, retryable_status

USER_AGENT = "brand-monitor/0.1 (+notifier)"


def api_base(value: str, field: str = "api_url") -> str:
    """An API base URL that relative method paths are joined to: http(s) only, ending in ``/``."""
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"{field} must be an http:// or https:// URL")
    return value if value.endswith("/") else value + "/"


class HttpNotifierConfig(NotifierConfig):
    """Settings of a notifier that POSTs to one URL."""

    url: str = Field(description="endpoint to POST to; keep secrets out of the file: url: ${SLACK_WEBHOOK_URL}")

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        parts = urlsplit(v.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("url must be an http:// or https:// URL")
        return v.strip()


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    text: str
    headers: dict[str, str]

    def json(self) -> Any:
        try:
            return json.loads(self.text)
        except ValueError:
            return None


def dumps(payload: Any) -> bytes:
    """Compact UTF-8 JSON (Chinese stays readable; byte-stable for signatures)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


HN = TypeVar("HN", bound=HttpNotifierConfig)


class HttpNotifier(Notifier[HN]):
    """Base of the webhook-style notifiers: owns a session only when the context has none.

    ``wall_clock`` signs requests (Feishu, DingTalk) with real time even when the pipeline
    runs on a drill's virtual clock; tests replace it.
    """

    kind: ClassVar[str] = ""
    wall_clock: Clock = SystemClock()

    _slot: SessionSlot | None = None

    def _session(self) -> aiohttp.ClientSession:
        if self._slot is None:
            self._slot = SessionSlot(self.ctx.session, USER_AGENT)
        return self._slot.get()

    def retry_after(self, reply: Reply) -> float | None:
        """The reply's ``Retry-After`` in seconds from now (real time: the server's clock is real)."""
        return retry_after_header(reply.headers, self.wall_clock.now())

    @property
    def host(self) -> str:
        return urlsplit(self.config.url).netloc

    def error(self, message: str, *, retryable: bool, retry_after: float | None = None) -> NotifyError:
        return NotifyError(f"{self.kind} notifier '{self.name}': {message}", retryable=retryable,
                           retry_after=retry_after)

    async def post(self, body: bytes, headers: dict[str, str] | None = None, url: str | None = None) -> Reply:
        """POST ``body`` as JSON; transport failures become retryable NotifyErrors."""
        hdrs = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT, **(headers or {})}
        timeout = aiohttp.ClientTimeout(total=self.config.timeout.total_seconds())
        try:
            async with self._session().post(url or self.config.url, data=body, headers=hdrs, timeout=timeout,
                                            allow_redirects=False) as resp:
                text = await resp.text(errors="replace")
                return Reply(resp.status, text, dict(resp.headers))
        except TimeoutError:
            raise self.error(f"no answer from {self.host} within {self.config.timeout.total_seconds():g}s",
                             retryable=True) from None
        except aiohttp.InvalidURL:
            raise self.error("the configured url is not a valid URL", retryable=False) from None
        except TRANSPORT_ERRORS as exc:
            raise self.error(f"cannot reach {self.host}: {type(exc).__name__}: {exc}".replace(self.config.url, "<url>"),
                             retryable=True) from None

    def status_error(self, reply: Reply, hint: str = "") -> NotifyError:
        """The standard mapping of a non-2xx answer."""
        body = " ".join(reply.text.split())[:200]
        retry = retryable_status(reply.status)
        msg = f"HTTP {reply.status} from {self.host}" + (f": {body}" if body else "") + (f" ({hint})" if hint else "")
        return self.error(msg, retryable=retry, retry_after=self.retry_after(reply) if retry else None)

    def check_code(self, reply: Reply, retryable: set[int], hints: dict[int, str]) -> None:
        """Chinese chat bots answer 200 and put the outcome in ``code`` / ``errcode`` / ``StatusCode``."""
        if not 200 <= reply.status < 300:
            raise self.status_error(reply)
        data = reply.json()
        if not isinstance(data, dict):
            raise self.error(f"unexpected answer from {self.host}: {reply.text[:200]!r}", retryable=True)
        code = next((data[k] for k in ("code", "errcode", "StatusCode") if k in data), 0)
        if code in (0, "0", None):
            return
        msg = data.get("msg") or data.get("errmsg") or data.get("StatusMessage") or ""
        hint = hints.get(code, "")
        raise self.error(f"error {code} from {self.host}: {msg}" + (f" ({hint})" if hint else ""),
                         retryable=code in retryable)

    async def close(self) -> None:
        if self._slot is not None:
            await self._slot.close()
