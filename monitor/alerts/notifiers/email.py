"""``email``: SMTP via aiosmtplib, multipart/alternative (plain text + HTML).

One incident stays one thread in mail clients: the ``opened`` mail's Message-ID is the
incident's thread id (``<incident.ID.INSTANCE@domain>``) and every later mail of the
incident points at it with In-Reply-To and References. Message-IDs derive from the
notification id and this install's (or drill run's) random instance id, so a delivery
retried after a timeout or a crash carries the same Message-ID and mail clients and
archives drop the copy, while another install or another drill that reuses the same
incident ids never collides with it.

Every header value built from alert data (subject, incident id, the acknowledger's name
inside the subject) is cleaned at this boundary: line breaks, other control characters
and invisible bidi/zero-width characters become spaces, so a value such as
``"dana\r\nBcc: x"`` can neither inject a header nor make the message unbuildable.

SMTP 4xx answers (greylisting, mailbox busy), timeouts and refused connections are
retryable; 5xx answers (unknown user, relay denied, bad credentials) and a server
without STARTTLS or AUTH are not.
"""

from __future__ import annotations

import logging
import re
import ssl
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, parseaddr
from typing import ClassVar, Literal

import aiosmtplib
from pydantic import Field, SecretStr, field_validator, model_validator

from monitor.alerts.notifiers.base import Notifier, NotifierConfig, register_notifier
from monitor.alerts.render import EXAMPLES, build_view, render_text, truncate
from monitor.alerts.render_html import render_html
from monitor.clock import Clock, SystemClock
from monitor.durations import Duration
from monitor.errors import NotifyError
from monitor.models import Alert
from monitor.names import LEVELS

log = logging.getLogger(__name__)
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


def _address(value: str) -> str:
    if any(c in value for c in "\r\n\x00"):
        raise ValueError(f"not an e-mail address: {value!r} (no line breaks allowed)")
    addr = parseaddr(value)[1]
    if "@" not in addr or addr.startswith("@") or addr.endswith("@") or " " in addr:
        raise ValueError(f"not an e-mail address: {value!r} (write e.g. 'PR Team <pr@acme.example>')")
    return value


class EmailConfig(NotifierConfig):
    """Send alerts by e-mail through an SMTP server."""

    kind: Literal["email"] = "email"
    host: str = Field(default="localhost", description="SMTP server")
    port: int | None = Field(default=None, ge=1, le=65535,
                             description="SMTP port (default: 587 for starttls, 465 for ssl, 25 for none)")
    security: Literal["starttls", "ssl", "none"] = Field(
        default="starttls", description="starttls (upgrade, required), ssl (implicit TLS) or none (plain)")
    username: str | None = Field(default=None, description="SMTP AUTH user (with password)")
    password: SecretStr | None = Field(default=None, description="SMTP AUTH password: password: ${SMTP_PASSWORD}")
    validate_certs: bool = Field(default=True, description="verify the server's TLS certificate")
    ca_file: str | None = Field(default=None, description="CA bundle (PEM) for a private mail server's certificate")
    sender: str = Field(description="From address, e.g. 'Brand Monitor <monitor@acme.example>'")
    to: list[str] = Field(min_length=1, description="To addresses")
    cc: list[str] = Field(default_factory=list, description="Cc addresses")
    bcc: list[str] = Field(default_factory=list, description="Bcc addresses (not shown in the headers)")
    reply_to: str | None = Field(default=None, description="Reply-To address (e.g. the crisis group's list)")
    subject_prefix: str = Field(default="", description="text put before every subject, e.g. '[Brand Monitor] '")
    message_id_domain: str | None = Field(default=None, description="domain of Message-IDs (default: the sender's)")
    max_examples: int = Field(default=EXAMPLES, ge=0, le=10, description="example posts shown per alert")
    action_url: str = Field(default="", description="the daemon's public base URL: adds signed action links")
    action_secret: SecretStr | None = Field(default=None, description="HMAC key of action links; ${MAIL_LINK_KEY}")
    action_ttl: Duration = Field(default=timedelta(hours=24), description="how long an action link works")

    @field_validator("sender", "reply_to")
    @classmethod
    def _one(cls, v: str | None) -> str | None:
        return None if v is None else _address(v)

    @field_validator("to", "cc", "bcc")
    @classmethod
    def _many(cls, v: list[str]) -> list[str]:
        return [_address(a) for a in v]

    @model_validator(mode="after")
    def _auth_pair(self) -> EmailConfig:
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together: set both or neither")
        return self


_ATEXT = re.compile(r"[^A-Za-z0-9\-_+~!$%*^{}]")


def id_part(text: str) -> str:
    """Any id -> a safe, injective Message-ID local part (other bytes as ``=XX``)."""
    return _ATEXT.sub(lambda m: "".join(f"={b:02X}" for b in m.group(0).encode("utf-8")), text)


def _instance(instance: str) -> str:
    return f".{id_part(instance)}" if instance else ""


def thread_id(incident_id: str, domain: str, instance: str = "") -> str:
    return f"<incident.{id_part(incident_id)}{_instance(instance)}@{domain}>"


def message_id(alert: Alert, domain: str, instance: str = "") -> str:
    """Stable per notification (retries and restarts), unique per install or drill run."""
    if alert.transition == "opened":
        return thread_id(alert.incident_id, domain, instance)
    return f"<notification.{id_part(alert.id)}{_instance(instance)}@{domain}>"


