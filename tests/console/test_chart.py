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


async def test_a_drill_report_carries_each_incidents_timeline(tmp_path) -> None:
    import json

    from monitor.config import load_config
    from monitor.drill import run_drill
    from monitor.models import format_ts
    from tests.support import WordScorer, write_config

    start = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps({"type": "post", "ts": format_ts(start + timedelta(minutes=i)),
                                        "source": "weibo", "id": f"p{i}", "text": f"艾克美 水壶 坏了 Acme broken {i}"})
                            + "\n" for i in range(12)), encoding="utf-8")
    cfg = write_config(tmp_path, "store: {path: state.db}\nplaybooks: @PLAYBOOKS@\n")
    report = await run_drill(load_config(cfg), feed, report_dir=tmp_path / "out", scorer=WordScorer())
    [inc] = report["incidents"]
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert f"<h2>Timelines</h2><h3>{inc['id']}</h3><svg class=\"chart timeline\"" in page
    assert 'data-platform="weibo"' in page and "weibo: 12 negative at 2026-03-01 08:00 UTC" in page
    assert 'class="mark mark-blue"' in page and "Noto Sans CJK SC" in page
    assert "timeline" not in json.dumps(report)  # report.json's contract is unchanged


def test_console_paths_are_told_apart_from_the_api() -> None:
    from monitor.console import is_console

    assert all(is_console(p) for p in ("/", "/console", "/console/incidents/{id}", "/console/static/x.css"))
    assert not any(is_console(p) for p in ("/incidents", "/healthz", "/consoles", "/openapi.json"))
