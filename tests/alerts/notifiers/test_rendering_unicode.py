"""Invisible and look-alike characters never reach a channel; a post's URL never hides behind an outlet."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from monitor.alerts.markup import clean
from monitor.alerts.render import build_view, link_label, render_markdown, render_text

from ..conftest import EXAMPLES, red_evidence
from .fakes import HookServer, SmtpServer
from .test_email import smtp_cfg

HIDDEN = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064" \
         "\u2066\u2067\u2068\u2069\ufeff\u061c"


def _hostile_alert(make_alert: Any) -> Any:
    post = dataclasses.replace(EXAMPLES[0], text=f"Ac\u200bme re\u202ecall\u2066 ＡＣＭＥ ﬁre{HIDDEN}",
                               author="dana\u202e\u2067", source="vendor", outlet="reuters.com",
                               url="https://evil.example/reuters-story")
    return make_alert("red", "escalated", acked_by="x\u200by", reason="Ac\u2060me trending\u202e on weibo",
                      evidence=red_evidence(examples=(post,)))


def _assert_clean(text: str) -> None:
    assert not any(c in text for c in HIDDEN if c != "\u200b"), [hex(ord(c)) for c in text if c in HIDDEN]


def test_clean_normalises_and_strips() -> None:
    assert clean(f"Ac{HIDDEN}me ＡＣＭＥ ﬁre\tok\nline") == "Acme ACME fire\tok\nline"


@pytest.mark.parametrize(("outlet", "url", "label"), [
    ("reuters.com", "https://evil.example/x", "evil.example"),
    ("reuters.com", "https://www.reuters.com/x", "vendor (reuters.com)"),
    ("www.reuters.com", "https://reuters.com/x", "vendor (www.reuters.com)"),
    ("reuters.com", "https://reuters.com.evil.example/x", "reuters.com.evil.example"),
    (None, "https://evil.example/x", "vendor"),
])
def test_the_link_label_is_the_outlet_only_on_its_own_site(outlet: str | None, url: str, label: str) -> None:
    source = f"vendor ({outlet})" if outlet else "vendor"
    assert link_label(source, outlet, url) == label


async def test_slack_receives_no_invisible_characters_and_an_honest_link(hook: HookServer, make_notifier: Any,
                                                                         make_alert: Any) -> None:
    await make_notifier("slack", url=hook.url()).send(_hostile_alert(make_alert))
    raw = hook.requests[0].body.decode("utf-8")  # as Slack receives it, escapes included
    body = hook.requests[0].json()
    everything = str(body)
    _assert_clean(everything)
    assert "\\u200b" not in raw and "\\u202e" not in raw
    example = next(b["text"]["text"] for b in body["blocks"] if "evil.example" in b.get("text", {}).get("text", ""))
    assert example.startswith("vendor (reuters.com) <https://evil.example/reuters-story|evil.example> · dana · ")
    assert "|vendor (reuters.com)>" not in everything
    assert "ACME fire" in everything and "Acme recall" in everything


async def test_email_subject_and_bodies_are_clean(make_notifier: Any, make_alert: Any) -> None:
    with SmtpServer() as smtp:
        await make_notifier("email", **smtp_cfg(smtp)).send(_hostile_alert(make_alert))
    [msg] = smtp.messages()
    subject = str(msg["Subject"])
    assert "Acme trending on weibo" in subject
    _assert_clean(subject)
    for part in msg.walk():
        if part.get_content_type() in ("text/plain", "text/html"):
            text = part.get_content()
            _assert_clean(text)
            assert "\u200b" not in text and "Acme recall ACME fire" in text
    html = next(p.get_content() for p in msg.walk() if p.get_content_type() == "text/html")
    assert '<a href="https://evil.example/reuters-story">evil.example</a>' in html


def test_chat_markdown_and_text_are_clean(make_alert: Any) -> None:
    alert = _hostile_alert(make_alert)
    for text in (render_markdown(alert), render_text(alert), build_view(alert).headline):
        _assert_clean(text)
    assert "[evil.example](https://evil.example/reuters-story)" in render_markdown(alert)
