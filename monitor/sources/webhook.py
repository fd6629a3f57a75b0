"""Push ingestion: other systems POST events (the event format) to the daemon's HTTP server.

For channels we have no collector for — a vendor firehose, an internal tool. A request
carries one JSON object, a JSON array of objects, or JSON lines. It must prove who sent
it with either ``Authorization: Bearer <token>`` or an HMAC-SHA256 signature over
``"<timestamp>.<body>"`` (hex, optionally prefixed ``sha256=``) in ``signature_header``,
with the unix time in ``timestamp_header``; a timestamp outside ``tolerance`` or a
signature already seen within it is refused, so a captured request cannot be replayed.

Each item is validated on its own: good ones are queued, bad ones are reported back in
the 202 answer (``{"accepted": n, "rejected": m, "errors": [{"index", "reason"}]}``)
and counted as skipped. An item without ``source`` gets this source's name. The queue
is bounded: when it is full the request is refused as a whole with 503 and
``Retry-After`` so the sender can retry. With a state directory (the daemon always
gives one, beside its store) accepted events are journalled and fsync'd before the 202
(:mod:`monitor.sources.spool`), so a crash after "accepted" loses nothing: the journal
past the stored cursor is processed on the next start.

A 202 is only given when the events will be processed: when the journal cannot be written
(disk full, read-only) or the pipeline behind the queue is failing (its last batch was not
processed, e.g. the store is down), pushes are refused with 503 and ``Retry-After`` and the
source reports the reason as unhealthy; a batch the pipeline did not finish goes back to the
front of the queue for the restarted stream, so nothing accepted waits on a dead consumer.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
from collections import Counter, deque
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, ClassVar

from aiohttp import web
from pydantic import Field, SecretStr, field_validator, model_validator

from monitor import safejson
from monitor.durations import Duration
from monitor.errors import EventFormatError
from monitor.models import Event, parse_event
from monitor.safejson import JsonLimitError, JsonLimits
from monitor.sources.base import Batch, Source, SourceConfig, SourceContext, register_source
from monitor.sources.spool import JournalError, Spool

log = logging.getLogger(__name__)

MIN_SECRET_LEN = 16
RESERVED_PATHS = ("/healthz", "/metrics", "/openapi.json", "/incidents", "/posts/", "/-/")  # the daemon's own API
MAX_REPORTED_ERRORS = 100


class WebhookConfig(SourceConfig):
    kind: str = "webhook"
    path: str = Field(default="/ingest", description="URL path on the daemon's HTTP server that accepts POSTs")
    token: SecretStr | None = Field(
        default=None, description="bearer token; senders send 'Authorization: Bearer <token>'"
    )
    hmac_secret: SecretStr | None = Field(
        default=None, description="shared secret for HMAC-SHA256 signatures over '<timestamp>.<body>'"
    )
    signature_header: str = Field(default="X-Monitor-Signature", description="header carrying the hex signature")
    timestamp_header: str = Field(default="X-Monitor-Timestamp", description="header carrying the unix time signed")
    tolerance: Duration = Field(
        default=timedelta(minutes=5), description="how far a signed timestamp may be from our clock"
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1, description="larger bodies are refused with 413")
    limits: JsonLimits = Field(default_factory=JsonLimits, description="depth, string and number limits per body")
    queue_size: int = Field(default=10_000, ge=1, description="events waiting for the pipeline before 503")
    batch_size: int = Field(default=256, ge=1, description="events handed to the pipeline at once")
    expected_update_period: Duration | None = Field(
        default=timedelta(hours=1), description="no pushes for this long is a blind spot"
    )

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not v.startswith("/"):
            raise ValueError(f"path must start with '/', got {v!r}")
        if any(v == r.rstrip("/") or v.startswith(r) for r in RESERVED_PATHS):
            raise ValueError(f"path {v!r} belongs to the daemon's own API; choose another, e.g. /ingest")
        return v

    @field_validator("token", "hmac_secret")
    @classmethod
    def _strong(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and len(v.get_secret_value()) < MIN_SECRET_LEN:
            raise ValueError(f"secret is too short; use at least {MIN_SECRET_LEN} random characters")
        return v

    @model_validator(mode="after")
    def _some_auth(self) -> WebhookConfig:
        if self.token is None and self.hmac_secret is None:
            raise ValueError(
                "webhook needs 'token' or 'hmac_secret' (an unauthenticated endpoint would accept events from anyone)"
            )
        return self


class Rejected(Exception):
    """A request refused as a whole: HTTP status, message, extra headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The signature a sender puts in ``signature_header`` (``sha256=<hex>``)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def split_items(body: bytes, limits: JsonLimits | None = None) -> list[tuple[int, Any] | tuple[int, EventFormatError]]:
    """Body -> ``(index, decoded item or error)``: one object, an array, or JSON lines.

    Raises :class:`Rejected` (400) when the body is not text or holds no items at all.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected(400, "body is not UTF-8 text") from None
    if not text.strip():
        raise Rejected(400, "body is empty; send an event object, an array of events, or JSON lines")
    try:
        whole = safejson.loads(text, limits)
    except JsonLimitError as exc:
        if len(text.strip().splitlines()) <= 1:
            raise Rejected(400, f"body refused: {exc}") from None
        whole, as_lines = None, True  # JSON lines: each line is judged on its own
    except ValueError:
        whole = None
        as_lines = True
    else:
        as_lines = False
    if not as_lines:
        if isinstance(whole, list):
            return list(enumerate(whole))
        if isinstance(whole, dict):
            return [(0, whole)]
        raise Rejected(400, f"body must be an event object, an array of events, or JSON lines, "
                            f"got a JSON {type(whole).__name__}")
    out: list[tuple[int, Any] | tuple[int, EventFormatError]] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append((len(out), safejson.loads(line, limits)))
        except json.JSONDecodeError as exc:
            out.append((len(out), EventFormatError(f"line {lineno}: not valid JSON ({exc.msg}, column {exc.colno})")))
        except ValueError as exc:  # a limit (depth, number, string length)
            out.append((len(out), EventFormatError(f"line {lineno}: {exc}")))
    return out


@register_source
class WebhookSource(Source[WebhookConfig]):
    """Push ingestion: POST events to the daemon, bearer token or HMAC signature, size-limited."""

    kind: ClassVar[str] = "webhook"
    streaming: ClassVar[bool] = True

    def __init__(self, config: WebhookConfig, ctx: SourceContext) -> None:
        super().__init__(config, ctx)
        self._pending: deque[tuple[Event, Any]] = deque()  # (event, its spool position or None)
        self._inflight: list[tuple[Event, Any]] = []  # handed to the pipeline, not yet processed
        self._inflight_skipped: Counter[str] = Counter()
        self._recovered = False
        self._attached = 0  # streams consuming the queue now
        self._ever_attached = False
        self._stalled: str | None = None  # the pipeline dropped a batch; cleared when one goes through
        self._successor: WebhookSource | None = None  # set when a reload replaced this source
        self._spool: Spool | None = None
        if ctx.state_dir is not None:
            self._spool = Spool(ctx.state_dir / "spool" / _safe(self.name))
        self._skipped: Counter[str] = Counter()
        self._wake = asyncio.Event()
        self._seen_sigs: set[str] = set()
        self._sig_order: deque[tuple[float, str]] = deque()  # (our time at receipt, signature)

    async def close(self) -> None:
        if self._spool is not None:
            self._spool.close()

    def routes(self) -> list[web.RouteDef]:
        return [web.post(self.cfg.path, self.handle)]

    async def stream(self, cursor: Any) -> AsyncIterator[Batch]:
        """Hand queued events over as they arrive; the cursor is the journal position processed.

        On the first start, events journalled but not yet processed (a crash) are handed over
        first. A batch counts as processed when the consumer asks for the next one; if it
        stops instead (the pipeline failed), the batch is handed over again by the next stream.
        """
        if self._spool is not None and not self._recovered:
            recovered = self._spool.recover(cursor)
            self._recovered = True
            if recovered:
                log.warning("webhook %s: %d accepted event(s) recovered from the journal", self.name,
                            len(recovered), extra={"source": self.name})
                self._pending.extend(recovered)
        self._requeue()
        self._attached += 1
        self._ever_attached = True
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                batch = Batch()
                while self._pending and len(batch.events) < self.cfg.batch_size:
                    item = self._pending.popleft()
                    self._inflight.append(item)
                    batch.events.append(item[0])
                    batch.cursor = item[1]
                batch.skipped, self._skipped = self._skipped, Counter()
                if self._pending:
                    self._wake.set()
                if batch.events or batch.skipped:
                    self._inflight_skipped = batch.skipped
                    self._stalled = "its last batch was not finished; it is handed over again on restart"
                    yield batch
                    # the consumer came back for more: that batch is processed
                    self._inflight, self._inflight_skipped = [], Counter()
                    self._stalled = None
        finally:
            self._attached -= 1

    def _requeue(self) -> None:
        """Put a batch the last consumer did not finish back at the front of the queue."""
        if self._inflight:
            self._pending.extendleft(reversed(self._inflight))
            self._inflight = []
        if self._inflight_skipped:
            self._skipped.update(self._inflight_skipped)
            self._inflight_skipped = Counter()
        if self._pending or self._skipped:
            self._wake.set()

    def intake_problem(self) -> str | None:
        """Why pushes are refused before journalling (503): no stream is draining the queue."""
        if self._ever_attached and self._attached == 0:
            why = self._stalled or "the ingestion task is not running"
            return f"events are not being processed ({why})"
        return None

    def health_problem(self) -> str | None:
        """For /healthz: a push source that refuses input is unhealthy, with the reason."""
        problem = self.intake_problem() or (self._spool.still_failing() if self._spool is not None else None)
        return f"refusing pushes with 503: {problem}" if problem else None

    def hand_over(self, successor: WebhookSource) -> None:
        """A reload replaced this source; its route (bound at start) forwards to the new one.

        What this one accepted and did not process is in the journal, which the successor
        reads on its first stream, so nothing is lost in the swap.
        """
        self._successor = successor
        if self._spool is not None:
            self._spool.close()

    async def handle(self, request: web.Request) -> web.Response:
        if self._successor is not None:
            return await self._successor.handle(request)
        try:
            body = await self._read_body(request)
            self._authenticate(request, body)
            items = split_items(body, self.cfg.limits)
        except Rejected as exc:
            log.warning("webhook %s refused a request: %s", self.name, exc, extra={"source": self.name})
            return web.json_response({"error": str(exc)}, status=exc.status, headers=exc.headers)
        events: list[Event] = []
        errors: list[dict[str, Any]] = []
        for index, item in items:
            try:
                if isinstance(item, EventFormatError):
                    raise item
                if isinstance(item, dict) and "source" not in item:
                    item = {**item, "source": self.name}
                events.append(parse_event(item))
            except EventFormatError as exc:
                errors.append({"index": index, "reason": str(exc)})
        problem = self.intake_problem()
        if problem is not None and events:
            log.warning("webhook %s refused %d event(s): %s", self.name, len(events), problem,
                        extra={"source": self.name})
            return web.json_response({"error": f"cannot accept events right now: {problem}; retry later"},
                                     status=503, headers={"Retry-After": "5"})
        free = self.cfg.queue_size - len(self._pending)
        if len(events) > free:
            return web.json_response(
                {"error": f"queue full ({len(self._pending)} events waiting); retry later"},
                status=503, headers={"Retry-After": "1"},
            )
        positions: list[Any] = [None] * len(events)
        if self._spool is not None and events:
            try:
                positions = list(self._spool.append(events))
            except JournalError as exc:
                log.error("webhook %s: cannot journal events: %s", self.name, exc, extra={"source": self.name})
                return web.json_response({"error": f"cannot store events right now: {exc}; retry later"},
                                         status=503, headers={"Retry-After": "5"})
        self._pending.extend(zip(events, positions, strict=True))
        for err in errors:
            self._skipped[f"rejected push item: {err['reason']}"] += 1
        if events or errors:
            self._wake.set()
        status = 422 if errors and not events else 202
        return web.json_response(
            {"accepted": len(events), "rejected": len(errors), "errors": errors[:MAX_REPORTED_ERRORS]},
            status=status,
        )

    async def _read_body(self, request: web.Request) -> bytes:
        limit = self.cfg.max_body_bytes
        too_big = Rejected(413, f"body is larger than the {limit}-byte limit; split it into smaller requests")
        if request.content_length is not None and request.content_length > limit:
            raise too_big
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = await request.content.read(65536)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise too_big
            chunks.append(chunk)
        return b"".join(chunks)

    def _authenticate(self, request: web.Request, body: bytes) -> None:
        cfg = self.cfg
        auth = request.headers.get("Authorization", "")
        if cfg.token is not None and auth:
            scheme, _, given = auth.partition(" ")
            expected = cfg.token.get_secret_value()
            given_bytes = given.strip().encode("utf-8", "surrogateescape")  # any header bytes, never a 500
            if scheme.lower() == "bearer" and hmac.compare_digest(given_bytes, expected.encode()):
                return
            if cfg.hmac_secret is None or cfg.signature_header not in request.headers:
                raise Rejected(401, "bad bearer token", {"WWW-Authenticate": "Bearer"})
        if cfg.hmac_secret is not None and cfg.signature_header in request.headers:
            self._check_signature(request, body, cfg.hmac_secret.get_secret_value())
            return
        wanted = " or ".join(
            w for w, on in (("'Authorization: Bearer <token>'", cfg.token is not None),
                            (f"a signed {cfg.signature_header} header", cfg.hmac_secret is not None)) if on
        )
        raise Rejected(401, f"missing credentials; send {wanted}", {"WWW-Authenticate": "Bearer"})

    def _check_signature(self, request: web.Request, body: bytes, secret: str) -> None:
        cfg = self.cfg
        raw_ts = request.headers.get(cfg.timestamp_header, "").strip()
        if not re.fullmatch(r"-?[0-9]{1,12}", raw_ts):  # 10**400 would overflow the clock arithmetic
            raise Rejected(401, f"signed requests need {cfg.timestamp_header}: <unix seconds>")
        ts = int(raw_ts)
        now = self.ctx.clock.now().timestamp()
        window = cfg.tolerance.total_seconds()
        if abs(now - ts) > window:
            raise Rejected(401, f"timestamp {ts} is more than {window:g} s from our clock (replayed or clock skew)")
        given = request.headers[cfg.signature_header].strip().lower()[:200]
        given = given.removeprefix("sha256=")
        expected = sign(secret, raw_ts, body).removeprefix("sha256=")
        if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode()):
            raise Rejected(401, "bad signature")
        # a timestamp accepted now stays acceptable for at most 2 x tolerance: remember that long
        while self._sig_order and now - self._sig_order[0][0] > 2 * window:
            self._seen_sigs.discard(self._sig_order.popleft()[1])
        if expected in self._seen_sigs:
            raise Rejected(401, "this signed request was already received (replay)")
        self._seen_sigs.add(expected)
        self._sig_order.append((now, expected))


def _safe(name: str) -> str:
    """A source name as a directory name."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "webhook"
