"""The HTML rendering: complete, styled inline, and nothing from a post can become markup."""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser
from typing import Any

from monitor.alerts.render_html import render_html

from .conftest import EXAMPLES, red_evidence


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs += [v or "" for k, v in attrs if k == "href"]
        assert not any(k.startswith("on") for k, _ in attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Tags:
    p = Tags()
    p.feed(html)
    return p


def test_html_document_has_the_headline_why_examples_and_playbook(make_alert: Any) -> None:
    html = render_html(make_alert("red", "escalated"))
    assert html.startswith("<!DOCTYPE html>")
    p = parse(html)
    text = "".join(p.text)
    assert "[RED] Acme — incident INC-acme-20260301-1 escalated: brand is trending on weibo_hot (#3)" in text
    assert "Negative posts by platform: weibo 9, reddit 4, twitter 2 (15 total)" in text
    assert "Playbook: Red — executives decide" in text and "Holding statement" in text
    assert "+3d (2026-03-04): Progress update from the CEO: findings and actions so far" in text
    assert p.hrefs == ["https://weibo.com/123/w1", "https://www.reddit.com/r/gadgets/comments/a",
                       "https://x.com/someone/status/9"]
    assert "#D32F2F" in html  # red bar


def test_a_post_with_script_or_javascript_url_does_not_render(make_alert: Any) -> None:
    evil = dataclasses.replace(EXAMPLES[0], text='<script>alert("x")</script><img src=x onerror=alert(1)>',
                               author='"><b>boss</b>', url="javascript:alert(1)")
    trending = dataclasses.replace(EXAMPLES[1], url='https://x.example/"onmouseover="alert(1)')
    alert = make_alert(evidence=red_evidence(examples=(evil, trending), detail={"word": "<iframe src=//evil>"}),
                       reason="<svg onload=alert(1)>")
    html = render_html(alert)
    p = parse(html)
    assert not {"script", "img", "iframe", "svg"} & set(p.tags)
    assert "b" in p.tags  # our own bold stays
    assert p.tags.count("b") == 1  # ... the author's does not
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert p.hrefs == ["https://x.example/%22onmouseover=%22alert(1)".replace("(", "%28").replace(")", "%29")]


def test_blind_spot_html_has_no_playbook(blind_spot_alert: Any) -> None:
    text = "".join(parse(render_html(blind_spot_alert)).text)
    assert "silence is not calm" in text and "Playbook" not in text and "No posts for 45m" in text
