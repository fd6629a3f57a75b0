"""Prometheus metrics (prometheus_client) in one registry per running service.

Every family is declared once in :data:`CATALOGUE` with its type, labels and HELP text;
the code increments counters and observes histograms by name, and components add
scrape-time gauges as callbacks returning ``(name, labels, value)`` triples. A registry
of its own per :class:`Metrics` keeps tests, drills and replicas in one process apart.

:class:`Instruments` measures the pipeline: ingest -> queued on the injected clock (a
drill's virtual time), queued -> delivered on the dispatcher's clock, and the model's
scoring time on a monotonic timer.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from monitor.clock import Clock
    from monitor.models import Alert

log = logging.getLogger(__name__)
disable_created_metrics()  # no *_created series: they double the output and nothing here reads them

PREFIX = "brand_monitor"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
Triple = tuple[str, dict[str, str], float]
LATENCY_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600)
DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


@dataclass(frozen=True)
class Family:
    """One metric family: ``kind`` counter, histogram or gauge (gauges are read from callbacks)."""

    kind: str
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = LATENCY_BUCKETS


CATALOGUE: dict[str, Family] = {
    # ingest
    "events_total": Family("counter", "Events a source handed over (before de-duplication), by source.", ("source",)),
    "duplicates_total": Family("counter", "Events dropped as already seen, by source.", ("source",)),
    "posts_matched_total": Family("counter", "Posts that matched a keyword rule and were scored, by source.",
                                  ("source",)),
    "posts_negative_total": Family("counter", "Matched posts counted negative (model or human label), by source.",
                                   ("source",)),
    "source_polls_total": Family("counter", "Polls and stream batches by source and result (ok, error).",
                                 ("result", "source")),
    "source_events_total": Family("counter", "Events ingested from each source.", ("source",)),
    "source_items_skipped_total": Family("counter", "Feed items skipped as malformed or refused, by source and "
                                         "reason.", ("reason", "source")),
    "bus_appended_total": Family("counter", "New events appended to the bus's raw stream, by source.", ("source",)),
    "bus_engine_applied_total": Family("counter", "Scored bus entries applied by the engine leader."),
    # pipeline timing
    "scoring_seconds": Family("histogram", "Time the sentiment model took per scored batch (monotonic seconds).",
                              buckets=DURATION_BUCKETS),
    "batch_seconds": Family("histogram", "Time the pipeline took per batch, dedup to commit (monotonic seconds).",
                            buckets=DURATION_BUCKETS),
    "ingest_to_queued_seconds": Family("histogram", "From a batch of posts received to each alert it caused "
                                       "queued in the outbox (pipeline clock), by level.", ("level",)),
    # alerts and delivery
    "alerts_queued_total": Family("counter", "Notifications written to the outbox, by level and transition.",
                                  ("level", "transition")),
    "incidents_opened_total": Family("counter", "Incidents opened, by the level they opened at.", ("level",)),
    "deliveries_total": Family("counter", "Delivery attempts by notifier and outcome: delivered, retry (failed, "
                               "tried again later) or failed (given up).", ("notifier", "outcome")),
    "queued_to_delivered_seconds": Family("histogram", "From a notification queued to its delivery, by notifier "
                                          "(dispatcher clock; not measured across a restart).", ("notifier",)),
    "task_failures_total": Family("counter", "Failures of supervised tasks and periodic jobs, by task.", ("task",)),
    # scrape-time gauges
    "open_incidents": Family("gauge", "Open incidents by current level.", ("level",)),
    "store_healthy": Family("gauge", "1 when the store answered its last operations, else 0."),
    "outbox_oldest_pending_age_seconds": Family("gauge", "Age of the oldest undelivered notification."),
    "outbox_deliveries": Family("gauge", "Outbox deliveries not yet sent, by notifier and status.",
                                ("notifier", "status")),
    "notifier_consecutive_failures": Family("gauge", "Failed attempts in a row per notifier (0 after a delivery).",
                                            ("notifier",)),
    "task_restarts": Family("gauge", "Restarts of each supervised task since start.", ("task",)),
    "task_healthy": Family("gauge", "1 when a supervised task or periodic job is healthy, else 0.", ("task",)),
    "source_healthy": Family("gauge", "1 when a source is healthy (polling, not silent too long), else 0.",
                             ("source",)),
    "source_last_event_age_seconds": Family("gauge", "Seconds since a source last brought an event.", ("source",)),
    "replica_info": Family("gauge", "This replica's id (value always 1).", ("replica",)),
    "replica_engine_leader": Family("gauge", "1 while this replica holds the engine lease."),
    "replica_leases_held": Family("gauge", "Engine and source leases held by this replica."),
    "replica_lease_takeovers": Family("gauge", "Leases this replica took over from another since start."),
    "replica_source_lease": Family("gauge", "1 while this replica holds a source's lease.", ("source",)),
    "bus_reorder_buffer": Family("gauge", "Scored bus entries held back for event-time ordering."),
}


def family(name: str) -> Family:
    """The declared family; an undeclared name still works (with a HELP saying so) and is logged once."""
    found = CATALOGUE.get(name)
    if found is None:
        kind = "counter" if name.endswith("_total") else "gauge"
        log.warning("metric %s is not declared in monitor.metrics.CATALOGUE", name)
        found = CATALOGUE[name] = Family(kind, f"{name} (undeclared: add it to monitor.metrics.CATALOGUE)")
    return found


class _Gauges(Collector):
    """Scrape-time gauges from callbacks; one callback failing costs its own values, not the scrape."""

    def __init__(self, callbacks: list[Callable[[], Iterable[Triple]]]) -> None:
        self.callbacks = callbacks

    def collect(self) -> Iterator[Metric]:
        grouped: dict[str, list[tuple[dict[str, str], float]]] = {}
        for fn in list(self.callbacks):
            try:
                triples = list(fn())
            except Exception:
                log.exception("a /metrics gauge callback failed; its values are left out of this scrape")
                continue
            for name, labels, value in triples:
                grouped.setdefault(name, []).append((labels, value))
        for name in sorted(grouped):
            fam = family(name)
            names = sorted(set(fam.labels).union(*(labels for labels, _ in grouped[name])))
            cls = CounterMetricFamily if fam.kind == "counter" else GaugeMetricFamily
            metric = cls(f"{PREFIX}_{name}", fam.help, labels=names)
            for labels, value in grouped[name]:
                metric.add_metric([str(labels.get(n, "")) for n in names], float(value))
            yield metric


class Metrics:
    """Counters and histograms we update, gauges read at scrape time, in a registry of our own."""

    def __init__(self, prefix: str = PREFIX) -> None:
        self.prefix = prefix
        self.registry = CollectorRegistry()
        self._made: dict[str, Any] = {}
        self._callbacks: list[Callable[[], Iterable[Triple]]] = []
        self.registry.register(_Gauges(self._callbacks))

    def _metric(self, name: str, kind: str) -> Any:
        made = self._made.get(name)
        if made is None:
            fam = family(name)
            if fam.kind != kind:
                raise TypeError(f"metric {name} is a {fam.kind}, not a {kind}")
            full, labels = f"{self.prefix}_{name}", sorted(fam.labels)
            if kind == "counter":
                made = Counter(full, fam.help, labels, registry=self.registry)
            else:
                made = Histogram(full, fam.help, labels, registry=self.registry, buckets=fam.buckets)
            self._made[name] = made
        return made

    def inc(self, name: str, value: float = 1.0, **labels: str) -> None:
        """Add ``value`` (>= 0) to a counter; a zero still creates the series."""
        metric = self._metric(name, "counter")
        (metric.labels(**labels) if labels else metric).inc(value)

    def observe(self, name: str, value: float, **labels: str) -> None:
        metric = self._metric(name, "histogram")
        (metric.labels(**labels) if labels else metric).observe(max(0.0, value))

    def gauge_callback(self, fn: Callable[[], Iterable[Triple]]) -> None:
        """``fn`` returns (name, labels, value) triples, evaluated at every scrape."""
        self._callbacks.append(fn)

    def get(self, name: str, **labels: str) -> float:
        """A sample's current value (0 when absent): counters by name, histograms as name_count / name_sum."""
        value = self.registry.get_sample_value(f"{self.prefix}_{name}", labels)
        return 0.0 if value is None else value

    def render(self) -> str:
        """The Prometheus text exposition format, version 0.0.4."""
        return generate_latest(self.registry).decode("utf-8")


