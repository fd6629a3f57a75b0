"""Paths resolve beside the config file first, then to the bundled defaults; each resolution is logged."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.defaults import bundled, resolve
from monitor.errors import ConfigError
from tests.support import ROOT


def test_a_copied_example_config_alone_runs_on_the_bundled_rules_and_playbooks(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cfg = tmp_path / "monitor.yaml"
    shutil.copy(ROOT / "monitor.example.yaml", cfg)
    with caplog.at_level(logging.INFO, logger="monitor.defaults"):
        loaded = load_config(cfg, env={})
    assert loaded.config.keywords == bundled("keywords.yaml")
    assert loaded.config.playbooks == bundled("playbooks")
    assert "acme" in loaded.rules.brands
    messages = [r.getMessage() for r in caplog.records]
    assert f"keywords: {tmp_path / 'keywords.yaml'} not found beside the config file; using the bundled default " \
           f"{bundled('keywords.yaml')}" in messages
    assert any(m.startswith("playbooks: ") and "bundled default" in m for m in messages)


def test_files_beside_the_config_win_over_the_bundled_ones(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "keywords.yaml").write_text(
        "brands:\n  kettleco: {name: KettleCo}\nrules:\n  - {id: k1, brand: kettleco, category: quality, "
        "query: kettle AND broken}\n")
    cfg = tmp_path / "monitor.yaml"
    cfg.write_text("store: {path: m.db}\n")
    with caplog.at_level(logging.INFO, logger="monitor.defaults"):
        loaded = load_config(cfg, env={})
    assert loaded.config.keywords == tmp_path / "keywords.yaml"
    assert list(loaded.rules.brands) == ["kettleco"]
    assert f"keywords: {tmp_path / 'keywords.yaml'} (relative to the config file)" in caplog.messages


def test_a_named_file_that_is_missing_is_an_error_not_a_silent_substitute(tmp_path: Path) -> None:
    cfg = tmp_path / "monitor.yaml"
    cfg.write_text("keywords: rules/acme.yaml\nplaybooks: my-playbooks\n")
    with pytest.raises(ConfigError) as info:
        load_config(cfg, env={})
    assert sorted(str(p) for p in info.value.problems) == [f"{tmp_path}/my-playbooks: playbook directory not found",
                                                            f"{tmp_path}/rules/acme.yaml: file not found"]


def test_absolute_paths_are_taken_as_written(tmp_path: Path) -> None:
    assert resolve(tmp_path / "nowhere.yaml", Path("/elsewhere"), "keywords") == tmp_path / "nowhere.yaml"
    assert resolve("keywords.yaml", tmp_path, "keywords") == bundled("keywords.yaml")


def test_the_environment_sets_host_port_token_and_data_dir(tmp_path: Path) -> None:
    cfg = tmp_path / "monitor.yaml"
    cfg.write_text("store: {path: monitor.db}\nserver: {host: 127.0.0.1, port: 9000}\n")
    env = {"MONITOR_HOST": "0.0.0.0", "MONITOR_PORT": "8081", "MONITOR_API_TOKEN": "s3cret-token",
           "MONITOR_DATA_DIR": str(tmp_path / "data")}
    cfg_ = load_config(cfg, env=env).config
    assert (cfg_.server.host, cfg_.server.port, cfg_.server.api_token) == ("0.0.0.0", 8081, "s3cret-token")
    assert cfg_.store.path == tmp_path / "data" / "monitor.db"
    plain = load_config(cfg, env={}).config
    assert (plain.server.host, plain.server.port, plain.store.path) == ("127.0.0.1", 9000, tmp_path / "monitor.db")


def test_an_open_host_from_the_environment_without_a_token_is_refused_with_the_fix(tmp_path: Path) -> None:
    cfg = tmp_path / "monitor.yaml"
    cfg.write_text("store: {path: m.db}\n")
    with pytest.raises(ConfigError) as info:
        load_config(cfg, env={"MONITOR_HOST": "0.0.0.0"})
    assert "server.host '0.0.0.0' is not a loopback address and no server.api_token is set" in str(info.value)
    with pytest.raises(ConfigError) as info:
        load_config(cfg, env={"MONITOR_PORT": "http"})
    assert "MONITOR_PORT must be a port number, got 'http'" in str(info.value)


def test_only_the_default_names_fall_back(tmp_path: Path) -> None:
    # README.md and examples/make_demo_feed.py exist in a checkout, but are not bundled defaults
    assert resolve("README.md", tmp_path, "keywords") == tmp_path / "README.md"
    assert resolve("examples/make_demo_feed.py", tmp_path, "source x") == tmp_path / "examples" / "make_demo_feed.py"
    assert resolve("examples/acme-48h.jsonl", tmp_path, "source x") == bundled("examples/acme-48h.jsonl")


def test_a_token_in_the_file_wins_over_the_environment(tmp_path: Path) -> None:
    cfg = tmp_path / "monitor.yaml"
    cfg.write_text("store: {path: m.db}\nserver: {api_token: from-the-file-0123456789}\n")
    server = load_config(cfg, env={"MONITOR_API_TOKEN": "from-the-environment"}).config.server
    assert server.api_token == "from-the-file-0123456789"
