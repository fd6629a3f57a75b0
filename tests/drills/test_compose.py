"""`monitor scenario compose`: deterministic with a seed, exact phase marks, valid events, clear errors;
every shipped scenario reaches the levels it expects through a real drill (the false alarm stays quiet)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.backtest import marked_bursts
from monitor.cli import main
from monitor.config import load_for_cli
from monitor.drill import run_drill
from monitor.feed import BadLine, read_feed
from monitor.models import parse_ts
from tests.support import ROOT, WordScorer

SCENARIOS = ROOT / "examples" / "scenarios"
AT = ["--at", "2026-03-07T02:30", "--tz", "Asia/Shanghai"]


def compose(tmp_path: Path, scenario: str, *extra: str, name: str = "drill.jsonl") -> Path:
    out = tmp_path / name
    assert main(["scenario", "compose", "--baseline", "generated", "--inject", str(SCENARIOS / f"{scenario}.yaml"),
                 *AT, "--out", str(out), *extra]) == 0
    return out


def test_same_seed_same_bytes_other_seed_other_drill(tmp_path: Path) -> None:
    a = compose(tmp_path, "product-safety-rumour", "--seed", "7", name="a.jsonl").read_bytes()
    b = compose(tmp_path, "product-safety-rumour", "--seed", "7", name="b.jsonl").read_bytes()
    c = compose(tmp_path, "product-safety-rumour", "--seed", "8", name="c.jsonl").read_bytes()
    assert a == b and a != c


def test_phase_marks_are_exact_and_every_line_is_a_valid_sorted_event(tmp_path: Path) -> None:
    out = compose(tmp_path, "product-safety-rumour", "--seed", "3")
    items = [item for _, item in read_feed(out)]
    assert not [i for i in items if isinstance(i, BadLine)]
    times = [i.ts for i in items]
    assert times == sorted(times)
    infos = [json.loads(line) for line in out.read_text().splitlines() if '"phase_info"' in line]
    # 02:30 Saturday in Shanghai is 18:30 UTC on Friday; phases at +0, +45m, +1h45m
    assert [(i["phase"], i["phase_info"]["start"], i["phase_info"]["expect"]) for i in infos] == [
        ("first-reports", "2026-03-06T18:30:00Z", "blue"), ("news-pickup", "2026-03-06T19:15:00Z", "yellow"),
        ("trending", "2026-03-06T20:15:00Z", "red")]
    for i in infos:  # each phase's first event is at its start; nothing of the phase is earlier
        assert i["ts"] == i["phase_info"]["start"]
    phase_events = [json.loads(line) for line in out.read_text().splitlines() if '"burst"' in line]
    for i in infos:
        mine = [e for e in phase_events if e["phase"] == i["phase"]]
        assert min(parse_ts(e["ts"]) for e in mine) == parse_ts(i["phase_info"]["start"])
        assert {e["burst"] for e in mine} == {f"product-safety-rumour/{i['phase']}"}
    # 40/h for 45 min = 30 posts; 60/h for 1 h + one news article; 90/h + one trend + one quote
    counts = {p: sum(1 for e in phase_events if e["phase"] == p) for p in ("first-reports", "news-pickup", "trending")}
    assert counts == {"first-reports": 30, "news-pickup": 61, "trending": 92}
    # backtest reads the same marks: three bursts starting at the phases' starts
    bursts = marked_bursts(load_for_cli(None), out)
    assert [(b.name, b.start) for b in bursts] == [
        ("product-safety-rumour/first-reports", datetime(2026, 3, 6, 18, 30, tzinfo=UTC)),
        ("product-safety-rumour/news-pickup", datetime(2026, 3, 6, 19, 15, tzinfo=UTC)),
        ("product-safety-rumour/trending", datetime(2026, 3, 6, 20, 15, tzinfo=UTC))]
    assert all(b.brands == {"acme"} for b in bursts)


def test_recorded_baseline_is_kept_and_moved_to_cover_at(tmp_path: Path) -> None:
    base = tmp_path / "base.jsonl"  # two events on 2026-03-02 and a broken line
    base.write_text('{"type": "post", "ts": "2026-03-02T10:00:00Z", "source": "x", "id": "1", "text": "hello", '
                    '"custom": 1}\nnot json\n{"type": "post", "ts": "2026-03-02T20:00:00Z", "source": "x", '
                    '"id": "2", "text": "bye"}\n')
    out = tmp_path / "d.jsonl"
    assert main(["scenario", "compose", "--baseline", str(base), "--inject",
                 str(SCENARIOS / "viral-service-complaint.yaml"), "--at", "2026-03-06T18:30Z", "--out", str(out),
                 "--json"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    kept = [r for r in rows if r["id"] in ("1", "2")]
    assert [(r["ts"], r.get("custom")) for r in kept] == [("2026-03-06T10:00:00Z", 1), ("2026-03-06T20:00:00Z", None)]


@pytest.mark.parametrize(("text", "message"), [
    ("scenario: x\nbrand: acme\nphases:\n  - name: a\n    expect: purple\n    colour: red\n",
     ["bad.yaml: line 5 (phases[0].expect): Input should be 'none', 'blue', 'yellow' or 'red'",
      "bad.yaml: line 6 (phases[0].colour): unknown field 'colour' (check the spelling; see docs/scenarios.md)"]),
    ("scenario: x\nbrand: acme\nphases:\n  - name: a\n    rate: 10\n    texts: {en: [hi]}\n",
     ["bad.yaml: line 4 (phases[0]): phase 'a' has a rate but no channels; add e.g. channels: [weibo, x]"]),
    ("scenario: x\nbrand: acme\nphases:\n  - name: a\n    duration: 30m\n    news: [{at: 40m, outlet: n.example}]\n",
     ["bad.yaml: line 4 (phases[0]): news[0].at 40m is after the phase's end (30m); lengthen duration or move it "
      "earlier"]),
    ("scenario: x\nbrand: acme\nphases:\n  - name: a\n    stock: [{at: 5m, change_pct: -6}]\n",
     ["bad.yaml: line 1: stock moves need the brand's ticker: add e.g. ticker: ACME"]),
    ("scenario: x\nbrand: acme\n", ["bad.yaml: line 1 (phases): missing required field 'phases'"]),
])
def test_bad_scenarios_are_refused_with_exact_messages(tmp_path: Path, capsys, text: str,
                                                       message: list[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    assert main(["scenario", "compose", "--baseline", "generated", "--inject", str(bad), *AT,
                 "--out", str(tmp_path / "x.jsonl")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"error: scenario is invalid ({len(message)} problem(s)):"
    assert [line.strip().replace(str(tmp_path) + "/", "") for line in err[1:]] == message
    assert not (tmp_path / "x.jsonl").exists()


def test_bad_at_and_zone_are_input_errors(tmp_path: Path, capsys) -> None:
    args = ["scenario", "compose", "--baseline", "generated", "--inject", str(SCENARIOS / "data-leak.yaml"),
            "--out", str(tmp_path / "x.jsonl")]
    assert main([*args, "--at", "saturday"]) == 2
    assert main([*args, "--at", "2026-03-07T02:30", "--tz", "Mars/Olympus"]) == 2
    err = capsys.readouterr().err
    assert "--at 'saturday' is not a time (write e.g. 2026-03-07T02:30)" in err
    assert "--tz 'Mars/Olympus' is not a known time zone" in err


EXPECTED = {"product-safety-rumour": ["blue", "yellow", "red"], "data-leak": ["blue", "yellow", "red"],
            "executive-misconduct": ["blue", "yellow", "red"], "viral-service-complaint": ["blue", "yellow"],
            "fabricated-claim": ["blue", "yellow", "red"], "quiet-false-alarm": []}


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_every_shipped_scenario_reaches_its_expected_levels_in_a_drill(tmp_path: Path, scenario: str) -> None:
    feed = compose(tmp_path, scenario, "--seed", "1")
    report = asyncio.run(run_drill(load_for_cli(None), feed, report_dir=tmp_path / "report", scorer=WordScorer(),
                                   color=False))
    reached = [n["level"] for n in report["notifications"] if n["transition"] in ("opened", "escalated")]
    assert reached == EXPECTED[scenario]
    card = report["scorecard"]
    assert card["scenario"] == scenario
    assert card["passed"] is True
    for row in card["levels"]:
        assert row["detected"] is True and row["latency_minutes"] is not None and row["latency_minutes"] >= 0
    if scenario == "quiet-false-alarm":
        assert card["levels"] == [] and card["false_alarm"] == {"expected_quiet": True, "incidents": 0}
