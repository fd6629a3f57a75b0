"""The README's two set-up commands are the ones CI runs and the ones that exist."""

from __future__ import annotations

import re

from monitor.cli import build_parser
from tests.support import ROOT


def test_readme_starts_with_the_demo_and_test_commands_and_ci_runs_the_second() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", readme, re.S)
    assert block is not None and readme.index(block.group(0)) < readme.index("\n## ")
    demo, tests = block.group(1).strip().splitlines()
    assert demo == "pip install torch==2.13.0 -e . && monitor demo"
    assert tests == 'pip install torch==2.13.0 -e ".[dev]" && python -m pytest -q'
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'pip install torch==2.13.0 -e ".[dev]"' in ci and "python -m pytest -q" in ci
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"demo", "run", "drill", "record", "check", "rules", "sentiment", "sources", "incidents"} <= set(commands)
