"""Playbooks: validated at load time with exact messages; rendered per alert."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.alerts.playbooks import load_playbooks
from monitor.errors import ConfigError
from tests.support import ROOT


@pytest.fixture
def pb_dir(tmp_path: Path) -> Path:
    d = tmp_path / "playbooks"
    shutil.copytree(ROOT / "playbooks", d)
    return d


def test_shipped_playbooks_cover_every_level_with_the_3_7_21_plan() -> None:
    pbs = load_playbooks(ROOT / "playbooks")
    for level in ("blue", "yellow", "red"):
        pb = pbs.get(level)
        assert sorted(f.after for f in pb.follow_up) == [timedelta(days=3), timedelta(days=21), timedelta(weeks=7)]
    red = pbs.get("red")
    roles = {t.role for t in red.tasks}
    assert {"PR", "Legal", "Tech", "Regional teams", "Executives"} <= roles
    assert next(t for t in red.tasks if t.role == "PR").deadline == timedelta(hours=1)
    assert pbs.get("red", "safety").id == "red-safety"
    assert pbs.get("red", "pricing").id == "red"  # no category file: the level's playbook


def test_rendering_fills_the_statement_and_dates(make_alert) -> None:
    alert = make_alert(level="yellow", transition="escalated")
    pb = alert.playbook
    assert "Acme is aware of reports" in pb.statement
    assert pb.ack_due == alert.ts + timedelta(minutes=30)
    assert pb.tasks[0].due == alert.ts + timedelta(hours=1)
    assert pb.follow_up[1].describe().startswith("+21d (")  # in the order they fall due


def test_bad_playbooks_are_reported_with_file_and_place(pb_dir: Path) -> None:
    (pb_dir / "blue.yaml").write_text((pb_dir / "blue.yaml").read_text().replace("{brand_name}", "{brand_nmae}"))
    (pb_dir / "yellow.yaml").unlink()
    (pb_dir / "red.yaml").write_text((pb_dir / "red.yaml").read_text().replace("ack_deadline: 15m",
                                                                             "ack_deadline: quickly"))
    (pb_dir / "purple.yaml").write_text("title: x\n")
    with pytest.raises(ConfigError) as info:
        load_playbooks(pb_dir)
    got = [str(p) for p in info.value.problems]
    assert got == [
        f"{pb_dir}/blue.yaml: line 20 (statement): statement uses unknown placeholder(s) {{brand_nmae}}; known: "
        "{brand}, {brand_name}, {level}, {category}, {date}, {time}, {reason}, {incident_id}, {owner}, "
        "{negative_posts}, {platforms}, {reposts}, {story}",
        f"{pb_dir}/purple.yaml: file name must be <level>.yaml or <level>-<category>.yaml with level one of blue, "
        "yellow, red",
        f"{pb_dir}/red.yaml: line 5 (ack_deadline): not a duration: 'quickly' (write e.g. 30s, 15m, 1h, 3d, 7w)",
        f"{pb_dir}/yellow.yaml: missing: every level needs a playbook (yellow.yaml)",
    ]
