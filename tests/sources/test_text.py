"""HTML -> text, outlet hosts and timestamp parsing shared by the collectors."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitor.sources.text import from_epoch, host_of, html_to_text, parse_time, truncate


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Battery &amp; charger <b>died</b></p><p>Again!</p>", "Battery & charger died\nAgain!"),
        ("line one<br>line two<br/>line three", "line one\nline two\nline three"),
        ("<p>Hi <a href=\"https://x\">@acme</a> &#x1F525; &lt;3 &quot;ok&quot;</p>", 'Hi @acme 🔥 <3 "ok"'),
        ("<style>p{}</style><script>alert(1)</script><p>shown</p>", "shown"),
        ("plain   text\n\n\n with &eacute;", "plain text\nwith é"),
        ("<ul><li>one</li><li>two</li></ul>", "one\ntwo"),
        ('<p><span class="invisible">https://</span><span class="ellipsis">acme.example/x</span></p>',
         "https://acme.example/x"),
        ("<p>电池<b>爆炸</b></p>", "电池爆炸"),
        ("", ""),
        (None, ""),
    ],
)
def test_html_to_text(html: str | None, text: str) -> None:
    assert html_to_text(html) == text


def test_truncate() -> None:
    assert truncate("a  b") == "a b"
    assert truncate("x" * 300, 10) == "x" * 9 + "…"


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://www.Reuters.com/world/x?y=1", "reuters.com"),
        ("http://news.bbc.co.uk", "news.bbc.co.uk"),
        ("www.caixin.com", "caixin.com"),
        ("https://user:pw@example.org:8443/p", "example.org"),
        ("localhost", None),
        ("", None),
        (None, None),
    ],
)
def test_host_of(url: str | None, host: str | None) -> None:
    assert host_of(url) == host


T = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "2026-03-01T08:00:00Z",
        "2026-03-01T08:00:00.000Z",
        "2026-03-01T08:00:00.000000000Z",
        "2026-03-01T16:00:00+08:00",
        "2026-03-01T08:00:00",  # no zone: UTC
        "Sun, 01 Mar 2026 08:00:00 GMT",
        "Sun, 01 Mar 2026 03:00:00 -0500",
        1772352000,
        1772352000.0,
        "1772352000",
        1772352000000,  # milliseconds
        time.gmtime(1772352000),
        datetime(2026, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=1))),
    ],
)
def test_parse_time_accepts_what_channels_send(value: object) -> None:
    assert parse_time(value) == T


@pytest.mark.parametrize("value", [None, "", "yesterday", True, [], "2026-13-45T99:00:00Z"])
def test_parse_time_rejects_nonsense(value: object) -> None:
    assert parse_time(value) is None


def test_from_epoch() -> None:
    assert from_epoch("1772352000") == T


def test_as_count() -> None:
    from monitor.sources.text import as_count

    assert [as_count(v) for v in (5, 5.9, -3, None, "7", True)] == [5, 5, 0, 0, 0, 0]


def test_nonempty_str() -> None:
    from monitor.sources.text import nonempty_str

    assert [nonempty_str(v) for v in ("abc", "", None, 7, ["x"])] == ["abc", None, None, None, None]
