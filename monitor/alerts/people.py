"""What people do to incidents and posts: acknowledge, resolve, relabel.

A mixin of :class:`monitor.alerts.engine.Engine`. A relabel also corrects what the brand's
baseline learnt from the post: a post relabelled not negative no longer counts in the
brand's negative history (its voice and its reposts are taken back at the post's hour), and
a post relabelled negative is learnt once, as if the model had said so on arrival.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from monitor.alerts.baseline import Baselines, hour_of
from monitor.alerts.records import scored_post_from_record
from monitor.alerts.voices import author_of
from monitor.errors import IncidentStateError, UnknownIncident, UnknownPost
from monitor.models import Incident, ScoredPost

if TYPE_CHECKING:
    from monitor.alerts.levels import EngineConfig, Window
    from monitor.store import Store


class People:
    config: EngineConfig
    store: Store
    windows: dict[str, Window]
    incidents: dict[str, Incident]
    baselines: Baselines
    now: datetime | None
    _changed: set[str]
    _dirty: set[str]
    _generation: int
    advance: Callable[[datetime], None]
    on_post: Callable[..., None]
    _evaluate_dirty: Callable[[], None]
    _scopes: Callable[[str, list[str]], list[str]]
    _close: Callable[[str, Incident, str | None, str], None]
    _notify: Callable[[str, Incident, str, str, Any], None]

    def _find(self, incident_id: str) -> tuple[str, Incident]:
        found = self.store.get_incident(incident_id)
        if found is None:
            raise UnknownIncident(f"no incident {incident_id!r} (see `monitor incidents list`)")
        scope, inc = found
        if inc.status != "open":
            raise IncidentStateError(f"incident {incident_id} is already {inc.status}")
        return scope, self.incidents.get(scope, inc)

    def acknowledge(self, incident_id: str, by: str, at: datetime) -> Incident:
        """Someone owns it: stop reminders and deadline escalation for the current level."""
        self.advance(at)
        scope, inc = self._find(incident_id)
        if inc.acked_at is not None:
            raise IncidentStateError(f"incident {incident_id} was already acknowledged by {inc.acked_by}")
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
        """A human corrects a post's sentiment; windows, open incidents and the brand's baseline follow."""
        stored = self.store.get_post(key)
        if stored is None:
            raise UnknownPost(f"no stored post {key!r} (only posts that matched a rule are stored)")
        self.advance(at)
        sp = scored_post_from_record(stored)
        was = self._counted_negative(sp, self.store.relabel_for([key]).get(key))
        voices = {b: self._voice(key, b) for b in sp.brands} if was and label != "negative" else {}
        self.store.save_relabel(key, label, by, at, note)
        touched = {scope for scope, w in self.windows.items() if w.remove_post(key)}
        self.store.remove_signals("post", key)
        self._dirty.update(touched)
        if label == "negative":
            for b in sp.brands:
                touched.update(self._scopes(b, [m.category for m in sp.matches if m.brand == b]))
            self.on_post(sp, label="negative", learn=False)  # the baseline learnt it already, or learns it below
            if not was:
                self._relearn(sp, 1, {b: self._voice(key, b) for b in sp.brands})
        elif was:
            self._relearn(sp, -1, voices)
        self._evaluate_dirty()
        self._generation = self.store.bump_generation()
        return sorted(touched)

    def _counted_negative(self, sp: ScoredPost, label: str | None) -> bool:
        """Whether the engine took the post as negative (the rule of ``on_post``), given any earlier relabel."""
        return (label or sp.sentiment.label) == "negative" and (
            label is not None or sp.sentiment.score >= self.config.min_negative_score)

    def _voice(self, key: str, brand: str) -> bool:
        """Whether the post adds a voice to its platform's count, as the brand's window counts it now (an author
        past ``per_author`` earlier posts does not); a post that has left the window was most likely one."""
        for scope, w in self.windows.items():
            if scope.partition("/")[0] != brand:
                continue
            p = next((q for q in w.posts if q.key == key), None)
            if p is None:
                continue
            who = (p.source, author_of(p))
            earlier = sum(1 for q in w.posts if q is not p and (q.source, author_of(q)) == who
                          and (q.ts, q.key) < (p.ts, p.key))
            return earlier < self.config.per_author
        return True

    def _relearn(self, sp: ScoredPost, sign: int, voices: dict[str, bool]) -> None:
        """Add (``sign`` 1) or take back (-1) what the post teaches the negative series, at its hour."""
        post = sp.post
        hour = hour_of(post.ts if self.now is None else min(post.ts, self.now))
        for brand in sp.brands:
            if voices.get(brand, True):
                self._learn(f"{brand}|{post.source}|neg", hour, sign)
            if post.reposts:
                self._learn(f"{brand}|*|reposts", hour, sign * post.reposts)

    def _learn(self, key: str, hour: int, n: int) -> None:
        if n > 0:
            self.baselines.add_hour(key, hour, n)
        else:
            self.baselines.take_back(key, hour, -n)
