"""What alerts say: escalation steps name their own people, the 3-7-21 plan in due order, the key
that `incidents relabel` takes, and a failure count read against its threshold."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from monitor.alerts.playbooks import PlaybookSet
from monitor.alerts.render import build_view, headline, render_text
from monitor.alerts.render_html import render_html
from monitor.health import HealthTracker

from .conftest import T0


def test_each_escalation_step_names_its_own_contacts(make_alert: Any, playbooks: PlaybookSet) -> None:
    red = playbooks.get("red", None)
    assert red.contacts_for(1) != red.contacts_for(2)
    first = make_alert("red", "overdue", escalation_step=1)
    second = make_alert("red", "overdue", escalation_step=2)
    assert headline(first).endswith("escalated to Board chair, Investor relations")
    assert headline(second).endswith("escalated to Full board, Chief Operating Officer")
    assert "escalated to Full board, Chief Operating Officer (escalation step 2)" in build_view(second).notice
    assert make_alert("red", "opened").playbook.escalation_contacts == ("Board chair", "Investor relations")
    assert make_alert("red", "overdue", escalation_step=5).playbook.escalation_contacts == (
        "Full board", "Chief Operating Officer")  # past the last step: the last list
    flat = red.model_copy(update={"escalation_steps": [], "escalation_contacts": ["Ops"]})
    assert flat.contacts_for(1) == flat.contacts_for(2) == ["Ops"]


def test_the_follow_up_plan_is_listed_in_the_order_it_falls_due(make_alert: Any) -> None:
    alert = make_alert("red", "resolved")
    plan = [f.after for f in alert.playbook.follow_up]
    assert plan == [timedelta(days=3), timedelta(days=21), timedelta(weeks=7)]
    text = render_text(alert)
    assert text.index("+3d (") < text.index("+21d (") < text.index("+7w (")


def test_examples_show_the_key_relabel_takes(make_alert: Any) -> None:
    alert = make_alert("red", "escalated")
    ex = alert.evidence.examples[0]
    key = f"{ex.source}:{ex.id}"
    view = build_view(alert)
    assert view.examples[0].key == key
    assert f"key {key}" in render_text(alert)
    assert f"key {key}" in render_html(alert)


def test_a_failure_count_is_read_against_its_threshold() -> None:
    health = HealthTracker()
    health.register("rss-news", "rss", timedelta(hours=1), 3, T0)
    for i in range(4):  # the fourth failure lands before the next health check
        health.failure("rss-news", "HTTP 503", T0 + timedelta(minutes=i))
    [alert] = health.check(T0 + timedelta(minutes=5))
    assert headline(alert) == ("[BLIND SPOT] rss-news keeps failing (4 times in a row; threshold 3) — silence is "
                               "not calm")
    assert "Failed 4 times in a row (threshold 3)" in build_view(alert).why
