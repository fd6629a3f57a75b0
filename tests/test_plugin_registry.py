"""The plugin registry: a kind is found by importing only its own module (a drill pays for the replay
source, not for every source); listings and unknown kinds load the whole family."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import sys
from monitor.sources.base import SOURCES
from monitor.alerts.notifiers.base import NOTIFIERS
assert SOURCES.get("replay").kind == "replay" and NOTIFIERS.get("terminal").kind == "terminal"
print(sorted(m for m in sys.modules if m.startswith(("monitor.sources.", "monitor.alerts.notifiers."))))
assert SOURCES.get("no-such-kind") is None
print("rss" in SOURCES.kinds(), "monitor.sources.rss" in sys.modules)
"""


def test_get_imports_only_the_kinds_own_module_and_listings_load_all() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    loaded = ast.literal_eval(first)
    assert "monitor.sources.replay" in loaded and "monitor.alerts.notifiers.terminal" in loaded
    assert not any(m in loaded for m in ("monitor.sources.rss", "monitor.sources.x", "monitor.sources.trends",
                                         "monitor.alerts.notifiers.slack", "monitor.alerts.notifiers.email"))
    assert second == "True True"
