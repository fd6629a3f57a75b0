"""monitor.yaml: every problem listed with file and line; secrets from the environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from monitor.config import default_config, load_config
from monitor.errors import ConfigError
from tests.support import ROOT, write_config

BROKEN = """\
store:
  path: state.db
engine:
  window: soon
  blue: {platform_posts: -1}
  colour: red
sources:
  - kind: rss
    name: news
    url: https://news.example/feed.xml
    interval: 5x
  - kind: telepathy
  - kind: reddit
notifiers:
  - kind: slack
    url: ${SLACK_URL_FOR_TEST}
    levels: [blue]
    colour: red
keywords: missing-keywords.yaml
"""


def test_every_problem_is_listed_with_file_and_line(tmp_path: Path) -> None:
    cfg = tmp_path / "monitor.yaml"
    cfg.write_text(BROKEN)
    with pytest.raises(ConfigError) as info:
        load_config(cfg, env={})
    f = str(cfg)
    assert [str(p) for p in info.value.problems] == [
        f"{tmp_path}/missing-keywords.yaml: file not found",
        f"{f}: line 4 (engine.window): not a duration: 'soon' (write e.g. 30s, 15m, 1h, 3d, 7w)",
        f"{f}: line 5 (engine.blue.platform_posts): Input should be greater than or equal to 0",
        f"{f}: line 6 (engine.colour): unknown field 'colour' (check the spelling; see the configuration reference)",
        f"{f}: line 11 (sources[0].interval): not a duration: '5x' (write e.g. 30s, 15m, 1h, 3d, 7w)",
        f"{f}: line 12 (sources[1].kind): unknown source kind 'telepathy' (known: appstore, bluesky, gdelt, github, "
        "google_news, hackernews, market, mastodon, reddit, replay, rss, stackexchange, trends, webhook, x, youtube)",
        f"{f}: line 13 (sources[2].query): missing required field 'query'",
        f"{f}: line 16 (notifiers[0].url): environment variable SLACK_URL_FOR_TEST is not set (export "
        "SLACK_URL_FOR_TEST=... or write ${SLACK_URL_FOR_TEST:-default})",
        f"{f}: line 18 (notifiers[0].colour): unknown field 'colour' (check the spelling; see the configuration "
        "reference)",
    ]


def test_check_command_prints_every_problem_and_exits_2(tmp_path: Path) -> None:
    cfg = tmp_path / "monitor.yaml"
    cfg.write_text(BROKEN)
    proc = subprocess.run([sys.executable, "-m", "monitor", "check", "--config", str(cfg)], capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert lines[0] == "error: configuration is invalid (9 problem(s)):"
    assert lines[3].endswith("line 5 (engine.blue.platform_posts): Input should be greater than or equal to 0")


def test_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    cfg = tmp_path / "monitor.yaml"
    cfg.write_text("store:\n  path: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_config(cfg)
    assert str(info.value).startswith(f"{cfg}: line 3, column 1: YAML syntax error: ")


def test_secrets_and_relative_paths(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, """\
        store: {path: data/state.db}
        playbooks: @PLAYBOOKS@
        notifiers:
          - kind: slack
            url: ${HOOK}
          - kind: webhook
            url: ${OTHER:-http://127.0.0.1:9/hook}
        """)
    loaded = load_config(cfg, env={"HOOK": "https://hooks.slack.example/services/T/B/X"})
    assert loaded.config.notifiers[0].url == "https://hooks.slack.example/services/T/B/X"  # type: ignore[attr-defined]
    assert loaded.config.notifiers[1].url == "http://127.0.0.1:9/hook"  # type: ignore[attr-defined]
    assert loaded.config.store.path == tmp_path / "data" / "state.db"
    assert loaded.config.keywords == tmp_path / "keywords.yaml"
    assert set(loaded.rules.brands) == {"acme"}


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, """\
        playbooks: @PLAYBOOKS@
        sources:
          - {kind: hackernews, query: acme}
          - {kind: hackernews, query: acme kettle}
        """)
    with pytest.raises(ConfigError) as info:
        load_config(cfg)
    assert [p.message for p in info.value.problems] == [
        "source name 'hackernews' is used twice (also sources[0]); give each a distinct 'name'"]


def test_two_webhook_sources_on_one_path_are_refused(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, """\
        playbooks: @PLAYBOOKS@
        sources:
          - {kind: webhook, name: zapier, token: aaaaaaaaaaaaaaaa1}
          - {kind: webhook, name: make, token: aaaaaaaaaaaaaaaa2, path: /ingest}
          - {kind: webhook, name: ifttt, token: aaaaaaaaaaaaaaaa3, path: /ingest/ifttt}
        """)
    with pytest.raises(ConfigError) as info:
        load_config(cfg)
    assert [str(p) for p in info.value.problems] == [
        f"{cfg}: line 4 (sources[1].path): path '/ingest' is already served by sources[0]; "
        "give each push source its own path, e.g. /ingest-2"]


def test_example_config_and_embedded_default_are_valid() -> None:
    loaded = load_config(ROOT / "monitor.example.yaml", env={})
    kinds = {s.kind for s in loaded.config.sources}
    assert {"google_news", "reddit", "trends", "market", "webhook"} <= kinds
    default = default_config()
    assert [s.kind for s in default.config.sources] == ["replay"]
    assert [n.kind for n in default.config.notifiers] == ["terminal"]