# line breaks and other controls (Cc), invisible format characters (Cf: bidi, zero-width),
# line/paragraph separators (Zl, Zp)
_UNSAFE_HEADER = re.compile(r"[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]+")


def header_text(value: str) -> str:
    """A header value that cannot break or inject headers: controls and invisibles become a space."""
    return " ".join(_UNSAFE_HEADER.sub(" ", value).split())


def _domain(config: EmailConfig) -> str:
    if config.message_id_domain:
        return config.message_id_domain
    addr = parseaddr(config.sender)[1]
    domain = addr.rpartition("@")[2].strip("[]")
    return domain if re.fullmatch(r"[A-Za-z0-9.-]+", domain or "") else "brand-monitor.invalid"


def build_message(alert: Alert, config: EmailConfig, now_header: str, instance: str = "",
                  links_at: datetime | None = None) -> EmailMessage:
    """The complete MIME message (``now_header`` is the Date header: the real send time)."""
    view = build_view(alert, max_examples=config.max_examples)
    domain = _domain(config)
    msg = EmailMessage()
    msg["Subject"] = truncate(header_text(config.subject_prefix + view.headline), 250)
    msg["From"] = config.sender
    msg["To"] = ", ".join(config.to)
    if config.cc:
        msg["Cc"] = ", ".join(config.cc)
    if config.reply_to:
        msg["Reply-To"] = config.reply_to
    msg["Date"] = now_header
    msg["Message-ID"] = message_id(alert, domain, instance)
    if alert.transition != "opened":
        msg["In-Reply-To"] = thread_id(alert.incident_id, domain, instance)
        msg["References"] = thread_id(alert.incident_id, domain, instance)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to the alert sender
    msg["X-Brand-Monitor-Incident"] = header_text(alert.incident_id)
    msg["X-Brand-Monitor-Level"] = header_text(alert.level)
    msg["X-Brand-Monitor-Transition"] = header_text(alert.transition)
    text, page = render_text(view), render_html(view)
    actionable = alert.level in LEVELS and alert.transition != "resolved"
    if links_at is not None and config.action_url and config.action_secret and actionable:
        from monitor.interact.email_links import links_for

        links = links_for(config.action_url, config.action_secret.get_secret_value(), alert.incident_id,
                          links_at + config.action_ttl)
        text += "\n\nAct on this incident (each link works once, for a limited time):\n" + "".join(
            f"  {label}: {url}\n" for label, url in links)
        block = "".join(f'<a href="{url}" style="margin-right:1em">{label}</a>' for label, url in links)
        marker = "</body>"
        page = page.replace(marker, f"<p>{block}</p>{marker}", 1) if marker in page else page + f"<p>{block}</p>"
    msg.set_content(text)
    msg.add_alternative(page, subtype="html")
    return msg


def _smtp_error(name: str, exc: Exception) -> NotifyError:
    prefix = f"email notifier '{name}': "
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
        return NotifyError(prefix + f"every recipient was refused: {detail}",
                           retryable=all(400 <= c < 500 for c in codes))
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return NotifyError(prefix + f"SMTP {exc.code}: {exc.message}", retryable=400 <= exc.code < 500)
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        return NotifyError(prefix + f"{exc} (check security/username settings against the server)", retryable=False)
    if isinstance(exc, ssl.SSLCertVerificationError) or isinstance(exc.__cause__, ssl.SSLCertVerificationError):
        return NotifyError(prefix + f"TLS certificate not trusted: {exc} (set ca_file, or validate_certs: false "
                                    "for a test server)", retryable=False)
    return NotifyError(prefix + f"{type(exc).__name__}: {exc}", retryable=True)


@register_notifier
class EmailNotifier(Notifier[EmailConfig]):
    """E-mail through SMTP: text + HTML, one thread per incident."""

    kind: ClassVar[str] = "email"
    wall_clock: Clock = SystemClock()  # action links expire in real time, even in a drill

    async def send(self, alert: Alert) -> None:
        cfg = self.config
        # the Date header is the real send time (a drill's clock is virtual)
        msg = build_message(alert, cfg, format_datetime(self.ctx.wall_clock.now()), self.ctx.instance,
                            links_at=self.wall_clock.now())
        recipients = [addr for _, addr in getaddresses([*cfg.to, *cfg.cc, *cfg.bcc])]
        try:
            refused, _ = await aiosmtplib.send(
                msg, sender=parseaddr(cfg.sender)[1], recipients=recipients, hostname=cfg.host,
                port=cfg.port or DEFAULT_PORTS[cfg.security], use_tls=cfg.security == "ssl",
                start_tls=cfg.security == "starttls", validate_certs=cfg.validate_certs, cert_bundle=cfg.ca_file,
                username=cfg.username, password=cfg.password.get_secret_value() if cfg.password else None,
                timeout=cfg.timeout.total_seconds())
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise _smtp_error(self.name, exc) from None
        if refused:  # delivered to the others: retrying would duplicate their copy
            log.warning("email notifier %s: %d recipient(s) refused %s: %s", self.name, len(refused), alert.id,
                        "; ".join(f"{k}: {v.code} {v.message}" for k, v in refused.items()))
