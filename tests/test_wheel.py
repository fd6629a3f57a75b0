"""A wheel built from this tree, installed into a fresh venv, works from outside the source tree.

The venv reuses this interpreter's site-packages (torch, transformers, ...) so only the
package itself is installed; the source tree is copied first so the build leaves nothing
behind in it. About a minute; part of the default suite (marker ``wheel``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support import ROOT

pytestmark = pytest.mark.wheel

SKIP = shutil.ignore_patterns(".git", "__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".venv", "*.db",
                              "*.db-*", "drill-report", "runs", ".pytest_cache", ".ruff_cache", ".hypothesis",
                              "tests", "benchmarks", ".mutation", "mutants")


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{cmd}: {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    base = tmp_path_factory.mktemp("wheel")
    src, dist, venv = base / "src", base / "dist", base / "venv"
    shutil.copytree(ROOT, src, ignore=SKIP)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), "."],
         src, env)
    [wheel] = dist.glob("brand_monitor-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for packed in ("monitor/defaults/keywords.yaml", "monitor/defaults/playbooks/red.yaml",
                   "monitor/defaults/examples/acme-48h.jsonl", "monitor/defaults/deployment.yaml", "monitor/py.typed"):
        assert packed in names, packed
    _run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], base, env)
    _run([str(venv / "bin" / "pip"), "install", "--no-deps", "-q", str(wheel)], base, env)
    env = {**env, "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"}
    return venv, env


def test_the_installed_package_is_the_wheel_not_the_source_tree(installed, tmp_path: Path) -> None:
    venv, env = installed
    proc = _run([str(venv / "bin" / "python"), "-c", "import monitor, monitor.defaults as d; "
                 "print(monitor.__file__); print(d.bundled('keywords.yaml'))"], tmp_path, env)
    module, keywords = proc.stdout.splitlines()
    assert module.startswith(str(venv)) and keywords.startswith(str(venv)), proc.stdout
    assert not module.startswith(str(ROOT))


def test_demo_runs_from_outside_the_source_tree(installed, tmp_path: Path) -> None:
    venv, env = installed
    proc = _run([str(venv / "bin" / "monitor"), "demo", "--speed", "max", "--no-color"], tmp_path, env, timeout=600)
    assert "Demo finished: blue opened" in proc.stderr and "red resolved" in proc.stderr, proc.stderr[-2000:]
    assert "[RED]" in proc.stdout


def test_init_brands_and_check_work_from_the_wheel(installed, tmp_path: Path) -> None:
    venv, env = installed
    monitor = str(venv / "bin" / "monitor")
    _run([monitor, "init", "site"], tmp_path, env)
    _run([monitor, "brands", "add", "KettleCo", "--alias", "壶宝", "--keywords", "site/keywords.yaml"], tmp_path, env)
    proc = _run([monitor, "check", "--config", "site/monitor.yaml", "--json"], tmp_path, env)
    data = json.loads(proc.stdout)
    assert data["ok"] and data["keywords"]["brands"] == ["acme", "kettleco"]
    # a config alone, copied somewhere empty, runs on the packed rules and playbooks
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "monitor.yaml").write_text("store: {path: m.db}\nnotifiers: [{kind: terminal}]\n")
    data = json.loads(_run([monitor, "check", "--config", "alone/monitor.yaml", "--json"], tmp_path, env).stdout)
    assert data["keywords"]["file"].startswith(str(venv)) and data["playbooks"]["ids"] == [
        "blue", "red", "red-safety", "yellow"]
    assert _run([monitor, "--version"], tmp_path, env).stdout.startswith("monitor (brand-monitor) ")
