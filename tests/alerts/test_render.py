"""The shared words of every notification: headline per transition, the why, examples, playbook."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.alerts.render import (
    MARKDOWN,
    PLAIN,
    SLACK,
    ZWSP,
    build_view,
    headline,
    markdown_parts,
    render_markdown,
    render_slack_text,
    render_text,
    sections,
)
from monitor.models import Example

from .conftest import EXAMPLES, JSON, KEYS, T0, red_evidence


def test_escalated_headline_names_level_brand_incident_and_reason(make_alert: Any) -> None:
    assert headline(make_alert("red", "escalated")) == (
        "[RED] Acme — incident INC-acme-20260301-1 escalated: brand is trending on weibo_hot (#3)")


def test_headline_drops_the_level_prefix_the_engine_puts_on_reasons(make_alert: Any) -> None:
    alert = make_alert("yellow", "opened", reason="yellow: a news outlet picked the story up: reuters.com")
    assert headline(alert) == ("[YELLOW] Acme — incident INC-acme-20260301-1 opened: "
                               "a news outlet picked the story up: reuters.com")


def test_each_transition_is_phrased_for_people(make_alert: Any) -> None:
    inc = "incident INC-acme-20260301-1"
    assert headline(make_alert("blue", "repeated", reason="blue: still unacknowledged after 1h")) == (
        f"[BLUE] Acme — reminder: {inc} still unacknowledged: still unacknowledged after 1h")
    assert headline(make_alert("red", "acknowledged", acked_by="maria")) == f"[RED] Acme — {inc} acknowledged by maria"
    assert headline(make_alert("red", "overdue", escalation_step=1)) == (
        f"[RED] Acme — {inc} acknowledgement overdue — escalated to Board chair, Investor relations")
    assert headline(make_alert("red", "overdue", with_playbook=False)) == (
        f"[RED] Acme — {inc} acknowledgement overdue — escalated to the next contacts")
    assert headline(make_alert("red", "resolved", reason="all clear: quiet for 2h")) == (
        f"[ALL CLEAR] Acme — {inc} resolved: quiet for 2h")


def test_opened_notice_gives_owner_and_ack_deadline(make_alert: Any) -> None:
    view = build_view(make_alert("yellow", "opened"))
    assert view.notice == ("New yellow incident. Owner: Head of Communications. "
                           "Acknowledge within 30m (by 2026-03-01 08:30 UTC).")
    assert ("Owner", "Head of Communications") in view.facts
    assert ("Level", "YELLOW") in view.facts and ("Fired at", "2026-03-01 08:00 UTC") in view.facts


def test_repeat_is_a_reminder_and_overdue_names_the_escalation_contacts(make_alert: Any) -> None:
    assert build_view(make_alert("red", "repeated")).notice.startswith(
        "Reminder: nobody has acknowledged this red incident yet.")
    overdue = build_view(make_alert("red", "overdue", escalation_step=1))
    assert "escalated to Board chair, Investor relations (escalation step 1)" in overdue.notice
    text = render_text(overdue)
    assert "Escalation contacts: Board chair, Investor relations" in text


def test_acknowledged_says_by_whom(make_alert: Any) -> None:
    view = build_view(make_alert("red", "acknowledged", acked_by="maria@acme.example", evidence=None))
    assert view.notice.startswith("Acknowledged by maria@acme.example; reminders stop.")
    assert view.why == ("brand is trending on weibo_hot (#3)",)


def test_resolved_is_an_all_clear_with_quiet_time_duration_and_peak(make_alert: Any) -> None:
    ev = red_evidence(detail={"quiet_for": 7200, "opened_at": "2026-03-01T02:48:00Z", "peak_level": "red"})
    view = build_view(make_alert("red", "resolved", reason="all clear", evidence=ev))
    assert view.tag == "ALL CLEAR" and view.color == "#2E7D32"
    assert view.notice == ("All clear: quiet for 2h; the incident lasted 5h12m; peak level RED. "
                           "Keep to the follow-up plan.")
    pb = view.playbook
    assert pb is not None and pb.tasks == () and pb.statement == "" and pb.media == ()
    assert pb.follow_up[0] == "+3d (2026-03-04): Progress update from the CEO: findings and actions so far"
    assert [s.key for s in sections(view, PLAIN)] == ["why", "examples", "playbook", "follow_up"]


def test_blind_spot_says_silence_is_not_calm(blind_spot_alert: Any) -> None:
    view = build_view(blind_spot_alert)
    assert view.headline == "[BLIND SPOT] no posts from weibo_hot for 45m — silence is not calm"
    assert view.playbook is None and view.tag == "BLIND SPOT"
    assert view.why == ("No posts for 45m", "Last post seen: 2026-03-01T07:15:00Z")
    assert ("Source", "weibo_hot") in view.facts and not any(k == "Brand" for k, _ in view.facts)
    assert "no alerts from it does not mean no crisis" in view.notice


def test_blind_spot_for_a_failing_source_and_its_recovery(blind_spot_alert: Any) -> None:
    failing = dataclasses.replace(blind_spot_alert, brand="", evidence=dataclasses.replace(
        blind_spot_alert.evidence, rule="", detail={"source": "rss-news", "last_error": "HTTP 503\nfrom x",
                                                    "failures": 5, "silent_for": 600}))
    assert headline(failing) == "[BLIND SPOT] rss-news keeps failing (5 times in a row) — silence is not calm"
    assert build_view(failing).why == ("No posts for 10m", "Failed 5 times in a row", "Last error: HTTP 503 from x")
    back = dataclasses.replace(blind_spot_alert, transition="recovered",
                               reason="weibo_hot is producing again after 50m")
    assert headline(back) == "[RECOVERED] weibo_hot is producing again after 50m"
    assert build_view(back).notice == "weibo_hot is producing again; monitoring of it has resumed."
    assert "No posts for" not in render_text(back)
    timed = dataclasses.replace(back, evidence=dataclasses.replace(back.evidence, detail={"source": "weibo_hot",
                                                                                          "down_for": 3900}))
    assert headline(timed) == "[RECOVERED] weibo_hot is back after 1h5m"


def test_three_examples_with_source_author_url_and_truncated_text(make_alert: Any) -> None:
    long = dataclasses.replace(EXAMPLES[1], text="word " * 200)
    alert = make_alert(evidence=red_evidence(examples=(EXAMPLES[0], long, *EXAMPLES[2:])))
    view = build_view(alert, text_limit=80)
    assert len(view.examples) == 3
    first, second = view.examples[0], view.examples[1]
    assert (first.source, first.author, first.url, first.reach) == ("weibo", "小王", "https://weibo.com/123/w1",
                                                                    "41 reposts")
    assert len(second.text) <= 80 and second.text.endswith("…")
    assert "fourth example" not in render_text(view)


def test_news_example_shows_its_outlet_and_drops_unsafe_urls(make_alert: Any) -> None:
    news = Example(source="rss", id="n1", ts=T0, text="Acme recall?", url="javascript:alert(1)", kind="news",
                   outlet="reuters.com")
    view = build_view(make_alert(evidence=red_evidence(examples=(news,))))
    assert view.examples[0].source == "rss (reuters.com)" and view.examples[0].url is None


def test_playbook_owner_tasks_statement_media_and_3_7_21_plan(make_alert: Any) -> None:
    text = render_text(make_alert("red", "escalated"))
    assert "Playbook: Red — executives decide" in text
    assert "Owner: Chief Executive Officer — acknowledge within 15m (by 2026-03-01 08:15 UTC)" in text
    assert "- PR: Holding statement out within the hour; press conference plan ready — within 1h " \
           "(by 2026-03-01 09:00 UTC)" in text
    assert "Statement from Acme, 2026-03-01." in text
    assert "- Reuters — newsdesk contact in the media CRM — market-moving: brief together with investor relations" \
        in text
    assert "- +3d (2026-03-04): Progress update from the CEO" in text
    assert "- +7w (2026-04-19): Improvements report" in text
    assert "- +21d (2026-03-22): Positive stories" in text


def test_category_playbook_is_the_one_rendered(make_alert: Any) -> None:
    text = render_text(make_alert("red", "opened", category="safety"))
    assert "Playbook: Red (safety) — protect customers first" in text and "Category: safety" in text


def test_text_strips_terminal_escapes_and_bidi_overrides(make_alert: Any) -> None:
    evil = dataclasses.replace(EXAMPLES[0], text="fine\x1b[2J\x1b[31m text\u202egnp.exe", author="a\x07b")
    text = render_text(make_alert(evidence=red_evidence(examples=(evil,))))
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "“fine[2J[31m textgnp.exe”" in text


def test_markdown_neutralises_mentions_and_links_from_user_text(make_alert: Any) -> None:
    evil = dataclasses.replace(EXAMPLES[0], text="@all <at id=all></at> @所有人 [click](http://evil.example) <@U1>",
                               author="@here")
    md = render_markdown(make_alert(evidence=red_evidence(examples=(evil,)), reason="<at user_id=\"all\">x</at>"))
    for bad in ("@all", "<at", "@所有人", "](http://evil", "<@U1", "@here"):
        assert bad not in md, bad
    assert f"@{ZWSP}all" in md and f"<{ZWSP}at id=all>" in md and f"[click]{ZWSP}(http://evil.example)" in md
    assert "[weibo](https://weibo.com/123/w1)" in md  # our own link still works


def test_slack_dialect_escapes_and_links(make_alert: Any) -> None:
    evil = dataclasses.replace(EXAMPLES[0], text="<!channel> <@U123> <http://evil.example|bank> & @here",
                               url="https://weibo.com/a?b=1&c=2")
    alert = make_alert(evidence=red_evidence(examples=(evil,)))
    line = sections(alert, SLACK)[1].lines[0]
    assert line.startswith("• <https://weibo.com/a?b=1&amp;c=2|weibo> · 小王 · ")
    assert line.endswith(f"“&lt;!channel&gt; &lt;@U123&gt; &lt;http://evil.example|bank&gt; &amp; @{ZWSP}here”")
    fallback = render_slack_text(make_alert(reason="<!channel> now"))
    assert "<!channel>" not in fallback and "&lt;!channel&gt; now" in fallback


def test_markdown_is_paragraphs_headline_first_footer_last(make_alert: Any) -> None:
    parts = markdown_parts(make_alert())
    assert parts[0] == "**[RED] Acme — incident INC-acme-20260301-1 escalated: brand is trending on weibo_hot (#3)**"
    assert parts[-1] == "Brand Monitor · notification INC-acme-20260301-1#3"
    assert parts[3].startswith("**Why**\n- Rule: the brand enters a trending list\n- Observed: 1 trending entry")
    assert sections(make_alert(), MARKDOWN)[0].title == "**Why**"


def test_alert_without_playbook_or_evidence_still_renders(make_alert: Any) -> None:
    alert = make_alert("yellow", "opened", evidence=None, with_playbook=False)
    text = render_text(alert)
    assert text.startswith("[YELLOW] Acme — incident INC-acme-20260301-1 opened: brand is trending")
    assert "Playbook" not in text and "Why\n- brand is trending on weibo_hot (#3)" in text


def test_odd_engine_details_never_break_rendering(make_alert: Any) -> None:
    ev = red_evidence(detail={"opened_at": "yesterday", "also": "yellow.news", "quote": {"price": "n/a"},
                              "trend": {"word": None}, "quiet_for": "a while"})
    view = build_view(make_alert("red", "resolved", evidence=ev))
    assert view.notice == "All clear: quiet for a while; peak level RED. Keep to the follow-up plan."
    assert not any(w.startswith(("Also holding", "Stock", "Trending")) for w in view.why)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(detail=st.dictionaries(KEYS, JSON, max_size=6), text=st.text(max_size=300),
       transition=st.sampled_from(["opened", "escalated", "repeated", "overdue", "acknowledged", "resolved",
                                   "blind_spot", "recovered", "relabelled"]))
def test_every_format_renders_whatever_the_engine_sends(make_alert: Any, detail: dict[str, Any], text: str,
                                                        transition: str) -> None:
    from monitor.alerts.render_html import render_html

    ex = dataclasses.replace(EXAMPLES[0], text=text, author=text[:20], url=text[:40])
    alert = make_alert("red", transition, evidence=red_evidence(detail=detail, examples=(ex,)), reason=text[:80])
    for out in (render_text(alert), render_markdown(alert), render_html(alert), render_slack_text(alert)):
        assert isinstance(out, str) and out
