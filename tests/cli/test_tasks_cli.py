"""`monitor tasks list|done|statement`: the checklist from a shell, on a fixed clock, audited, exit codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.cli import main
from monitor.clock import VirtualClock
from monitor.config import load_config
from monitor.store import Store
from monitor.store_actions import ActionStore
from tests.alerts.conftest import make_alert, playbooks  # noqa: F401  (fixtures shared with tests/alerts)
from tests.support import write_config
from tests.tasks.conftest import seed

LEVEL_AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
NOW = LEVEL_AT + timedelta(hours=1, seconds=1)  # the red playbook's 1h tasks are one second overdue


@pytest.fixture
def cfg(tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr("monitor.cli.tasks.SystemClock", lambda: VirtualClock(NOW))
    path = write_config(tmp_path, """\
        store: {path: state.db}
        playbooks: @PLAYBOOKS@
        tasks:
          people: {alice: {}, bob: {}}
          roles: {PR: [alice], Legal: [bob]}
        """)
    loaded = load_config(path)
    store = Store(loaded.config.store.path)
    seed(store, request.getfixturevalue("make_alert"), loaded.config.tasks, level="red", at=LEVEL_AT)
    store.close()
    return path


def run(cfg: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    code = main(["tasks", *args, "--config", str(cfg)])
    out, err = capsys.readouterr()
    try:
        return code, json.loads(out), err
    except ValueError:
        return code, out, err


def test_list_done_and_overdue(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, tasks, _ = run(cfg, capsys, "list", "--json")
    assert code == 0 and len(tasks) == 6 + 5 + 3  # red: six role tasks, five media contacts, three follow-ups
    code, overdue, _ = run(cfg, capsys, "list", "--overdue", "--json")
    assert [(t["role"], t["owners"]) for t in overdue] == [("Executives", []), ("PR", ["alice"])]
    pr = overdue[1]["id"]
    code, text, _ = run(cfg, capsys, "list", "--incident", "acme-20260301-080000")
    assert code == 0 and "incident acme-20260301-080000" in text and f"{pr}  OVERDUE red" in text
    assert "PR [alice]: Holding statement out within the hour" in text
    code, done, _ = run(cfg, capsys, "done", pr, "--by", "alice", "--json")
    assert code == 0 and (done["done_by"], done["done_at"], done["outcome"]) == ("alice", "2026-03-01T09:00:01Z",
                                                                                 "late")
    code, overdue, _ = run(cfg, capsys, "list", "--overdue", "--json")
    assert [t["role"] for t in overdue] == ["Executives"]
    code, _, err = run(cfg, capsys, "done", "t-nope")
    assert code == 2 and "no task 't-nope'" in err
    code, done, _ = run(cfg, capsys, "done", pr, "--undo", "--by", "alice", "--json")
    assert code == 0 and done["done"] is False


def test_statement_edit_and_approve(cfg: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    inc = "acme-20260301-080000"
    code, text, _ = run(cfg, capsys, "statement", inc)
    assert code == 0 and text.startswith(f"statement of {inc}: DRAFT (version 1, brand-monitor at ")
    (tmp_path / "s.txt").write_text("Acme is investigating. 我们正在调查。", encoding="utf-8")
    code, st, _ = run(cfg, capsys, "statement", inc, "--edit", str(tmp_path / "s.txt"), "--by", "alice", "--json")
    assert code == 0 and (st["state"], st["text"], st["author"]) == ("edited", "Acme is investigating. 我们正在调查。",
                                                                     "alice")
    code, _, err = run(cfg, capsys, "statement", inc, "--approve", "--by", "alice")
    assert code == 2 and "alice may not approve statements: approvers are the people of the role(s) Legal" in err
    code, st, _ = run(cfg, capsys, "statement", inc, "--approve", "--by", "bob", "--version", "2", "--json")
    assert code == 0 and (st["state"], st["approved_by"], st["approved_at"]) == ("approved", "bob",
                                                                                 "2026-03-01T09:00:01Z")
    code, _, err = run(cfg, capsys, "statement", inc, "--edit", str(tmp_path / "missing.txt"))
    assert code == 2 and "cannot read the statement text" in err
    code, _, err = run(cfg, capsys, "statement", "nope")
    assert code == 2 and "no statement for incident 'nope'" in err
    with pytest.raises(SystemExit) as info:
        main(["tasks", "statement", inc, "--edit", "x", "--approve", "--config", str(cfg)])
    assert info.value.code == 64
    store = Store(load_config(cfg).config.store.path)
    log = [(e["actor"], e["channel"], e["action"], e["detail"].get("ok")) for e in ActionStore(store).audit_log(inc)]
    store.close()
    assert sorted(log, key=str) == sorted([("alice", "cli", "statement_edit", None),  # one instant: any order
                                           ("alice", "cli", "statement_approve", False),
                                           ("bob", "cli", "statement_approve", True)], key=str)
