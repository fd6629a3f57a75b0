"""Alerts as JSON records: what the outbox stores and what report.json lists.

A record carries the contract fields (ts, brand, level, transition,
incident_id, playbook, reason) plus everything needed to rebuild the exact Alert for a
delivery retried after a restart — the evidence and the playbook as rendered when the
alert fired, so a retry never shows different text than the first attempt.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from monitor.alerts.playbooks import MediaContact, RenderedFollowUp, RenderedPlaybook, RenderedTask
from monitor.models import Alert, Evidence, Example, RuleMatch, ScoredPost, Sentiment, format_ts, parse_event, parse_ts


def _example(e: Example) -> dict[str, Any]:
    return {"source": e.source, "id": e.id, "ts": format_ts(e.ts), "text": e.text, "url": e.url,
            "author": e.author, "kind": e.kind, "outlet": e.outlet, "reposts": e.reposts, "score": e.score,
            "rules": list(e.rules), "terms": list(e.terms)}


def _jsonable(value: Any) -> Any:
    if hasattr(value, "isoformat") and hasattr(value, "tzinfo"):
        return format_ts(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def evidence_to_json(ev: Evidence | None) -> dict[str, Any] | None:
    if ev is None:
        return None
    return {"trigger": ev.trigger, "rule": ev.rule, "observed": ev.observed, "threshold": ev.threshold,
            "window_minutes": ev.window_minutes, "platforms": dict(ev.platforms), "reposts": ev.reposts,
            "negative_posts": ev.negative_posts, "rules": dict(ev.rules),
            "examples": [_example(e) for e in ev.examples], "detail": _jsonable(ev.detail)}


def evidence_from_json(d: dict[str, Any] | None) -> Evidence | None:
    if d is None:
        return None
    examples = tuple(Example(**{**e, "ts": parse_ts(e["ts"]), "rules": tuple(e["rules"]),
                                "terms": tuple(e["terms"])}) for e in d["examples"])
    return Evidence(trigger=d["trigger"], rule=d["rule"], observed=d["observed"], threshold=d["threshold"],
                    window_minutes=d["window_minutes"], platforms=d["platforms"], reposts=d["reposts"],
                    negative_posts=d["negative_posts"], rules=d["rules"], examples=examples, detail=d["detail"])


def playbook_to_json(pb: RenderedPlaybook | None) -> dict[str, Any] | None:
    if pb is None:
        return None
    return {
        "id": pb.id, "title": pb.title, "level": pb.level, "owner": pb.owner,
        "ack_deadline_s": pb.ack_deadline.total_seconds(), "ack_due": format_ts(pb.ack_due), "summary": pb.summary,
        "escalation_contacts": list(pb.escalation_contacts),
        "tasks": [{"role": t.role, "task": t.task, "deadline_s": t.deadline.total_seconds(), "due": format_ts(t.due)}
                  for t in pb.tasks],
        "statement": pb.statement,
        "media_list": [m.model_dump() for m in pb.media_list],
        "follow_up": [{"after_s": f.after.total_seconds(), "action": f.action, "due": format_ts(f.due)}
                      for f in pb.follow_up],
    }


def playbook_from_json(d: dict[str, Any] | None) -> RenderedPlaybook | None:
    if d is None:
        return None
    return RenderedPlaybook(
        id=d["id"], title=d["title"], level=d["level"], owner=d["owner"],
        ack_deadline=timedelta(seconds=d["ack_deadline_s"]), ack_due=parse_ts(d["ack_due"]), summary=d["summary"],
        escalation_contacts=tuple(d["escalation_contacts"]),
        tasks=tuple(RenderedTask(t["role"], t["task"], timedelta(seconds=t["deadline_s"]), parse_ts(t["due"]))
                    for t in d["tasks"]),
        statement=d["statement"],
        media_list=tuple(MediaContact(**m) for m in d["media_list"]),
        follow_up=tuple(RenderedFollowUp(timedelta(seconds=f["after_s"]), f["action"], parse_ts(f["due"]))
                        for f in d["follow_up"]),
    )


def alert_to_record(alert: Alert) -> dict[str, Any]:
    """The notification as stored and as listed in report.json."""
    pb = alert.playbook
    return {
        "id": alert.id,
        "ts": format_ts(alert.ts),
        "brand": alert.brand,
        "brand_name": alert.brand_name,
        "level": alert.level,
        "transition": alert.transition,
        "incident_id": alert.incident_id,
        "playbook": pb.id if isinstance(pb, RenderedPlaybook) else None,
        "reason": alert.reason,
        "category": alert.category,
        "escalation_step": alert.escalation_step,
        "acked_by": alert.acked_by,
        "evidence": evidence_to_json(alert.evidence),
        "playbook_rendered": playbook_to_json(pb if isinstance(pb, RenderedPlaybook) else None),
    }


def alert_from_record(d: dict[str, Any]) -> Alert:
    return Alert(id=d["id"], incident_id=d["incident_id"], brand=d["brand"], brand_name=d["brand_name"],
                 category=d["category"], level=d["level"], transition=d["transition"], ts=parse_ts(d["ts"]),
                 reason=d["reason"], evidence=evidence_from_json(d["evidence"]),
                 playbook=playbook_from_json(d["playbook_rendered"]), escalation_step=d["escalation_step"],
                 acked_by=d["acked_by"])


def public_record(d: dict[str, Any]) -> dict[str, Any]:
    """report.json's view: the record without the internal rendered-playbook copy."""
    return {k: v for k, v in d.items() if k not in ("playbook_rendered", "seq")}


def scored_post_from_record(stored: dict[str, Any]) -> ScoredPost:
    """A stored scored post (Store.get_post) back as the pipeline's ScoredPost."""
    post = parse_event(stored["post"])
    matches = [RuleMatch(m["rule_id"], m["brand"], m["category"], tuple(m.get("terms", ()))) for m in stored["matches"]]
    sent = Sentiment(stored["label"], stored["score"], stored["model"])
    return ScoredPost(post, matches, sent)  # type: ignore[arg-type]
