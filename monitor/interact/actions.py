"""One way to act on an incident from any channel, with an audit entry for every attempt.

Chat buttons, paging webhooks and e-mail links all end here, so ``ack`` from Slack and
``ack`` from PagerDuty do the same thing through the engine's public methods
(:meth:`Engine.acknowledge`, :meth:`Engine.resolve`) inside one engine batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor.errors import IncidentError, IncidentStateError, UnknownIncident
from monitor.store_actions import ActionError, ActionStore

ACTIONS = ("ack", "resolve", "snooze_1h", "false_alarm")
LABELS = {"ack": "Acknowledge", "resolve": "Resolve", "snooze_1h": "Snooze 1 h", "false_alarm": "Not a crisis"}
SNOOZE = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    message: str  # what the person is told, in the thread or on the page


def perform(rt: Any, action: str, incident_id: str, actor: str, channel: str, now: datetime, *,
            drill: bool = True) -> Outcome:
    """Do ``action`` on ``incident_id`` as ``actor`` via ``channel``; never raises for a refused action.

    A live drill's incident (``drill-...``) is handed to its drill (monitor.drills.live.route)."""
    if action not in ACTIONS:
        return Outcome(False, f"unknown action {action!r}")
    if drill and incident_id.startswith("drill-"):
        from monitor.drills.live import route

        routed = route(rt.store if rt is not None else None, action, incident_id, actor, channel, now)
        if routed is not None:
            return routed
    actions = ActionStore(rt.store)
    try:
        with rt.engine.batch():
            message = _do(rt, actions, action, incident_id, actor, now)
            actions.audit(at=now, actor=actor, channel=channel, action=action, incident_id=incident_id, ok=True)
        return Outcome(True, message)
    except (IncidentError, ActionError) as exc:
        actions.audit(at=now, actor=actor, channel=channel, action=action, incident_id=incident_id, ok=False,
                      error=str(exc))
        return Outcome(False, str(exc))


def _do(rt: Any, actions: ActionStore, action: str, incident_id: str, actor: str, now: datetime) -> str:
    if action == "ack":
        rt.engine.acknowledge(incident_id, actor, now)
        return f"Acknowledged by {actor}"
    if action == "resolve":
        rt.engine.resolve(incident_id, actor, now)
        return f"Resolved by {actor}"
    found = rt.store.get_incident(incident_id)
    if found is None:
        raise UnknownIncident(f"no incident {incident_id!r} (see `monitor incidents list`)")
    inc = found[1]
    if action == "false_alarm":
        actions.mark(incident_id, "false_alarm", actor, now)
        if inc.status == "open":
            rt.engine.resolve(incident_id, actor, now)
        return f"Marked not a crisis by {actor}"
    if inc.status != "open":
        raise IncidentStateError(f"incident {incident_id} is already {inc.status}")
    if inc.level == "red":
        raise ActionError("a red incident cannot be snoozed from a button (executives must decide); "
                          "acknowledge it, or add a silence with --include-red")
    s = actions.add_silence(brand=inc.brand, level=inc.level, category=inc.category, incident_id=incident_id,
                            starts_at=now, ends_at=now + SNOOZE, created_by=actor,
                            reason=f"snoozed for 1 h by {actor}")
    return f"Snoozed for 1 h by {actor} (until {s.ends_at:%H:%M} UTC; an escalation still comes through)"
