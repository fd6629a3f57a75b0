"""`monitor users ...`: accounts from the command line, passwords from stdin, every change audited."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.console.users import Accounts
from monitor.store import Store
from monitor.store_actions import ActionStore
from tests.support import write_config


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    return write_config(tmp_path, """\
        store: {path: state.db}
        playbooks: @PLAYBOOKS@
        """)


def test_add_reads_the_password_from_stdin_and_lists(cfg: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough secret\n"))
    assert main(["users", "add", "alice", "--role", "responder", "--config", str(cfg)]) == 0
    assert "account alice (responder) added" in capsys.readouterr().out
    store = Store(cfg.parent / "state.db")
    assert Accounts(store).check("alice", "a long enough secret").role == "responder"
    assert "a long enough secret" not in repr(store.query("SELECT * FROM console_users"))
    assert main(["users", "list", "--json", "--config", str(cfg)]) == 0
    assert json.loads(capsys.readouterr().out) == [{"name": "alice", "role": "responder", "timezone": None,
                                                    "disabled": False}]
    assert main(["users", "role", "alice", "admin", "--config", str(cfg)]) == 0
    assert main(["users", "disable", "alice", "--config", str(cfg)]) == 0
    assert Accounts(store).check("alice", "a long enough secret") is None
    assert [a["action"] for a in ActionStore(store).audit_log()] == ["user_add", "user_role", "user_disable"]


def test_bad_input_exits_2_and_usage_64(cfg: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "add", "bob", "--role", "viewer", "--config", str(cfg)]) == 2
    assert "error: a password must be 8-1024 characters" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["users", "add", "bob", "--role", "viewer", "--config", str(cfg)]) == 2
    assert "no password on stdin" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough secret\n"))
    assert main(["users", "add", "bob", "--role", "viewer", "--timezone", "Mars/Base", "--config", str(cfg)]) == 2
    assert "unknown time zone 'Mars/Base'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["users", "add", "bob", "--role", "root", "--config", str(cfg)])
    assert exc.value.code == 64
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough secret\n"))
    assert main(["users", "add", "bob", "--role", "viewer", "--config", str(cfg)]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough secret\n"))
    assert main(["users", "add", "bob", "--role", "viewer", "--config", str(cfg)]) == 2
    assert "an account 'bob' exists already" in capsys.readouterr().err
