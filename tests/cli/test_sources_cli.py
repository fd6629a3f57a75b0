"""`monitor sources list | show`: every registered kind, and a reference generated from its config."""

from __future__ import annotations

import argparse
import json

import pytest

from monitor.cli import sources as sources_cli
from monitor.plugins import describe
from monitor.sources.base import SOURCES


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="monitor")
    sources_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_list_names_every_registered_kind_with_its_description(capsys) -> None:
    code, out, _ = run(capsys, "sources", "list")
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == SOURCES.kinds()
    for kind, cls in SOURCES.items():
        assert any(line.split()[0] == kind and line.endswith(describe(cls)) for line in lines)
    for kind in ("replay", "rss", "google_news", "youtube", "reddit", "hackernews", "mastodon", "bluesky"):
        assert kind in out.split()


def test_list_json(capsys) -> None:
    code, out, _ = run(capsys, "sources", "list", "--json")
    rows = json.loads(out)
    assert code == 0 and [r["kind"] for r in rows] == SOURCES.kinds()
    by_kind = {r["kind"]: r for r in rows}
    assert by_kind["rss"] == {"kind": "rss", "mode": "polled", "description": describe(SOURCES.get("rss"))}
    assert by_kind["replay"]["mode"] == "streaming"


def test_bare_sources_lists(capsys) -> None:
    code, out, _ = run(capsys, "sources")
    assert code == 0 and out.splitlines()[0].split()[0] == SOURCES.kinds()[0]


def test_show_prints_settings_with_defaults_and_descriptions(capsys) -> None:
    code, out, _ = run(capsys, "sources", "show", "reddit")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"reddit (polled): {describe(SOURCES.get('reddit'))}"
    table = lines[lines.index(next(line for line in lines if line.startswith("setting"))):]
    assert table[0].split() == ["setting", "type", "default", "description"]
    assert table[1].split() == ["kind", "string", "reddit"]
    rows = {line.split()[0]: line for line in table[1:]}
    assert rows["query"].split()[:3] == ["query", "string", "(required)"]
    assert rows["client_secret"].split()[:4] == ["client_secret", "secret", "or", "null"]
    assert rows["post_kind"].split()[:3] == ["post_kind", "forum|social", "forum"]
    assert rows["interval"].split()[:3] == ["interval", "duration", "5m"]
    assert rows["interval"].endswith("how often to poll")
    assert list(rows).index("query") < list(rows).index("timeout")  # the kind's own settings come first


def test_show_json_is_the_config_model(capsys) -> None:
    code, out, _ = run(capsys, "sources", "show", "google_news", "--json")
    data = json.loads(out)
    assert code == 0 and data["kind"] == "google_news" and data["mode"] == "polled"
    fields = {f["name"]: f for f in data["fields"]}
    assert set(fields) == set(SOURCES.get("google_news").Config.model_fields)
    assert fields["hl"] == {"name": "hl", "type": "string", "default": "en-US", "required": False,
                            "description": "edition language: en-US, en-GB, zh-CN, zh-TW, ja, ..."}
    assert fields["query"]["required"] is True and fields["query"]["default"] is None
    assert fields["expected_update_period"]["default"] == "1d"
    assert "hl/gl/ceid" in data["doc"]


@pytest.mark.parametrize("kind", SOURCES.kinds())
def test_show_works_for_every_kind(capsys, kind: str) -> None:
    code, out, _ = run(capsys, "sources", "show", kind, "--json")
    assert code == 0 and json.loads(out)["kind"] == kind


def test_show_unknown_kind(capsys) -> None:
    code, out, err = run(capsys, "sources", "show", "myspace")
    assert code == 2 and out == ""
    assert err == f"error: unknown source kind 'myspace'; known kinds: {', '.join(SOURCES.kinds())}\n"
