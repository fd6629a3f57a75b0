"""Drills: the report contract, resuming the same recording, never mixing two recordings."""

from __future__ import annotations

import json
from pathlib import Path

from monitor.cli import main
from tests.support import ROOT

FEED = ROOT / "examples" / "acme-48h.jsonl"


def test_report_contract_and_a_second_recording_starts_fresh(tmp_path: Path, capsys) -> None:
    out = tmp_path / "report"
    assert main(["drill", str(FEED), "--report", str(out), "--speed", "max", "--no-color"]) == 0
    first = json.loads((out / "report.json").read_text())
    assert first["summary"]["peak_level"] == "red"
    for n in first["notifications"]:
        assert {"ts", "brand", "level", "transition", "incident_id", "playbook", "reason"} <= n.keys()
    # the same recording again: resumed at its end, nothing new, the same report
    assert main(["drill", str(FEED), "--report", str(out), "--speed", "max", "--no-color"]) == 0
    again = json.loads((out / "report.json").read_text())
    assert [n["id"] for n in again["notifications"]] == [n["id"] for n in first["notifications"]]
    assert again["run"]["events"] == 0 and again["run"]["resumed_from_line"] > 0
    # another recording into the same directory must not inherit the first one's incidents
    other = tmp_path / "other.jsonl"  # a calm day: Acme is mentioned, nobody complains
    other.write_text("".join(line + "\n" for line in FEED.read_text().splitlines()[:40]))
    assert main(["drill", str(other), "--report", str(out), "--speed", "max", "--no-color"]) == 0
    third = json.loads((out / "report.json").read_text())
    assert third["notifications"] == [] and third["incidents"] == []
    assert third["run"]["resumed_from_line"] == 0 and third["run"]["events"] == 40
    capsys.readouterr()
