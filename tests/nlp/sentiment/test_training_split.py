"""The daemon never imports the offline training tools (monitor.nlp.sentiment.training)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from monitor.nlp.sentiment.testing import make_tiny_model

ROOT = Path(__file__).resolve().parents[3]
TRAINING = "monitor.nlp.sentiment.training"
# the only places outside the package itself that may reach it: the `sentiment eval` command, lazily
ALLOWED = {"monitor/cli/sentiment.py"}

PROBE = """
import json, sys
import monitor.cli, monitor.service, monitor.runtime, monitor.pipeline, monitor.drill
from monitor.nlp.sentiment import SentimentConfig, load_scorer
scorer = load_scorer(SentimentConfig(model=sys.argv[1], backend="torch"))
labels = [s.label for s in scorer.score(["good day", "很 好"], [None, None])]
loaded = sorted(m for m in sys.modules if m.startswith("monitor.nlp.sentiment.training"))
print(json.dumps({"labels": labels, "training": loaded}))
"""


def test_service_and_scorer_load_without_the_training_package(tmp_path: Path) -> None:
    model = make_tiny_model(tmp_path / "tiny", constant=2)
    done = subprocess.run([sys.executable, "-c", PROBE, str(model)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["labels"] == ["positive", "positive"]  # the scorer really ran
    assert out["training"] == []


def test_no_runtime_module_imports_the_training_package() -> None:
    """Also lazy, function-level imports: the builtin models' load path is not run by the probe above."""
    offenders = []
    for path in sorted((ROOT / "monitor").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("monitor/nlp/sentiment/training/") or rel in ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else (
                [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            if any(n == TRAINING or n.startswith(TRAINING + ".") for n in names):
                offenders.append(f"{rel}:{node.lineno}")
    assert offenders == []


def test_the_training_tools_still_import() -> None:
    import importlib

    for name in ("baseline", "calibrate", "data", "distill", "metrics", "recipes", "reviews", "stacking", "train",
                 "validate"):
        assert importlib.import_module(f"{TRAINING}.{name}").__name__ == f"{TRAINING}.{name}"
