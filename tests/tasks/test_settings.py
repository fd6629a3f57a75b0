"""``tasks:`` in monitor.yaml: every problem named with its file and place, and what the fix is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.errors import ConfigError
from monitor.tasks import TasksConfig
from tests.support import ROOT, write_config


def _problems(tmp_path: Path, tasks: str) -> list[str]:
    cfg = write_config(tmp_path, f"""\
        playbooks: @PLAYBOOKS@
        notifiers:
          - {{kind: webhook, name: alice-hook, url: "http://127.0.0.1:9/a"}}
        tasks:
{tasks}""")
    with pytest.raises(ConfigError) as info:
        load_config(cfg)
    return [str(p) for p in info.value.problems]


def test_unknown_people_and_notifiers_are_named(tmp_path: Path) -> None:
    got = _problems(tmp_path, """\
          people: {alice: {notifier: alice-hok}}
          roles: {PR: [alice, zed]}
        """)
    f = tmp_path / "monitor.yaml"
    assert got == [f"{f}: line 6 (tasks.roles): role 'PR' names unknown people 'zed'; add them under tasks.people "
                   f"(known: alice)"]
    got = _problems(tmp_path, """\
          people: {alice: {notifier: alice-hok}}
          check_interval: 0s
        """)
    assert got == [f"{f}: line 5 (tasks.people.alice.notifier): unknown notifier 'alice-hok' (configured: "
                   f"alice-hook); name one from notifiers:",
                   f"{f}: line 6 (tasks.check_interval): must be longer than 0s (write e.g. 30s, 5m or 1h)"]


def test_roles_match_without_case_or_spacing_and_may_not_repeat() -> None:
    cfg = TasksConfig.model_validate({"people": {"a": {}, "b": {}}, "roles": {"Regional  teams": ["a"]},
                                      "approvers": ["legal"]})
    assert cfg.owners("regional teams") == ["a"] and cfg.owners("REGIONAL TEAMS") == ["a"]
    assert cfg.owners("Tech") == [] and not cfg.may_approve("a")
    with pytest.raises(ValueError, match="roles 'PR', 'pr' are the same role"):
        TasksConfig.model_validate({"people": {"a": {}}, "roles": {"PR": ["a"], "pr": ["a"]}})
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        TasksConfig.model_validate({"people": {"a": {"email": "x"}}})


def test_the_documented_example_is_valid(tmp_path: Path) -> None:
    doc = (ROOT / "docs" / "tasks.md").read_text(encoding="utf-8")
    example = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    cfg = write_config(tmp_path, example.replace("playbooks: playbooks", "playbooks: @PLAYBOOKS@"))
    tasks = load_config(cfg).config.tasks
    assert tasks.owners("regional teams") == ["chen"] and tasks.may_approve("bob")
    assert tasks.people["alice"].notifier == "slack-alice"


def test_check_shows_who_holds_each_playbook_role(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from monitor.cli import main

    cfg = write_config(tmp_path, """\
        playbooks: @PLAYBOOKS@
        tasks:
          people: {alice: {}, bob: {}}
          roles: {pr: [alice], Legal: [bob, alice]}
        """)
    assert main(["check", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert ("  tasks:     Legal -> bob, alice; PR -> alice; unassigned: Customer service, Executives, "
            "Investor relations, Regional teams, Tech\n") in out
    assert main(["check", "--config", str(cfg), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["tasks"]["approvers"] == {"Legal": ["bob", "alice"]} and doc["tasks"]["owners"]["PR"] == ["alice"]
