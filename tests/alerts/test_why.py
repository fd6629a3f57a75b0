"""The why of an alert in words: rule, counts, window, split, rules, terms, trend/stock/news."""

from __future__ import annotations

from typing import Any

from monitor.alerts.render import build_view
from monitor.alerts.why import as_time, human, short_reason

from .conftest import T0, red_evidence


def test_why_has_rule_counts_window_split_top_rules_and_terms(make_alert: Any) -> None:
    why = build_view(make_alert()).why
    assert why == (
        "Rule: the brand enters a trending list",
        "Observed: 1 trending entry — threshold: any — window: 60 min",
        "Trending: “ACME 电池” at #3 on weibo_hot",
        "Negative posts by platform: weibo 9, reddit 4, twitter 2 (15 total)",
        "Reposts of negative posts: 63",
        "Top rules: acme-battery-fire (8), acme-quality (5), acme-service (2)",
        "Top terms: battery, 电池, 起火, swelled",
    )


def test_why_reads_the_engines_nested_trend_and_quote_details(make_alert: Any) -> None:
    ev = red_evidence(trigger="red.stock", observed=-6.2, threshold=5, detail={
        "quote": {"symbol": "ACME", "price": 93.8, "prev_close": 100.0, "ts": T0},
        "trend": {"source": "weibo_hot", "word": "ACME 电池", "rank": 3, "ts": T0}, "also": ["yellow.reposts"]})
    why = build_view(make_alert(evidence=ev)).why
    assert "Observed: -6.2% against the previous close — threshold: more than 5% — window: 60 min" in why
    assert "Stock ACME: 93.80 vs previous close 100.00 (-6.2%)" in why
    assert "Trending: “ACME 电池” at #3 on weibo_hot" in why
    assert "Also holding: yellow.reposts" in why


def test_blue_counts_read_naturally(make_alert: Any) -> None:
    ev = red_evidence(trigger="blue.platform_posts", rule="14 negative posts on reddit in 60 min (threshold: "
                      "more than 10)", observed=14, threshold=10, detail={"platform": "reddit"})
    why = build_view(make_alert("blue", "opened", evidence=ev)).why
    assert why[1] == "Observed: 14 negative posts on one platform — threshold: more than 10 — window: 60 min"


def test_reminders_deadlines_and_all_clears_lead_with_the_engines_words(make_alert: Any) -> None:
    alert = make_alert("red", "overdue", reason="red: not acknowledged within 15m; escalated to Board chair")
    assert build_view(alert).why[:2] == ("not acknowledged within 15m; escalated to Board chair",
                                         "Rule: the brand enters a trending list")


def test_helpers_read_details_defensively(make_alert: Any) -> None:
    assert human(3900) == "1h5m" and human("a while") == "a while"
    assert as_time("2026-03-01T08:00:00Z") == T0 and as_time("yesterday") is None and as_time(None) is None
    assert short_reason(make_alert("red", reason="red: x: y")) == "x: y"
    assert short_reason(make_alert("red", reason="yellow: x")) == "yellow: x"  # only its own level is dropped
