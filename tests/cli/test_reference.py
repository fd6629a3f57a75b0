"""docs/configuration.md is generated from the config models and must not go stale."""

from __future__ import annotations

import re
from typing import get_args

from pydantic import BaseModel

from monitor.alerts.notifiers.base import NOTIFIERS
from monitor.cli import main
from monitor.cli.reference import render
from monitor.config import Config
from monitor.sources.base import SOURCES
from tests.support import ROOT

DOC = ROOT / "docs" / "configuration.md"


def test_the_committed_reference_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/configuration.md is stale: run `python -m monitor reference --out docs/configuration.md`")


def test_every_kind_and_section_is_there_and_no_field_lacks_a_description() -> None:
    text = render()
    for kind in SOURCES.kinds():
        assert re.search(rf"^### `{kind}` \((polled|streaming|push)\)$", text, re.M), kind
    for kind in NOTIFIERS.kinds():
        assert f"\n### `{kind}`\n" in text, kind
    for section, info in Config.model_fields.items():
        if section in ("sources", "notifiers"):
            continue
        models = (info.annotation, *get_args(info.annotation))  # a model, or an optional one (bus)
        if any(isinstance(a, type) and issubclass(a, BaseModel) for a in models):
            assert f"\n### `{section}`\n" in text, section
        else:
            assert f"\n| `{section}` | " in text, section
    rows = [ln for ln in text.splitlines() if ln.startswith("| `")]
    empty = [ln.split("|")[1].strip() for ln in rows if ln.rstrip().endswith("|  |")]
    assert not empty, f"fields without a description: {empty}"
    assert "| `security` | starttls\\|ssl\\|none | `starttls` |" in text
    assert "`none` (port 25) sends in the clear" in text
    assert "| `server.host` | string | `127.0.0.1` |" in text
    assert "DESIGN" not in text and ":class:" not in text


def test_the_cli_writes_it(tmp_path, capsys) -> None:
    out = tmp_path / "ref.md"
    assert main(["reference", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == render()
