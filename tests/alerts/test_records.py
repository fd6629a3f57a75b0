"""Alert records (the outbox's rows and report.json's entries) round-trip exactly through JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.alerts.records import (
    alert_from_record,
    alert_to_record,
    evidence_from_json,
    evidence_to_json,
    playbook_from_json,
    public_record,
    scored_post_from_record,
)
from monitor.models import Post, event_to_dict

from .conftest import red_evidence

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def through_json(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False))


def test_an_alert_with_evidence_and_playbook_comes_back_identical(make_alert: Any) -> None:
    alert = make_alert("red", "escalated", escalation_step=1, acked_by="ann", category="safety")
    assert alert.playbook is not None and alert.evidence is not None
    record = through_json(alert_to_record(alert))
    assert alert_from_record(record) == alert  # a retried delivery after a restart shows the same text
    assert (record["playbook"], record["level"], record["ts"]) == (alert.playbook.id, "red", "2026-03-01T08:00:00Z")


def test_an_alert_without_evidence_or_playbook(make_alert: Any) -> None:
    alert = make_alert("yellow", "resolved", with_playbook=False, evidence=None)
    record = through_json(alert_to_record(alert))
    assert record["evidence"] is None and record["playbook"] is None and record["playbook_rendered"] is None
    assert alert_from_record(record) == alert


def test_times_inside_evidence_detail_become_utc_strings() -> None:
    ev = red_evidence(detail={"opened_at": T0, "nested": {"at": [T0 + timedelta(minutes=5)]}, "rank": 3})
    out = through_json(evidence_to_json(ev))
    assert out["detail"] == {"opened_at": "2026-03-01T08:00:00Z", "nested": {"at": ["2026-03-01T08:05:00Z"]},
                             "rank": 3}
    back = evidence_from_json(out)
    assert back is not None and back.examples == ev.examples and back.platforms == ev.platforms
    assert evidence_to_json(None) is None and evidence_from_json(None) is None and playbook_from_json(None) is None


def test_the_public_record_drops_internal_fields(make_alert: Any) -> None:
    record = {**alert_to_record(make_alert("blue", "opened")), "seq": 7}
    public = public_record(record)
    assert "playbook_rendered" not in public and "seq" not in public
    assert public["evidence"] == record["evidence"] and public["id"] == record["id"]


def test_a_stored_post_comes_back_as_a_scored_post() -> None:
    post = Post(ts=T0, source="reddit", id="p1", text="Acme kettle broken", url="https://r.example/p1", reposts=4)
    stored = through_json({"post": event_to_dict(post), "label": "negative", "score": 0.93, "model": "m",
                           "matches": [{"rule_id": "acme-any", "brand": "acme", "category": "general",
                                        "terms": ["acme"]}, {"rule_id": "old", "brand": "acme",
                                                             "category": "general"}]})
    sp = scored_post_from_record(stored)
    assert sp.post == post and sp.brands == ["acme"]
    assert [(m.rule_id, m.terms) for m in sp.matches] == [("acme-any", ("acme",)), ("old", ())]
    assert (sp.sentiment.label, sp.sentiment.score, sp.sentiment.model) == ("negative", 0.93, "m")
