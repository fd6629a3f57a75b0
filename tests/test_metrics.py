"""monitor.metrics on its own: declared families, per-instance registries, scrape-time gauges, Instruments."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from monitor.clock import VirtualClock
from monitor.metrics import CATALOGUE, Instruments, Metrics
from monitor.models import Alert

T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]


def families(text: str) -> dict[str, object]:
    return {f.name: f for f in text_string_to_metric_families(text)}


def sample(text: str, name: str, **labels: str) -> float | None:
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.name == name and s.labels == labels:
                return s.value
    return None


def alert(aid: str, level: str = "blue", transition: str = "opened") -> Alert:
    return Alert(id=aid, incident_id=aid.split("#")[0], brand="acme", brand_name="Acme", category=None, level=level,
                 transition=transition, ts=T0, reason="test", evidence=None)


def test_counters_are_typed_counter_with_their_help_and_total_suffix() -> None:
    m = Metrics()
    m.inc("events_total", 3, source="news")
    m.inc("events_total", 2, source="news")
    m.inc("deliveries_total", notifier="hook", outcome="retry")
    text = m.render()
    fams = families(text)
    events = fams["brand_monitor_events"]
    assert events.type == "counter"  # type: ignore[attr-defined]
    assert events.documentation == CATALOGUE["events_total"].help  # type: ignore[attr-defined]
    assert "# TYPE brand_monitor_events_total counter" in text
    assert sample(text, "brand_monitor_events_total", source="news") == 5.0
    assert sample(text, "brand_monitor_deliveries_total", notifier="hook", outcome="retry") == 1.0
    assert "_created" not in text


def test_every_declared_family_has_real_help_and_counters_end_in_total() -> None:
    for name, fam in CATALOGUE.items():
        assert fam.kind in ("counter", "histogram", "gauge"), name
        assert (fam.kind == "counter") == name.endswith("_total"), name
        words = fam.help.lower().rstrip(".").replace("_", " ")
        assert words != name.replace("_", " ") and len(fam.help) > 20, name


def test_every_metric_the_code_names_is_declared() -> None:
    """A name used with inc/observe or returned by a gauge callback must be in the catalogue (HELP, type)."""
    pattern = re.compile(r"""(?:\.inc|\.observe)\(\s*"([a-z_]+)"|[(\[,]\s*\(\s*"([a-z_]+)",\s*\{""")
    used = set()
    for path in (ROOT / "monitor").rglob("*.py"):
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            used.add(match.group(1) or match.group(2))
    gauges = {"open_incidents", "store_healthy", "source_healthy", "replica_engine_leader", "bus_reorder_buffer"}
    assert gauges <= used  # the pattern does see gauge callbacks
    missing = {u for u in used if u not in CATALOGUE}
    assert not missing, f"declare these in monitor.metrics.CATALOGUE: {sorted(missing)}"


def test_each_instance_has_its_own_registry() -> None:
    a, b = Metrics(), Metrics()
    a.inc("events_total", 4, source="x")
    assert a.get("events_total", source="x") == 4.0
    assert b.get("events_total", source="x") == 0.0
    assert "brand_monitor_events_total" not in b.render()


def test_histograms_observe_and_counts_are_readable() -> None:
    m = Metrics()
    m.observe("scoring_seconds", 0.004)
    m.observe("scoring_seconds", 2.0)
    m.observe("scoring_seconds", -1.0)  # a clock step back is recorded as 0, never a negative sum
    text = m.render()
    assert families(text)["brand_monitor_scoring_seconds"].type == "histogram"  # type: ignore[attr-defined]
    assert m.get("scoring_seconds_count") == 3.0
    assert m.get("scoring_seconds_sum") == pytest.approx(2.004)
    assert sample(text, "brand_monitor_scoring_seconds_bucket", le="0.005") == 2.0


def test_a_name_used_as_the_wrong_kind_is_refused() -> None:
    with pytest.raises(TypeError, match="scoring_seconds is a histogram, not a counter"):
        Metrics().inc("scoring_seconds")


def test_gauge_callbacks_are_read_at_scrape_time_and_a_failing_one_costs_only_itself(caplog) -> None:
    m = Metrics()
    state = {"open": 1.0}
    m.gauge_callback(lambda: [("open_incidents", {"level": "red"}, state["open"]),
                              ("store_healthy", {}, 1.0)])

    def broken() -> list[tuple[str, dict[str, str], float]]:
        raise RuntimeError("probe down")

    m.gauge_callback(broken)
    assert sample(m.render(), "brand_monitor_open_incidents", level="red") == 1.0
    state["open"] = 3.0
    text = m.render()
    assert sample(text, "brand_monitor_open_incidents", level="red") == 3.0
    assert families(text)["brand_monitor_store_healthy"].type == "gauge"  # type: ignore[attr-defined]
    assert "probe down" in caplog.text


def test_labels_render_in_sorted_order() -> None:
    m = Metrics()
    m.inc("source_items_skipped_total", 2, source="news", reason="malformed entry")
    assert 'brand_monitor_source_items_skipped_total{reason="malformed entry",source="news"} 2.0' in m.render()


def test_instruments_time_alerts_from_arrival_and_count_them_after_commit() -> None:
    clock, wall = VirtualClock(T0), VirtualClock(T0)
    m = Metrics()
    ins = Instruments(m, clock, wall)
    with ins.batch(received_at=T0):
        clock.set(T0 + timedelta(seconds=4))
        ins.queued(alert("acme-1#1"), added=True)
        ins.queued(alert("acme-1#0"), added=False)  # already queued: not counted twice
        assert m.get("alerts_queued_total", level="blue", transition="opened") == 0.0  # not committed yet
    assert m.get("alerts_queued_total", level="blue", transition="opened") == 1.0
    assert m.get("incidents_opened_total", level="blue") == 1.0
    assert m.get("ingest_to_queued_seconds_count", level="blue") == 1.0
    assert m.get("ingest_to_queued_seconds_sum", level="blue") == 4.0
    wall.set(T0 + timedelta(seconds=7))
    ins.retry("hook")
    ins.delivered("acme-1#1", "hook")
    ins.delivered("acme-1#1", "mail")
    ins.failed("pager")
    assert m.get("deliveries_total", notifier="hook", outcome="retry") == 1.0
    assert m.get("deliveries_total", notifier="hook", outcome="delivered") == 1.0
    assert m.get("deliveries_total", notifier="pager", outcome="failed") == 1.0
    assert m.get("queued_to_delivered_seconds_sum", notifier="hook") == 7.0  # on the delivery clock
    assert m.get("queued_to_delivered_seconds_count", notifier="mail") == 1.0


def test_a_failed_batch_counts_nothing_and_its_retry_counts_once() -> None:
    clock = VirtualClock(T0)
    m = Metrics()
    ins = Instruments(m, clock)
    with pytest.raises(OSError), ins.batch(received_at=T0):
        ins.queued(alert("acme-1#1"), added=True)
        raise OSError("disk full")
    assert m.get("alerts_queued_total", level="blue", transition="opened") == 0.0
    ins.delivered("acme-1#1", "hook")  # never queued as far as we know: no latency invented
    assert m.get("queued_to_delivered_seconds_count", notifier="hook") == 0.0
    with ins.batch(received_at=T0):
        ins.queued(alert("acme-1#1"), added=True)
    assert m.get("incidents_opened_total", level="blue") == 1.0


def test_alerts_queued_outside_a_batch_count_at_once_without_an_ingest_time() -> None:
    m = Metrics()
    ins = Instruments(m, VirtualClock(T0))
    ins.queued(alert("acme-1#2", transition="acknowledged"), added=True)
    ins.queued(alert("blind-news#1", level="system", transition="blind_spot"), added=True)
    assert m.get("alerts_queued_total", level="blue", transition="acknowledged") == 1.0
    assert m.get("alerts_queued_total", level="system", transition="blind_spot") == 1.0
    assert m.get("incidents_opened_total", level="blue") == 0.0
    assert m.get("ingest_to_queued_seconds_count", level="blue") == 0.0


def test_queue_times_are_bounded() -> None:
    ins = Instruments(Metrics(), VirtualClock(T0))
    ins.MAX_TRACKED = 3
    for i in range(5):
        ins.queued(alert(f"acme-{i}#1", transition="updated"), added=True)
    assert list(ins._queued_at) == ["acme-2#1", "acme-3#1", "acme-4#1"]
