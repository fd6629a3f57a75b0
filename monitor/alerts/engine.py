"""The alert engine: per-scope windows on event time, and incidents through their lifecycle.

An incident opens at the first level reached, only escalates while open, reminds on a
repeat interval until acknowledged, escalates to the next contacts when an
acknowledgement deadline passes, and resolves — with an all-clear — once no level's
condition has held for the quiet period.

Time only moves through :meth:`Engine.advance`, a small discrete-event loop: every
moment something can change (a signal leaves the window, a reminder or deadline falls
due, a quiet period ends) is stepped through in order, so a replay at any speed issues
exactly the notifications that live operation would, at the same event times.

The store is the source of truth for incidents (so ``monitor incidents ack`` can act
from another process); windows live in memory and are rebuilt from stored signals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from monitor.alerts.levels import RANK, EngineConfig, Finding, PostSignal, QuoteSignal, TrendSignal, Window
from monitor.alerts.playbooks import PlaybookSet
from monitor.alerts.records import evidence_from_json, evidence_to_json, scored_post_from_record
from monitor.durations import format_duration
from monitor.errors import IncidentError
from monitor.models import Alert, Evidence, Incident, Quote, RuleMatch, ScoredPost, Trend
from monitor.store import Store, from_epoch, to_epoch

log = logging.getLogger(__name__)

Emit = Callable[[Alert], None]


class Engine:
    """Judges signals against the crisis manual and drives incidents; emits Alerts."""

    def __init__(self, config: EngineConfig, playbooks: PlaybookSet, store: Store, emit: Emit,
                 brand_names: dict[str, str] | None = None) -> None:
        self.config = config
        self.playbooks = playbooks
        self.store = store
        self.emit = emit
        self.brand_names = dict(brand_names or {})
        self.windows: dict[str, Window] = {}
        self.incidents: dict[str, Incident] = {}  # scope -> open incident
        self.now: datetime | None = None
        self._generation = -1
        self._dirty: set[str] = set()
        self._changed: set[str] = set()

    # -- state ------------------------------------------------------------------------------
    def load(self) -> None:
        """Rebuild windows from stored signals and read open incidents (start-up, or after a relabel)."""
        self._generation = self.store.generation()
        mark = self.store.get_meta("engine_now")
        if mark is not None:
            now = from_epoch(float(mark))
            self.now = now if self.now is None or now > self.now else self.now
        self.windows.clear()
        if self.now is not None:
            for scope, _brand, ts, kind, ref, data in self.store.signals_since(self.now - self.config.window):
                self._restore(scope, ts, kind, ref, data)
            for w in self.windows.values():
                w.evict(self.now)
                w.level_now()
        self.incidents = self.store.open_incidents()

    def _restore(self, scope: str, ts: datetime, kind: str, ref: str, data: dict[str, Any]) -> None:
        w = self._window(scope)
        if kind == "post":
            w.add_post(PostSignal.from_data(ts, ref, data))
        elif kind == "trend":
            w.add_trend(TrendSignal(ts, ref, data["source"], data["word"], data.get("rank")))
        elif kind == "quote":
            w.add_quote(QuoteSignal(ts, ref, data["source"], data["symbol"], data["price"], data["prev_close"]))

    @contextmanager
    def batch(self) -> Iterator[None]:
        """One store transaction: pick up others' changes first, write ours at the end."""
        with self.store.transaction():
            if self.store.generation() != self._generation:
                self.load()
            else:
                self.incidents = self.store.open_incidents()
            self._changed.clear()
            yield
            self._save()

    def _save(self) -> None:
        for scope in self._changed:
            inc = self.incidents.get(scope)
            if inc is not None:
                self.store.save_incident(scope, inc)
        self._changed.clear()
        self.incidents = {s: i for s, i in self.incidents.items() if i.status == "open"}
        if self.now is not None:
            self.store.set_meta("engine_now", repr(to_epoch(self.now)))

    def _window(self, scope: str) -> Window:
        w = self.windows.get(scope)
        if w is None:
            w = self.windows[scope] = Window(self.config)
        return w

    def _scopes(self, brand: str, categories: list[str]) -> list[str]:
        if self.config.scope == "brand" or not categories:
            return [brand]
        return [f"{brand}/{c}" for c in dict.fromkeys(categories)]

    # -- inputs -----------------------------------------------------------------------------
    def on_post(self, sp: ScoredPost, label: str | None = None) -> None:
        """A scored post (``label`` overrides the model's, e.g. a human relabel)."""
        post = sp.post
        negative = (label or sp.sentiment.label) == "negative" and (
            label is not None or sp.sentiment.score >= self.config.min_negative_score)
        if not negative:
            return
        ts = self._clamp(post.ts)
        if ts is None:
            return
        for brand in sp.brands:
            ms = [m for m in sp.matches if m.brand == brand]
            for scope in self._scopes(brand, [m.category for m in ms]):
                cat = scope.partition("/")[2] or ms[0].category
                sig = PostSignal.from_scored(sp, ts, ms, cat)
                self._window(scope).add_post(sig)
                self.store.add_signal(scope, brand, ts, "post", post.key, sig.as_data())
                self._dirty.add(scope)
        self._evaluate_dirty()

    def on_trend(self, trend: Trend, matches: list[RuleMatch]) -> None:
        ts = self._clamp(trend.ts)
        if ts is None:
            return
        for brand in dict.fromkeys(m.brand for m in matches):
            for scope in self._signal_scopes(brand):
                self._window(scope).add_trend(TrendSignal(ts, trend.key, trend.source, trend.word, trend.rank))
                self.store.add_signal(scope, brand, ts, "trend", trend.key,
                                      {"source": trend.source, "word": trend.word, "rank": trend.rank})
                self._dirty.add(scope)
        self._evaluate_dirty()

    def on_quote(self, quote: Quote, brands: list[str]) -> None:
        ts = self._clamp(quote.ts)
        if ts is None:
            return
        for brand in brands:
            for scope in self._signal_scopes(brand):
                self._window(scope).add_quote(QuoteSignal(ts, quote.key, quote.source, quote.symbol, quote.price,
                                                          quote.prev_close))
                self.store.add_signal(scope, brand, ts, "quote", quote.key,
                                      {"source": quote.source, "symbol": quote.symbol, "price": quote.price,
                                       "prev_close": quote.prev_close})
                self._dirty.add(scope)
        self._evaluate_dirty()

    def _signal_scopes(self, brand: str) -> list[str]:
        """Trends and quotes belong to the brand; with per-category scope, to each open incident of it."""
        if self.config.scope == "brand":
            return [brand]
        open_scopes = [s for s in self.incidents if s.split("/")[0] == brand]
        return open_scopes or [brand]

    def _clamp(self, ts: datetime) -> datetime | None:
        """Signals live on engine time: never in the future, ignored once outside the window."""
        if self.now is None:
            self.now = ts
        ts = min(ts, self.now)  # a post stamped in the future (clock skew) must not move time forward
        if ts <= self.now - self.config.window:
            return None
        return ts

    # -- time ---------------------------------------------------------------------------------
    def advance(self, t: datetime) -> None:
        """Step through every due moment up to ``t`` in order, then stand at ``t``."""
        if self.now is None:
            self.now = t
            return
        last: datetime | None = None
        while True:
            due = self._next_due()
            if due is None or due > t:
                break
            if due == last and due <= self.now:  # a timer that stepping did not clear: never spin
                log.error("engine: timer at %s did not clear; skipping to %s", due.isoformat(), t.isoformat())
                break
            last = due
            self._step(max(due, self.now))
        if t > self.now:
            self._step(t)

    def _next_due(self) -> datetime | None:
        times = [w.next_expiry() for w in self.windows.values()]
        for scope, inc in self.incidents.items():
            times += [inc.next_repeat_at, inc.ack_due_at]
            if not self._window(scope).holding:
                times.append(inc.last_signal_at + self.config.quiet_period)
        due = [t for t in times if t is not None]
        return min(due) if due else None

    def _step(self, at: datetime) -> None:
        assert self.now is not None
        self.now = at
        for scope, w in list(self.windows.items()):
            if w.posts or w.trends or w.quotes:
                before = (len(w.posts), len(w.trends), len(w.quotes))
                w.evict(at)
                if (len(w.posts), len(w.trends), len(w.quotes)) != before:
                    self._dirty.add(scope)
        self._dirty.update(self.incidents)
        self._evaluate_dirty()
        for scope, w in list(self.windows.items()):
            if w.empty() and scope not in self.incidents:
                del self.windows[scope]

    def _evaluate_dirty(self) -> None:
        dirty, self._dirty = self._dirty, set()
        for scope in sorted(dirty):
            self._evaluate(scope)

    def _evaluate(self, scope: str) -> None:
        assert self.now is not None
        w = self._window(scope)
        was_holding = w.holding
        active = w.active()
        level = active[0][0] if active else None
        inc = self.incidents.get(scope)
        if level is not None:
            if inc is None:
                self._open(scope, w.evaluate(), active)
                return
            if RANK[level] > RANK[inc.level]:
                self._escalate(scope, inc, w.evaluate(), active)
            else:
                self._announce_new_triggers(scope, inc, w, active)
        if inc is None:
            return
        if level is not None or was_holding:
            inc.last_signal_at = self.now
            self._changed.add(scope)
        self._timers(scope, inc, w)

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
        base = f"{brand}{'-' + cat if cat else ''}-{self.now:%Y%m%d-%H%M%S}"
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

    # -- people -------------------------------------------------------------------------------
    def _find(self, incident_id: str) -> tuple[str, Incident]:
        found = self.store.get_incident(incident_id)
        if found is None:
            raise IncidentError(f"no incident {incident_id!r} (see `monitor incidents list`)")
        scope, inc = found
        if inc.status != "open":
            raise IncidentError(f"incident {incident_id} is already {inc.status}")
        return scope, self.incidents.get(scope, inc)

    def acknowledge(self, incident_id: str, by: str, at: datetime) -> Incident:
        """Someone owns it: stop reminders and deadline escalation for the current level."""
        self.advance(at)
        scope, inc = self._find(incident_id)
        if inc.acked_at is not None:
            raise IncidentError(f"incident {incident_id} was already acknowledged by {inc.acked_by}")
        inc.acked_at, inc.acked_by = self.now, by
        inc.ack_due_at = inc.next_repeat_at = None
        self.incidents[scope] = inc
        self._changed.add(scope)
        self._notify(scope, inc, "acknowledged", f"{inc.level}: acknowledged by {by}", None)
        return inc

    def resolve(self, incident_id: str, by: str, at: datetime) -> Incident:
        """Close by hand (e.g. a false alarm); a new incident opens if the conditions still hold."""
        self.advance(at)
        scope, inc = self._find(incident_id)
        self._close(scope, inc, by, f"resolved by {by}")
        return inc

    def relabel(self, key: str, label: str, by: str, at: datetime, note: str | None = None) -> list[str]:
        """A human corrects a post's sentiment; windows and open incidents are re-judged."""
        stored = self.store.get_post(key)
        if stored is None:
            raise IncidentError(f"no stored post {key!r} (only posts that matched a rule are stored)")
        self.advance(at)
        self.store.save_relabel(key, label, by, at, note)
        touched = {scope for scope, w in self.windows.items() if w.remove_post(key)}
        self.store.remove_signals("post", key)
        self._dirty.update(touched)
        if label == "negative":
            sp = scored_post_from_record(stored)
            for b in sp.brands:
                touched.update(self._scopes(b, [m.category for m in sp.matches if m.brand == b]))
            self.on_post(sp, label="negative")
        self._evaluate_dirty()
        self._generation = self.store.bump_generation()
        return sorted(touched)

