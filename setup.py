"""Packs the repository's top-level defaults into the wheel as ``monitor/defaults/``.

keywords.yaml, playbooks/ and examples/acme-48h.jsonl stay where the project layout puts
them (one copy in git); the build copies them beside ``monitor/defaults/__init__.py`` so a
plain ``pip install`` finds them (``monitor.defaults.bundled``). Everything else about the
build is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
DEFAULTS = ("keywords.yaml", "playbooks", "examples/acme-48h.jsonl")  # = monitor.defaults.FILES


class BuildWithDefaults(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "monitor" / "defaults"
        for name in DEFAULTS:
            src, dst = HERE / name, target / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copyfile(src, dst)


setup(cmdclass={"build_py": BuildWithDefaults})
