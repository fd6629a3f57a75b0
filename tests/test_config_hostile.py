"""Config that used to crash or lie: each is now a clear error with its file, place and fix."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.durations import parse_duration
from monitor.errors import ConfigError
from monitor.nlp.keywords import load_rules
from monitor.yamlio import parse_yaml
from tests.support import write_config

LYING = """\
store: {path: state.db}
playbooks: @PLAYBOOKS@
server:
  port: yes
engine:
  window: 0s
  red: {stock_move_pct: .inf}
  quiet_period: 99999999999999999999w
runtime:
  user_agent: ${1BAD
sources:
  - kind: rss
    url: https://news.example/feed.xml
    interval: 0s
notifiers:
  - kind: terminal
    levels: [yelow, red]
    transitions: [opened, acknowleged]
"""


def test_config_that_lied_lists_every_problem(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, LYING)
    with pytest.raises(ConfigError) as info:
        load_config(cfg, env={})
    f = str(cfg)
    assert [str(p) for p in info.value.problems] == [
        f"{f}: line 4 (server.port): must be a whole number, got True (write e.g. 8080)",
        f"{f}: line 6 (engine.window): must be longer than 0s (write e.g. 30s, 5m or 1h)",
        f"{f}: line 7 (engine.red.stock_move_pct): must be a finite number, got inf",
        f"{f}: line 8 (engine.quiet_period): duration '99999999999999999999w' is too long; the most is 100 years "
        "(5200w)",
        f"{f}: line 10 (runtime.user_agent): malformed variable reference '${{1BAD'; write ${{NAME}} or "
        "${NAME:-default} (a name is letters, digits and _, not starting with a digit)",
        f"{f}: line 14 (sources[0].interval): must be longer than 0s (write e.g. 30s, 5m or 1h)",
        f"{f}: line 17 (notifiers[0].levels[0]): unknown level 'yelow'; did you mean 'yellow'? "
        "(known: blue, yellow, red, system)",
        f"{f}: line 18 (notifiers[0].transitions[1]): unknown transition 'acknowleged'; did you mean "
        "'acknowledged'? (known: opened, escalated, updated, repeated, overdue, acknowledged, resolved, "
        "blind_spot, recovered, task_overdue)",
    ]


def test_any_port_refuses_yes(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, "store: {path: s.db}\nplaybooks: @PLAYBOOKS@\nnotifiers:\n  - {kind: email, "
                                 "host: 127.0.0.1, port: on, sender: a@b.example, to: [c@d.example]}\n")
    with pytest.raises(ConfigError) as info:
        load_config(cfg, env={})
    assert [str(p) for p in info.value.problems] == [
        f"{cfg}: line 4 (notifiers[0].port): must be a whole number, got True (write e.g. 8080)"]


def test_a_valid_port_from_the_environment_still_works(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, "store: {path: s.db}\nplaybooks: @PLAYBOOKS@\nserver: {port: '${PORT:-8081}'}\n")
    assert load_config(cfg, env={}).config.server.port == 8081


def _problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_yaml(text, "monitor.yaml")
    return [str(p) for p in info.value.problems]


def test_duplicate_keys_name_both_lines() -> None:
    assert _problems("server:\n  port: 80\n  host: 127.0.0.1\n  port: 8080\nengine: {}\nengine: {}\n") == [
        "monitor.yaml: line 6: duplicate key 'engine' (also on line 5); keep one of them",
        "monitor.yaml: line 4: duplicate key 'port' (also on line 2); keep one of them",
    ]


def test_recursive_alias_is_an_error() -> None:
    assert _problems("a: &x\n  - *x\n") == [
        "monitor.yaml: line 1: the value anchored here is used inside itself (a recursive alias); it can never be "
        "written out"]


def test_deep_nesting_is_an_error_not_a_recursion_error() -> None:
    assert _problems("a: " + "[" * 20_000 + "]" * 20_000) == [
        "monitor.yaml: nesting is too deep to read; a config has at most 64 levels of lists and mappings"]
    assert _problems("a: " + "[" * 100 + "]" * 100) == [
        "monitor.yaml: line 1: nesting is deeper than 64 levels; flatten the structure"]


def test_anchor_bomb_is_refused_quickly() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    start = time.monotonic()
    problems = _problems("\n".join(lines))
    assert time.monotonic() - start < 20  # it used to run out of memory after 24 s; bound it loosely here
    assert problems == ["monitor.yaml: line 1: the document expands to more than 500,000 values (aliases of "
                        "aliases: a YAML 'billion laughs' bomb?); write the values out or use fewer aliases"]


def test_values_python_cannot_build_are_errors() -> None:
    assert _problems("a: " + "9" * 5000)[0].startswith("monitor.yaml: a value cannot be read: Exceeds the limit")
    assert _problems("a: 2026-13-45") == ["monitor.yaml: a value cannot be read: month must be in 1..12"]


@pytest.mark.parametrize(("value", "message"), [
    ("9" * 30 + "h", "duration '999999999999999999999999999999h' is too long; the most is 100 years (5200w)"),
    (1e300, "duration 1e+300 is too long; the most is 100 years (5200w)"),
    ("10**5000", "duration a huge number is too long; the most is 100 years (5200w)"),
    (float("nan"), "not a duration: nan (write e.g. 30s, 15m, 1h, 3d, 7w)"),
])
def test_huge_durations_are_value_errors(value: object, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(10**5000 if value == "10**5000" else value)
    assert str(info.value) == message


def test_five_thousand_nested_parentheses_are_a_rule_error(tmp_path: Path) -> None:
    kw = tmp_path / "keywords.yaml"
    deep = "(" * 5000 + "acme" + ")" * 5000
    nots = "NOT " * 3000 + "acme"
    kw.write_text(f"brands:\n  acme: {{name: Acme}}\nrules:\n"
                  f"  - {{id: deep, brand: acme, category: quality, query: '{deep}'}}\n"
                  f"  - {{id: nots, brand: acme, category: quality, query: '{nots}'}}\n")
    with pytest.raises(ConfigError) as info:
        load_rules(kw)
    assert [(p.place, p.message) for p in info.value.problems] == [
        ("rule deep: column 33", "nested more than 32 levels deep (parentheses or NOTs); simplify the query"),
        ("rule nots: column 129", "nested more than 32 levels deep (parentheses or NOTs); simplify the query"),
    ]


def test_an_open_api_is_listed_beside_other_server_problems(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, "store: {path: s.db}\nplaybooks: @PLAYBOOKS@\n"
                                 "server:\n  host: 0.0.0.0\n  port: yes\n  api_token: ${MONITOR_API_TOKEN:-}\n")
    with pytest.raises(ConfigError) as info:
        load_config(cfg, env={})
    assert [p.place for p in info.value.problems] == ["line 3 (server)", "line 5 (server.port)"]
    assert info.value.problems[0].message.startswith("server.host '0.0.0.0' is not a loopback address")
    cfg.write_text(cfg.read_text().replace("port: yes", "port: 0"))
    assert load_config(cfg, env={"MONITOR_API_TOKEN": "t" * 20}).config.server.host == "0.0.0.0"
