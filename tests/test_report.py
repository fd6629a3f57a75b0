"""report.json and report.html from a store with real incidents and notifications (engine + outbox, no drill)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from monitor.alerts.dispatch import Outbox
from monitor.alerts.notifiers.base import Notifier, NotifierConfig, NotifierContext
from monitor.clock import VirtualClock
from monitor.config import load_config
from monitor.report import REPORT_VERSION, build_report, render_html, write_report
from monitor.store_actions import ActionStore
from tests.alerts.test_engine import T0, Harness, minutes, sp
from tests.support import write_config


class Sink(Notifier[NotifierConfig]):
    """Wants everything; delivers nowhere (the report reads the outbox, not the channel)."""

    kind = "sink"

    async def send(self, alert: Any) -> None:
        return None


def drill_store(tmp_path: Path) -> Harness:
    """A blue incident on acme that escalates to yellow (news pickup), then one on zeta left at blue."""
    h = Harness(tmp_path, detection="fixed")
    outbox = Outbox(h.store, [Sink(NotifierConfig(kind="sink", name="ops"), NotifierContext(clock=VirtualClock(T0)))])
    h.engine.emit = outbox.enqueue
    h.post(*[sp(i, minutes(i)) for i in range(11)])
    h.post(sp(20, minutes(12), source="news", kind="news", outlet="daily.example"))
    h.post(*[sp(100 + i, minutes(20 + i), brand="zeta") for i in range(11)])
    return h


def test_summary_incidents_and_notifications_agree_with_the_store(tmp_path: Path) -> None:
    h = drill_store(tmp_path)
    loaded = load_config(write_config(tmp_path, "store: {path: other.db}\nplaybooks: @PLAYBOOKS@\n"))
    incidents = h.store.list_incidents(limit=100)
    acme = next(i for i in incidents if i.brand == "acme")
    ActionStore(h.store).mark(acme.id, "false_alarm", "ann", T0)
    report = json.loads(json.dumps(build_report(h.store, loaded, feed=Path("drill.jsonl"), run={"events": 23},
                                                now=minutes(60))))
    assert report["version"] == REPORT_VERSION and report["generated_at"] == "2026-03-01T09:00:00Z"
    assert report["feed"] == "drill.jsonl" and report["run"] == {"events": 23} and report["thresholds"]
    s = report["summary"]
    assert s["incidents"] == 2 == len(report["incidents"])
    assert s["notifications"] == len(report["notifications"]) == 3
    assert s["by_level"] == {"blue": 2, "yellow": 1} and s["by_transition"] == {"opened": 2, "escalated": 1}
    assert s["peak_level"] == "yellow" and s["false_alarms"] == 1
    rows = {i["brand"]: i for i in report["incidents"]}
    assert rows["acme"]["level"] == "yellow" and rows["acme"]["false_alarm"] is True
    assert rows["zeta"]["level"] == "blue" and rows["zeta"]["false_alarm"] is False
    assert [i["opened_at"] for i in report["incidents"]] == sorted(i["opened_at"] for i in report["incidents"])
    for n in report["notifications"]:
        assert "playbook_rendered" not in n and n["deliveries"][0]["notifier"] == "ops"


def test_an_empty_store_reports_nothing_at_peak(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    loaded = load_config(write_config(tmp_path, "store: {path: other.db}\nplaybooks: @PLAYBOOKS@\n"))
    report = build_report(h.store, loaded, feed=Path("f"), run={}, now=T0)
    assert report["summary"]["peak_level"] is None and report["incidents"] == report["notifications"] == []


def test_html_escapes_everything_it_shows_and_both_files_are_written(tmp_path: Path) -> None:
    h = drill_store(tmp_path)
    loaded = load_config(write_config(tmp_path, "store: {path: other.db}\nplaybooks: @PLAYBOOKS@\n"))
    report = build_report(h.store, loaded, feed=Path("<feed>.jsonl"), run={"bad_lines": ["line 3: <b>bad</b>"]},
                          now=T0)
    report["notifications"][0] = {**report["notifications"][0], "reason": "<script>alert(1)</script>"}
    page = render_html(report)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;feed&gt;.jsonl" in page and "line 3: &lt;b&gt;bad&lt;/b&gt;" in page
    js, html_path = write_report(report, tmp_path / "out")
    assert json.loads(js.read_text(encoding="utf-8")) == json.loads(json.dumps(report))
    assert html_path.read_text(encoding="utf-8") == page



def test_html_is_utf8_and_names_cjk_fonts_so_chinese_posts_render(tmp_path: Path) -> None:
    h = drill_store(tmp_path)
    loaded = load_config(write_config(tmp_path, "store: {path: other.db}\nplaybooks: @PLAYBOOKS@\n"))
    report = build_report(h.store, loaded, feed=Path("f.jsonl"), run={}, now=T0)
    report["notifications"][0] = {**report["notifications"][0], "reason": "艾克美水壶漏电"}
    _, html_path = write_report(report, tmp_path / "out")
    page = html_path.read_text(encoding="utf-8")
    assert '<meta charset="utf-8">' in page.lower() and "艾克美水壶漏电" in page
    assert '"Noto Sans CJK SC"' in page.split("</style>")[0]  # the Docker image installs fonts-noto-cjk
