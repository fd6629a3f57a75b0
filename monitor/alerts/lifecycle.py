"""An incident through its lifecycle: opened, escalated, updated, repeated, overdue, resolved.

A mixin of :class:`monitor.alerts.engine.Engine` (it reads the engine's config, playbooks,
store, clock position and open incidents): the engine decides *when* by judging windows and
stepping time; these methods decide *what is said* and keep the incident's state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from monitor.alerts.levels import EngineConfig, Finding, Window
from monitor.alerts.playbooks import PlaybookSet
from monitor.alerts.records import evidence_from_json, evidence_to_json
from monitor.durations import format_duration
from monitor.models import Alert, Evidence, Incident
from monitor.store import Store

log = logging.getLogger("monitor.alerts.engine")


class Lifecycle:
    config: EngineConfig
    playbooks: PlaybookSet
    store: Store
    emit: Callable[[Alert], None]
    brand_names: dict[str, str]
    incidents: dict[str, Incident]
    now: datetime | None
    _changed: set[str]
    advance: Callable[[datetime], None]  # the engine's: time moves to a human action before it is applied

    # -- lifecycle ----------------------------------------------------------------------------
    def _announce_new_triggers(self, scope: str, inc: Incident, w: Window, active: list[tuple[str, str]]) -> None:
        """A new reason at the current level (the stock falls while trending): tell the team."""
        new = [t for lvl, t in active if lvl == inc.level and t not in inc.triggers]
        if not new:
            return
        inc.triggers.extend(new)
        self._changed.add(scope)
        f = w.evaluate(new[0])
        assert f is not None
        self._notify(scope, inc, "updated", f.reason, f.evidence)

    def _open(self, scope: str, f: Finding | None, active: list[tuple[str, str]]) -> None:
        assert f is not None and self.now is not None
        brand, _, cat = scope.partition("/")
        prefix = getattr(self, "id_prefix", "")  # "drill-" in a live drill: people's actions find the drill
        base = f"{prefix}{brand}{'-' + cat if cat else ''}-{self.now:%Y%m%d-%H%M%S}"
        inc_id, n = base, 1
        while self.store.incident_id_taken(inc_id):
            n += 1
            inc_id = f"{base}-{n}"
        inc = Incident(id=inc_id, brand=brand, category=cat or f.category, level=f.level,  # type: ignore[arg-type]
                       status="open", opened_at=self.now, level_since=self.now, last_signal_at=self.now,
                       trigger=f.trigger, triggers=[t for lvl, t in active if lvl == f.level])
        self.incidents[scope] = inc
        self._arm(inc)
        self._changed.add(scope)
        self._notify(scope, inc, "opened", f.reason, f.evidence)

    def _escalate(self, scope: str, inc: Incident, f: Finding | None, active: list[tuple[str, str]]) -> None:
        assert f is not None and self.now is not None
        inc.level = f.level  # type: ignore[assignment]
        inc.level_since = self.now
        inc.trigger = f.trigger
        inc.triggers = [t for lvl, t in active if lvl == f.level]
        if self.config.scope == "brand" and f.category:
            inc.category = f.category
        inc.acked_at = inc.acked_by = None
        inc.escalation_step = 0
        self._arm(inc)
        self._changed.add(scope)
        self._notify(scope, inc, "escalated", f.reason, f.evidence)

    def _arm(self, inc: Incident) -> None:
        assert self.now is not None
        pb = self.playbooks.get(inc.level, inc.category)
        inc.ack_due_at = self.now + pb.ack_deadline
        rep = self.config.repeat_interval
        inc.next_repeat_at = self.now + rep if rep else None

    def _timers(self, scope: str, inc: Incident, w: Window) -> None:
        now = self.now
        assert now is not None
        if inc.acked_at is None and inc.ack_due_at is not None and inc.ack_due_at <= now:
            inc.escalation_step += 1
            pb = self.playbooks.get(inc.level, inc.category)
            more = inc.escalation_step < self.config.max_escalation_steps
            inc.ack_due_at = now + pb.ack_deadline if more else None
            self._changed.add(scope)
            contacts = ", ".join(pb.contacts_for(inc.escalation_step)) or "the next contacts"
            self._notify(scope, inc, "overdue", f"{inc.level}: not acknowledged within "
                         f"{format_duration(pb.ack_deadline)}; escalated to {contacts}", self._evidence(scope, w))
        if inc.acked_at is None and inc.next_repeat_at is not None and inc.next_repeat_at <= now:
            assert self.config.repeat_interval is not None
            while inc.next_repeat_at <= now:
                inc.next_repeat_at += self.config.repeat_interval
            self._changed.add(scope)
            self._notify(scope, inc, "repeated", f"{inc.level}: still unacknowledged after "
                         f"{format_duration(now - inc.level_since)}", self._evidence(scope, w))
        if not w.holding and inc.last_signal_at + self.config.quiet_period <= now:
            self._close(scope, inc, None, f"all clear: no level's condition has held for "
                        f"{format_duration(self.config.quiet_period)}; peak level {inc.level}; "
                        f"open {format_duration(now - inc.opened_at)}")

    def _close(self, scope: str, inc: Incident, by: str | None, reason: str) -> None:
        assert self.now is not None
        inc.status = "resolved"
        inc.resolved_at = self.now
        inc.resolved_by = by
        inc.ack_due_at = inc.next_repeat_at = None
        self._changed.add(scope)
        last = self.store.incident_evidence(inc.id)
        evidence = evidence_from_json(last) if last else None
        closing = {"quiet_for": (self.now - inc.last_signal_at).total_seconds(), "opened_at": inc.opened_at,
                   "peak_level": inc.level, "resolved_by": by}
        if evidence is not None:
            evidence = replace(evidence, detail={**evidence.detail, **closing})
        self._notify(scope, inc, "resolved", reason, evidence)
        self.store.save_incident(scope, inc)
        self.incidents.pop(scope, None)

    def _evidence(self, scope: str, w: Window) -> Evidence | None:
        f = w.evaluate() if w.holding else None
        return f.evidence if f else None

    def _notify(self, scope: str, inc: Incident, transition: str, reason: str, evidence: Any) -> None:
        assert self.now is not None
        if isinstance(evidence, dict):
            evidence = evidence_from_json(evidence)
        inc.seq += 1
        alert = Alert(id=f"{inc.id}#{inc.seq}", incident_id=inc.id, brand=inc.brand,
                      brand_name=self.brand_names.get(inc.brand, inc.brand), category=inc.category,
                      level=inc.level, transition=transition, ts=self.now, reason=reason, evidence=evidence,
                      escalation_step=inc.escalation_step, acked_by=inc.acked_by)
        alert = replace(alert, playbook=self.playbooks.get(inc.level, inc.category).render(alert))
        self.store.save_incident(scope, inc, evidence_to_json(evidence))
        log.info("incident %s %s (%s)", inc.id, transition, reason, extra={"incident": inc.id, "level": inc.level})
        self.emit(alert)
