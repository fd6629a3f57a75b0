"""Health bookkeeping: skip reasons become metric labels of bounded cardinality."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from monitor.health import HealthTracker
from monitor.metrics import Metrics

T = datetime(2026, 3, 1, 8, tzinfo=UTC)


def test_numbered_skip_reasons_share_one_label() -> None:
    metrics = Metrics()
    health = HealthTracker(metrics)
    health.register("news", "rss", timedelta(hours=1), 3, T)
    skipped = Counter({f"entry {i}: no text": 1 for i in range(1, 40)})
    skipped["line 7: not JSON"] += 1
    skipped["duplicate entry id in the feed (the first one kept)"] += 2
    health.success("news", 0, skipped, T)
    text = metrics.render()
    labels = {line.split("reason=\"", 1)[1].split("\"", 1)[0] for line in text.splitlines()
              if line.startswith("brand_monitor_source_items_skipped_total{")}
    assert labels == {"malformed entry", "malformed line", "duplicate entry id in the feed (the first one kept)"}
    assert 'reason="malformed entry",source="news"} 39' in text
