"""E-mail: messages as a real SMTP server (aiosmtpd on 127.0.0.1) receives them — MIME parts,
subject, incident threading, escaping — plus TLS, AUTH and the SMTP error mapping."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from pydantic import ValidationError

from monitor.alerts.notifiers.email import EmailConfig, id_part, message_id, thread_id
from monitor.errors import NotifyError

from ..conftest import EXAMPLES, red_evidence
from .fakes import SmtpServer, assert_alert_email, free_port, self_signed_tls

BASE = {"sender": "Brand Monitor <monitor@acme.example>", "to": ["PR Team <pr@acme.example>"], "security": "none"}


def smtp_cfg(server: SmtpServer, **extra: Any) -> dict[str, Any]:
    return {**BASE, "host": "127.0.0.1", "port": server.port, **extra}


async def test_multipart_message_as_received(make_notifier: Any, make_alert: Any) -> None:
    with SmtpServer() as smtp:
        mail = make_notifier("email", **smtp_cfg(smtp, cc=["legal@acme.example"], bcc=["ceo-office@acme.example"],
                                                 reply_to="crisis@acme.example", subject_prefix="[BM] "))
        await mail.send(make_alert("red", "escalated"))
    [msg] = smtp.messages()
    assert smtp.envelope_recipients() == [["pr@acme.example", "legal@acme.example", "ceo-office@acme.example"]]
    assert smtp.handler.envelopes[0].mail_from == "monitor@acme.example"
    assert msg["Subject"] == ("[BM] [RED] Acme — incident INC-acme-20260301-1 escalated: brand is trending on "
                              "weibo_hot (#3)")
    assert (msg["From"], msg["To"], msg["Cc"], msg["Reply-To"]) == (
        "Brand Monitor <monitor@acme.example>", "PR Team <pr@acme.example>", "legal@acme.example",
        "crisis@acme.example")
    assert msg["Bcc"] is None
    assert msg["Date"] == "Sun, 01 Mar 2026 08:00:30 +0000"  # from the notifier's clock
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg.get_content_type() == "multipart/alternative"
    text, html = (p.get_content() for p in msg.iter_parts())
    assert text.startswith("[RED] Acme — incident INC-acme-20260301-1 escalated: brand is trending on weibo_hot (#3)")
    assert "- Executives: Decide the response line" in text and "ACME 电池 起火了" in text
    assert html.startswith("<!DOCTYPE html>") and "Playbook: Red — executives decide" in html
    assert "<a href=\"https://weibo.com/123/w1\">weibo</a>" in html


async def test_one_incident_is_one_thread(make_notifier: Any, make_alert: Any) -> None:
    with SmtpServer() as smtp:
        mail = make_notifier("email", **smtp_cfg(smtp))
        await mail.send(make_alert("yellow", "opened", seq=1))
        await mail.send(make_alert("red", "escalated", seq=2))
        await mail.send(make_alert("red", "resolved", seq=3, reason="all clear"))
    opened, escalated, resolved = smtp.messages()
    root = "<incident.INC-acme-20260301-1@acme.example>"
    assert opened["Message-ID"] == root and opened["In-Reply-To"] is None and opened["References"] is None
    assert escalated["Message-ID"] == "<notification.INC-acme-20260301-1=232@acme.example>"
    assert resolved["Message-ID"] == "<notification.INC-acme-20260301-1=233@acme.example>"
    for follow in (escalated, resolved):
        assert follow["In-Reply-To"] == root and follow["References"] == root
    assert_alert_email(opened, level="yellow", transition="opened", brand_name="Acme",
                       incident_id="INC-acme-20260301-1")
    assert_alert_email(escalated, level="red", transition="escalated", brand_name="Acme",
                       incident_id="INC-acme-20260301-1")
    assert_alert_email(resolved, level="red", transition="resolved", brand_name="Acme",
                       incident_id="INC-acme-20260301-1")


def test_message_ids_are_stable_injective_and_valid(make_alert: Any) -> None:
    assert id_part("INC-1#2") == "INC-1=232" and id_part("a.b") == "a=2Eb" and id_part("a=2Eb") == "a=3D2Eb"
    assert id_part("品牌") == "=E5=93=81=E7=89=8C"
    alert = make_alert(seq=7)
    assert message_id(alert, "x.example") == message_id(alert, "x.example")  # a retry keeps its id
    assert thread_id("acme/quality 1", "x.example") == "<incident.acme=2Fquality=201@x.example>"


async def test_html_part_escapes_posts_and_text_part_is_clean(make_notifier: Any, make_alert: Any) -> None:
    evil = dataclasses.replace(EXAMPLES[0], text="<script>alert('x')</script> \x1b[2J", author="<b>boss</b>")
    with SmtpServer() as smtp:
        await make_notifier("email", **smtp_cfg(smtp)).send(make_alert(evidence=red_evidence(examples=(evil,))))
    [msg] = smtp.messages()
    text, html = (p.get_content() for p in msg.iter_parts())
    assert "<script" not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<b>boss</b>" not in html and "&lt;b&gt;boss&lt;/b&gt;" in html
    assert "\x1b" not in text and "<script>alert('x')</script>" in text  # plain text shows it as text


async def test_chinese_brand_names_survive_header_encoding(make_notifier: Any, make_alert: Any) -> None:
    with SmtpServer() as smtp:
        await make_notifier("email", **smtp_cfg(smtp)).send(make_alert(brand_name="艾克美", reason="“电池” 上热搜"))
    [msg] = smtp.messages()
    assert msg["Subject"] == "[RED] 艾克美 — incident INC-acme-20260301-1 escalated: “电池” 上热搜"


async def test_starttls_with_a_trusted_certificate(tmp_path: Path, make_notifier: Any, make_alert: Any) -> None:
    tls, cert = self_signed_tls(tmp_path)
    with SmtpServer(tls_context=tls, require_starttls=True) as smtp:
        await make_notifier("email", **smtp_cfg(smtp, security="starttls", ca_file=cert)).send(make_alert())
        assert len(smtp.messages()) == 1
        with pytest.raises(NotifyError) as exc:  # same server, certificate not trusted
            await make_notifier("email", **smtp_cfg(smtp, security="starttls")).send(make_alert())
    assert not exc.value.retryable and "certificate" in str(exc.value).lower()


async def test_plain_connection_to_a_server_that_requires_starttls_is_refused(make_notifier: Any, tmp_path: Path,
                                                                               make_alert: Any) -> None:
    tls, _ = self_signed_tls(tmp_path)
    with SmtpServer(tls_context=tls, require_starttls=True) as smtp, pytest.raises(NotifyError) as exc:
        await make_notifier("email", **smtp_cfg(smtp)).send(make_alert())
    assert not exc.value.retryable and "530" in str(exc.value)


def _auth(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"monitor", b"pw")
    return AuthResult(success=ok, handled=False)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_smtp_auth_and_bad_credentials(make_notifier: Any, make_alert: Any) -> None:
    with SmtpServer(authenticator=_auth, auth_require_tls=False, auth_required=True) as smtp:
        await make_notifier("email", **smtp_cfg(smtp, username="monitor", password="pw")).send(make_alert())
        assert len(smtp.messages()) == 1
        with pytest.raises(NotifyError) as exc:
            await make_notifier("email", **smtp_cfg(smtp, username="monitor", password="wrong")).send(make_alert())
    assert not exc.value.retryable and "SMTP 535" in str(exc.value)


@pytest.mark.parametrize(("where", "reply", "retryable"), [
    ("rcpt", "450 4.2.1 Mailbox busy, try later", True),
    ("rcpt", "550 5.1.1 No such user", False),
    ("data", "451 4.3.0 Greylisted, come back later", True),
    ("data", "554 5.7.1 Message rejected as spam", False),
])
async def test_smtp_answers_map_to_retry_or_not(where: str, reply: str, retryable: bool, make_notifier: Any,
                                                make_alert: Any) -> None:
    with SmtpServer() as smtp:
        setattr(smtp.handler, f"{where}_reply", reply)
        with pytest.raises(NotifyError) as exc:
            await make_notifier("email", name="pr-mail", **smtp_cfg(smtp)).send(make_alert())
    assert exc.value.retryable is retryable
    assert str(exc.value).startswith("email notifier 'pr-mail': ")
    assert reply.split(" ", 1)[1].split(",")[0] in str(exc.value)


async def test_one_refused_recipient_does_not_fail_the_others(make_notifier: Any, make_alert: Any,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    with SmtpServer() as smtp:
        smtp.handler.rcpt_reply = lambda addr: "550 5.1.1 No such user" if addr.startswith("gone") else None
        await make_notifier("email", **smtp_cfg(smtp, cc=["gone@acme.example"])).send(make_alert())
    assert smtp.envelope_recipients() == [["pr@acme.example"]]
    assert "1 recipient(s) refused" in caplog.text and "gone@acme.example" in caplog.text


async def test_connection_refused_is_retryable(make_notifier: Any, make_alert: Any) -> None:
    with pytest.raises(NotifyError) as exc:
        await make_notifier("email", **{**BASE, "host": "127.0.0.1", "port": free_port()}).send(make_alert())
    assert exc.value.retryable


def test_config_errors_say_what_to_write() -> None:
    with pytest.raises(ValidationError, match="not an e-mail address: 'pr-team'"):
        EmailConfig.model_validate({**BASE, "kind": "email", "to": ["pr-team"]})
    with pytest.raises(ValidationError, match="username and password go together"):
        EmailConfig.model_validate({**BASE, "kind": "email", "username": "u"})
    with pytest.raises(ValidationError, match="at least 1 item"):
        EmailConfig.model_validate({**BASE, "kind": "email", "to": []})
    cfg = EmailConfig.model_validate({**BASE, "kind": "email", "password": "hunter2", "username": "u"})
    assert "hunter2" not in repr(cfg) and "hunter2" not in str(cfg.model_dump())


async def test_blind_spot_and_recovery_share_a_thread(make_notifier: Any, blind_spot_alert: Any) -> None:
    back = dataclasses.replace(blind_spot_alert, id="source-weibo_hot-20260301-080000#2", transition="recovered",
                               reason="weibo_hot is producing again after 50m")
    with SmtpServer() as smtp:
        mail = make_notifier("email", **smtp_cfg(smtp))
        await mail.send(blind_spot_alert)
        await mail.send(back)
    silent, recovered = smtp.messages()
    for msg, transition in ((silent, "blind_spot"), (recovered, "recovered")):
        assert_alert_email(msg, level="system", transition=transition, brand_name="all brands",
                           incident_id="source-weibo_hot-20260301-080000")
    assert silent["Subject"] == "[BLIND SPOT] no posts from weibo_hot for 45m — silence is not calm"
    thread = "<incident.source-weibo_hot-20260301-080000@acme.example>"
    assert silent["In-Reply-To"] == recovered["In-Reply-To"] == thread
