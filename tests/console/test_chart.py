"""The timeline's SVG and the baseline band it draws, from a stored baseline series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from monitor.alerts.baseline import Baselines, hour_of
from monitor.alerts.settings import BaselineConfig
from monitor.console.chart import Mark, sparkline_svg, timeline_svg
from monitor.console.data import baseline_band
from monitor.store import Store

T0 = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)


def test_the_band_is_the_stored_series_expectation_and_surprise(tmp_path) -> None:
    store = Store(tmp_path / "s.db")
    b = Baselines()
    for day in range(3):  # three days of 4 negative posts an hour on one platform, then a quiet other one
        for h in range(24):
            b.add("acme|weibo|neg", T0 + timedelta(days=day, hours=h), 4)
    b.add("acme|*|all", T0, 1)  # not a platform's negatives: not in the band
    b.add("other|weibo|neg", T0, 50)  # another brand
    store.save_baselines([(k, s.to_text()) for k, s in b.series.items()], T0)
    cfg = BaselineConfig()
    rt = SimpleNamespace(store=store, loaded=SimpleNamespace(config=SimpleNamespace(
        engine=SimpleNamespace(baseline=cfg))))
    hour = hour_of(T0 + timedelta(days=3))
    ((ts, lo, hi),) = baseline_band(rt, "acme", range(hour, hour + 1))
    s = b.get("acme|weibo|neg")
    assert ts == T0 + timedelta(days=3) and lo == s.expected(hour)[0] == 4.0
    assert hi == s.threshold(hour, 60, cfg.dispersion, cfg.p_value) - 1 and hi > lo
    assert baseline_band(rt, "acme", range(hour_of(T0) - 5, hour_of(T0))) == []  # before it began learning
    assert baseline_band(rt, "nobody", range(hour, hour + 1)) == []


def test_the_svg_escapes_labels_and_marks_what_happened() -> None:
    start = T0
    series = {'<b onload="x">': [(T0 + timedelta(hours=h), h) for h in range(6)]}
    band = [(T0 + timedelta(hours=h), 1.0, 3.0) for h in range(6)]
    marks = [Mark(T0 + timedelta(hours=2), "blue", "blue opened"), Mark(T0 + timedelta(hours=3), "human",
                                                                      "ack by <alice>")]
    svg = timeline_svg(start, T0 + timedelta(hours=6), series, band, marks, lambda t: t.isoformat(),
                       zone=ZoneInfo("Asia/Shanghai"))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert '<b onload' not in svg and "&lt;b onload=&quot;x&quot;&gt;" in svg
    assert svg.count('class="baseline-band"') == 1 and 'class="mark mark-blue"' in svg
    assert "ack by &lt;alice&gt;" in svg
    assert ">08:00</text>" in svg  # the axis reads the viewer's clock (UTC+8)
    assert sparkline_svg([0, 1, 5], "<x>").count("<polyline") == 1 and "&lt;x&gt;" in sparkline_svg([], "<x>")