class Instruments:
    """Pipeline timings and alert/delivery counters, fed by the pipeline, the outbox and the dispatcher.

    Alerts queued inside :meth:`batch` are counted once the batch's transaction commits
    (a failed batch is retried and counted then); alerts queued elsewhere (an API
    acknowledgement, a blind spot) are counted at once.
    """

    MAX_TRACKED = 10_000  # notifications whose queue time is remembered for queued -> delivered

    def __init__(self, metrics: Metrics, clock: Clock, delivery_clock: Clock | None = None) -> None:
        self.metrics = metrics
        self.clock = clock
        self.delivery_clock = delivery_clock or clock
        self._pending: list[tuple[Alert, datetime]] | None = None
        self._queued_at: OrderedDict[str, datetime] = OrderedDict()

    @contextmanager
    def batch(self, received_at: datetime | None = None) -> Iterator[None]:
        """Wrap one engine transaction; ``received_at`` (pipeline clock) is when its posts arrived."""
        outer, self._pending = self._pending, []
        try:
            yield
        except BaseException:
            self._pending = outer
            raise
        done, self._pending = self._pending, outer
        for alert, queued_at in done:
            self._record(alert, queued_at, received_at)

    def queued(self, alert: Alert, added: bool) -> None:
        """The outbox wrote ``alert`` (``added`` False: it was there already)."""
        if not added:
            return
        if self._pending is not None:
            self._pending.append((alert, self.clock.now()))
        else:
            self._record(alert, self.clock.now(), None)

    def _record(self, alert: Alert, queued_at: datetime, received_at: datetime | None) -> None:
        m = self.metrics
        m.inc("alerts_queued_total", level=alert.level, transition=alert.transition)
        if alert.transition == "opened":
            m.inc("incidents_opened_total", level=alert.level)
        if received_at is not None:
            m.observe("ingest_to_queued_seconds", (queued_at - received_at).total_seconds(), level=alert.level)
        self._queued_at[alert.id] = self.delivery_clock.now()
        while len(self._queued_at) > self.MAX_TRACKED:
            self._queued_at.popitem(last=False)

    def delivered(self, notification_id: str, notifier: str) -> None:
        self.metrics.inc("deliveries_total", notifier=notifier, outcome="delivered")
        queued_at = self._queued_at.get(notification_id)
        if queued_at is not None:
            seconds = (self.delivery_clock.now() - queued_at).total_seconds()
            self.metrics.observe("queued_to_delivered_seconds", seconds, notifier=notifier)

    def retry(self, notifier: str) -> None:
        self.metrics.inc("deliveries_total", notifier=notifier, outcome="retry")

    def failed(self, notifier: str) -> None:
        self.metrics.inc("deliveries_total", notifier=notifier, outcome="failed")

    def scored(self, seconds: float) -> None:
        self.metrics.observe("scoring_seconds", seconds)

    def processed(self, seconds: float) -> None:
        self.metrics.observe("batch_seconds", seconds)
