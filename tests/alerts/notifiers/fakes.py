"""Real local receivers for notifier tests (and the end-to-end test): an aiohttp server that
records every request as received, an aiosmtpd SMTP server that keeps every message, and
checks of what a Slack message / an alert e-mail must look like when it arrives.

Import from here (``from tests.alerts.notifiers.fakes import HookServer, SmtpServer, ...``) rather
than re-implementing receivers: every payload is checked as the channel would see it.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import ssl
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from aiohttp import web
from aiosmtpd.controller import Controller

TAGS = {"blue": "BLUE", "yellow": "YELLOW", "red": "RED"}
SPECIAL = {"resolved": "ALL CLEAR", "blind_spot": "BLIND SPOT", "recovered": "RECOVERED"}


def expected_tag(level: str, transition: str) -> str:
    return SPECIAL.get(transition) or TAGS.get(level, level.upper())


# --------------------------------------------------------------------------- HTTP


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Scripted:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class LocalServer:
    """An aiohttp app on 127.0.0.1 at a free port, as an async context manager: the base of every fake."""

    _runner: web.AppRunner | None = None
    port: int = 0

    def add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        app = web.Application()
        self.add_routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


class HookServer(LocalServer):
    """Records requests on 127.0.0.1; answers with scripted replies (then the default)."""

    def __init__(self, default: Scripted | None = None) -> None:
        self.requests: list[Received] = []
        self.replies: deque[Scripted] = deque()
        self.default = default or Scripted()

    def reply(self, status: int = 200, body: str | dict[str, Any] = "ok", headers: dict[str, str] | None = None,
              delay: float = 0.0) -> None:
        text = json.dumps(body) if isinstance(body, dict) else body
        self.replies.append(Scripted(status, text, dict(headers or {}), delay))

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.requests.append(Received(request.method, request.path, dict(parse_qsl(request.query_string)),
                                      dict(request.headers), raw))
        r = self.replies.popleft() if self.replies else self.default
        if r.delay:
            await asyncio.sleep(r.delay)
        return web.Response(status=r.status, text=r.body, headers=r.headers)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{tail:.*}", self._handle)


# --------------------------------------------------------------------------- SMTP


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Recorder:
    """aiosmtpd handler: keeps accepted messages; ``rcpt_reply`` / ``data_reply`` script refusals."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.rcpt_reply: str | Callable[[str], str | None] | None = None
        self.data_reply: str | None = None

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        reply = self.rcpt_reply(address) if callable(self.rcpt_reply) else self.rcpt_reply
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply:
            return self.data_reply
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server (aiosmtpd, own thread) on 127.0.0.1; ``with SmtpServer() as smtp:``."""

    def __init__(self, **controller_kwargs: Any) -> None:
        self.handler = Recorder()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **controller_kwargs)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(e.original_content or e.content, policy=email.policy.default)  # type: ignore[misc]
                for e in self.handler.envelopes]

    def envelope_recipients(self) -> list[list[str]]:
        return [list(e.rcpt_tos) for e in self.handler.envelopes]


def self_signed_tls(tmp_dir: Any, host: str = "127.0.0.1") -> tuple[ssl.SSLContext, str]:
    """A server TLS context and the PEM path a client must trust (needs ``cryptography``)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "brand-monitor test smtp")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_dir / "smtp-cert.pem", tmp_dir / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert_path), str(key_path))
    return ctx, str(cert_path)


# --------------------------------------------------------------------------- payload checks


def _prefix(level: str, transition: str, brand_name: str) -> str:
    """Source-level alerts (blind spot, recovered) carry no brand in their headline."""
    tag = expected_tag(level, transition)
    return f"[{tag}] " if transition in ("blind_spot", "recovered") else f"[{tag}] {brand_name}"


def assert_slack_message(body: dict[str, Any], *, level: str, transition: str, brand_name: str) -> None:
    """A Slack webhook body as received: Block Kit within limits, headed by the right alert."""
    tag = expected_tag(level, transition)
    blocks = body["blocks"]
    assert 2 <= len(blocks) <= 50, len(blocks)
    header = blocks[0]
    assert header["type"] == "header" and header["text"]["type"] == "plain_text"
    assert len(header["text"]["text"]) <= 150
    assert header["text"]["text"].startswith(_prefix(level, transition, brand_name)), header["text"]["text"]
    assert body["text"].startswith(f"[{tag}] "), body["text"]
    fields = {f["text"].split("\n", 1)[0]: f["text"].split("\n", 1)[1] for f in blocks[1]["fields"]}
    assert fields["*Level*"] == tag and fields["*Transition*"] == transition
    for block in blocks:
        assert len(block.get("elements", [])) <= 10 and len(block.get("fields", [])) <= 10
        texts = [block["text"]] if isinstance(block.get("text"), dict) else []
        texts += block.get("fields", []) + block.get("elements", [])
        for t in texts:
            assert 0 < len(t["text"]) <= 3000
            if t["type"] == "mrkdwn":
                assert "<!" not in t["text"] and "<@" not in t["text"], t["text"]
    assert blocks[-1]["type"] == "context" and "Brand Monitor" in blocks[-1]["elements"][0]["text"]


def assert_alert_email(msg: EmailMessage, *, level: str, transition: str, brand_name: str,
                       incident_id: str | None = None) -> None:
    """An alert e-mail as received: text + HTML alternatives, subject, incident threading."""
    tag = expected_tag(level, transition)
    assert msg.get_content_type() == "multipart/alternative"
    parts = {p.get_content_type(): p.get_content() for p in msg.iter_parts()}
    assert set(parts) == {"text/plain", "text/html"}
    assert str(msg["Subject"]).startswith(_prefix(level, transition, brand_name)), msg["Subject"]
    assert parts["text/plain"].startswith(f"[{tag}] ")
    assert "<script" not in parts["text/html"].lower()
    assert msg["X-Brand-Monitor-Transition"] == transition and msg["X-Brand-Monitor-Level"] == level
    mid = msg["Message-ID"]
    if incident_id is not None:
        assert msg["X-Brand-Monitor-Incident"] == incident_id
        if transition == "opened":
            assert mid.startswith("<incident.") and msg["In-Reply-To"] is None
        else:
            assert msg["In-Reply-To"] == msg["References"] and msg["In-Reply-To"].startswith("<incident.")


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))
