"""Escaping per target markup, safe URLs, truncation and size fitting."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from monitor.alerts.markup import (
    ZWSP,
    clean,
    escape_html,
    escape_markdown,
    escape_slack,
    fit_parts,
    safe_url,
    truncate,
    utf8_len,
)

NASTY = st.text(alphabet=st.sampled_from(list("<>&@![]()|:/ at!channelhere所有人@Uxyz\n\"'")), max_size=60)


def test_slack_escapes_the_three_control_characters_and_channel_words() -> None:
    assert escape_slack("<!channel> <!here> <@U123> <http://x|y> a&b") == (
        "&lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt; &lt;http://x|y&gt; a&amp;b")
    assert escape_slack("ping @channel @Here @everyone a@b.com") == (
        f"ping @{ZWSP}channel @{ZWSP}Here @{ZWSP}everyone a@b.com")


@given(NASTY)
def test_slack_output_never_carries_markup_or_pings(text: str) -> None:
    out = escape_slack(text)
    assert "<" not in out and ">" not in out
    assert "@channel" not in out.lower() and "@here" not in out.lower()


def test_markdown_breaks_mentions_and_links_invisibly() -> None:
    assert escape_markdown("@all hi") == f"@{ZWSP}all hi"
    assert escape_markdown('<at user_id="all">所有人</at>') == f'<{ZWSP}at user_id="all">所有人<{ZWSP}/at>'
    assert escape_markdown("[bank](http://evil) ![img](x)") == f"[bank]{ZWSP}(http://evil) !{ZWSP}[img]{ZWSP}(x)"
    assert escape_markdown("a @ b") == "a @ b"  # a lone @ needs nothing
    assert escape_markdown("ＡＣＭＥ＠所有人") == f"ＡＣＭＥ＠{ZWSP}所有人"


@given(NASTY)
def test_markdown_output_has_no_live_mention_or_link(text: str) -> None:
    out = escape_markdown(text)
    assert "](" not in out and "![" not in out
    for i, ch in enumerate(out):
        if ch in "<@" and i + 1 < len(out) and not out[i + 1].isspace():
            assert out[i + 1] == ZWSP


@given(NASTY)
def test_html_output_has_no_tags_or_attribute_breakouts(text: str) -> None:
    out = escape_html(text)
    assert "<" not in out and ">" not in out and '"' not in out and "'" not in out


def test_safe_url_keeps_http_and_encodes_markup_characters() -> None:
    assert safe_url("https://weibo.com/a?b=1&c=2#x") == "https://weibo.com/a?b=1&c=2#x"
    assert safe_url("https://x.example/a b|c>d)e\"f'g") == "https://x.example/a%20b%7Cc%3Ed%29e%22f%27g"
    assert safe_url(" http://x.example ") == "http://x.example"
    for bad in ("javascript:alert(1)", "data:text/html,<b>", "ftp://x.example", "//x.example", "", None, "http://"):
        assert safe_url(bad) is None, bad


def test_clean_drops_control_and_bidi_characters_but_keeps_newlines() -> None:
    assert clean("a\x1b[31mb\x00c\u202ed\nx\ty") == "a[31mbcd\nx\ty"


def test_truncate_prefers_a_word_boundary() -> None:
    assert truncate("short", 10) == "short"
    assert truncate("one two three four five", 16) == "one two three…"
    assert truncate("one two three four five", 12) == "one two thr…"  # no boundary close enough
    assert truncate("abcdefghijklmnop", 8) == "abcdefg…"
    assert len(truncate("x" * 500, 150)) == 150


def test_fit_parts_drops_trailing_parts_and_keeps_the_tail() -> None:
    parts = ["head", "a" * 50, "b" * 50]
    assert fit_parts(parts, 1000, tail="foot") == "head\n\n" + "a" * 50 + "\n\n" + "b" * 50 + "\n\nfoot"
    fitted = fit_parts(parts, 80, tail="foot")
    assert fitted == "head\n\n" + "a" * 50 + "\n\n… (truncated)\n\nfoot" and len(fitted) <= 80
    cut = fit_parts(["x" * 500], 100, tail="foot")
    assert len(cut) <= 100 and cut.endswith("… (truncated)\n\nfoot")


def test_fit_parts_can_measure_utf8_bytes() -> None:
    parts = ["标题", "中" * 2000, "尾" * 10]
    out = fit_parts(parts, 4096, tail="footer", measure=utf8_len)
    assert utf8_len(out) <= 4096 and out.startswith("标题\n\n") and out.endswith("footer")
    one = fit_parts(["中" * 3000], 4096, measure=utf8_len)
    assert utf8_len(one) <= 4096 and one.endswith("… (truncated)")
