"""Mutation-test one core module against its own tests: ``python scripts/mutation.py levels``.

The modules and their test selections are ``[tool.brand-monitor.mutation]`` in pyproject.toml.
Each module runs in its own scratch copy (``.mutation/<module>/``, git-ignored) whose
``[tool.mutmut]`` mutates only that file and collects stats from only its tests, so one
module's run never pays for another's test files, and mutmut's cache of results survives
between runs of the same module (only changed functions are tested again).
Prints killed / survived / timeout / no-tests / total and the score; ``--survivors`` lists them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _modules() -> dict[str, dict]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    return data["tool"]["brand-monitor"]["mutation"]


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def prepare(name: str, spec: dict) -> Path:
    """Sync the scratch copy and write its one-module [tool.mutmut]."""
    work = ROOT / ".mutation" / name
    work.mkdir(parents=True, exist_ok=True)
    base = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["mutmut"]
    for item in ["monitor", "tests", *base.get("also_copy", [])]:
        src = ROOT / item
        if src.is_dir():
            subprocess.run(["rsync", "-a", "--delete", "--exclude", "__pycache__", f"{src}/", f"{work / item}/"],
                           check=True)
        elif src.exists():
            shutil.copy2(src, work / item)
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    text = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[)", "", text + "\n[end]\n").removesuffix("[end]\n")
    section = [
        "[tool.mutmut]",
        f"source_paths = {_toml_list(base.get('source_paths', ['monitor']))}",
        f"only_mutate = {_toml_list([spec['file']])}",
        f"also_copy = {_toml_list(base.get('also_copy', []))}",
        f"pytest_add_cli_args = {_toml_list(base.get('pytest_add_cli_args', []))}",
        f"pytest_add_cli_args_test_selection = {_toml_list(spec['tests'])}",
        f"do_not_mutate_patterns = {_toml_list(base.get('do_not_mutate_patterns', []))}",
        "use_git_change_detection = false",
    ]
    (work / "pyproject.toml").write_text(text.rstrip() + "\n\n" + "\n".join(section) + "\n", "utf-8")
    return work


def summary(work: Path) -> tuple[dict[str, int], dict[str, list[str]]]:
    out = subprocess.run(["mutmut", "results", "--all", "true"], cwd=work, capture_output=True, text=True,
                         env=_env()).stdout
    counts: dict[str, int] = {}
    names: dict[str, list[str]] = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\S+): (.+)$", line)
        if m:
            counts[m.group(2)] = counts.get(m.group(2), 0) + 1
            names.setdefault(m.group(2), []).append(m.group(1))
    return counts, names


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # import the mutated copy
    env.setdefault("HYPOTHESIS_PROFILE", "mutation")
    return env


def main() -> int:
    modules = _modules()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("module", choices=sorted(modules))
    ap.add_argument("--max-children", type=int, default=2)
    ap.add_argument("--survivors", action="store_true", help="list surviving mutants after the run")
    ap.add_argument("--no-run", action="store_true", help="only report the last run's results")
    ap.add_argument("--rerun-survivors", action="store_true",
                    help="test the last run's survivors again (after adding tests; mutmut keeps verdicts otherwise)")
    args = ap.parse_args()
    work = prepare(args.module, modules[args.module])
    if not args.no_run:
        again: list[str] = []
        if args.rerun_survivors:
            _, last = summary(work)
            again = [n for status in ("survived", "no tests", "suspicious") for n in last.get(status, [])]
        subprocess.run(["mutmut", "run", "--max-children", str(args.max_children), *again], cwd=work, env=_env())
    counts, names = summary(work)
    killed, survived = counts.get("killed", 0), counts.get("survived", 0)
    timeout, no_tests = counts.get("timeout", 0), counts.get("no tests", 0)
    total = sum(counts.values())
    tested = killed + survived + timeout + no_tests
    score = 100.0 * (killed + timeout) / tested if tested else 0.0
    print(f"{args.module}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
          + f"; total {total}; score {score:.1f}% ((killed + timeout) / (killed + survived + timeout + no tests))")
    if args.survivors:
        for status in ("survived", "no tests", "suspicious"):
            for n in names.get(status, []):
                print(f"  {status}: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
