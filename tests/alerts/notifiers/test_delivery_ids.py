"""What makes a retried or crash-repeated delivery recognisable as the same one, and what keeps
alert data from breaking the message that carries it (headers)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest
from pydantic import ValidationError

from monitor.alerts.notifiers.email import EmailConfig, build_message, header_text, message_id, thread_id
from monitor.alerts.notifiers.webhook import delivery_key

from .fakes import HookServer, SmtpServer

BASE = {"sender": "Brand Monitor <monitor@acme.example>", "to": ["PR Team <pr@acme.example>"], "security": "none"}


def cfg(**extra: Any) -> EmailConfig:
    return EmailConfig.model_validate({"kind": "email", **BASE, **extra})


@pytest.mark.parametrize("evil", ["dana\r\nBcc: attacker@evil.example", "dana\nX-Injected: 1", "dana\rX: y",
                                  "dana\x00\x0b\x0c\x85\u2028\u2029 x", "\u202edana\u200b"])
async def test_line_breaks_in_alert_data_never_break_or_inject_headers(make_notifier: Any, make_alert: Any,
                                                                       evil: str) -> None:
    alert = make_alert("red", "acknowledged", acked_by=evil, incident_id="INC-1\r\nX-Evil: 1", id="INC-1#2")
    msg = build_message(alert, cfg(), "Sun, 01 Mar 2026 08:00:30 +0000", "i1")
    for name, value in msg.items():
        assert not any(c in str(value) for c in "\r\n\x00\u2028\u2029\u202e\u200b"), (name, value)
    assert msg["Bcc"] is None and msg["X-Injected"] is None and msg["X-Evil"] is None
    with SmtpServer() as smtp:  # and the message really goes out, to the configured recipients only
        await make_notifier("email", **BASE, host="127.0.0.1", port=smtp.port).send(alert)
    [received] = smtp.messages()
    assert smtp.envelope_recipients() == [["pr@acme.example"]]
    assert received["Bcc"] is None and received["X-Injected"] is None
    assert "acknowledged by dana" in received["Subject"]


def test_header_text() -> None:
    assert header_text("a\r\nb\tc  d\u200b\u202ee") == "a b c d e"
    assert header_text("艾克美 — ok") == "艾克美 — ok"


@pytest.mark.parametrize("field", ["sender", "reply_to"])
def test_configured_addresses_with_line_breaks_are_refused(field: str) -> None:
    with pytest.raises(ValidationError, match="no line breaks"):
        cfg(**{field: "pr@acme.example\r\nBcc: x@evil.example"})
    with pytest.raises(ValidationError, match="no line breaks"):
        cfg(to=["pr@acme.example\nBcc: x@evil.example"])


def test_message_ids_are_stable_per_notification_and_unique_per_install(make_alert: Any) -> None:
    opened, later = make_alert(transition="opened", seq=1), make_alert(transition="repeated", seq=2)
    assert message_id(later, "x.example", "a1") == message_id(later, "x.example", "a1")  # retries and restarts
    assert message_id(later, "x.example", "a1") != message_id(later, "x.example", "b2")  # another drill / install
    assert message_id(later, "x.example", "a1") == "<notification.INC-acme-20260301-1=232.a1@x.example>"
    assert message_id(opened, "x.example", "a1") == thread_id(opened.incident_id, "x.example", "a1") \
        == "<incident.INC-acme-20260301-1.a1@x.example>"
    # the separator cannot be forged by an id: '.' inside ids is escaped
    assert thread_id("a.b", "x", "c") != thread_id("a", "x", "b.c")


async def test_the_instance_reaches_the_message_and_its_thread_headers(make_notifier: Any, make_alert: Any) -> None:
    with SmtpServer() as smtp:
        mail = make_notifier("email", **BASE, host="127.0.0.1", port=smtp.port, instance="abc123")
        await mail.send(make_alert(transition="opened", seq=1))
        await mail.send(make_alert(transition="escalated", seq=2))
    first, second = smtp.messages()
    assert first["Message-ID"] == "<incident.INC-acme-20260301-1.abc123@acme.example>"
    assert second["In-Reply-To"] == second["References"] == first["Message-ID"]
    assert second["Message-ID"] == "<notification.INC-acme-20260301-1=232.abc123@acme.example>"
    assert isinstance(first, EmailMessage)


async def test_webhook_carries_a_delivery_key_to_dedupe_on(make_notifier: Any, make_alert: Any) -> None:
    async with HookServer() as hook:
        hooked = make_notifier("webhook", url=hook.url("/in"), instance="abc123")
        alert = make_alert("red", "escalated")
        await hooked.send(alert)
        await hooked.send(alert)  # a retry
        await make_notifier("webhook", url=hook.url("/in"), instance="ffff00").send(alert)  # another drill
    keys = [r.headers["X-Brand-Monitor-Delivery"] for r in hook.requests]
    assert keys == ["abc123.INC-acme-20260301-1#3"] * 2 + ["ffff00.INC-acme-20260301-1#3"]
    assert [r.headers["X-Brand-Monitor-Id"] for r in hook.requests] == ["INC-acme-20260301-1#3"] * 3


def test_delivery_keys_are_header_safe(make_alert: Any) -> None:
    key = delivery_key(make_alert(id="艾克美\r\n#1"), "i")
    assert key.isascii() and "\r" not in key and "\n" not in key and key.startswith("i.")
