"""The files a deployment starts from: keyword rules, playbooks, the demo recording.

One source of truth: the repository's top-level ``keywords.yaml``, ``playbooks/`` and
``examples/acme-48h.jsonl``. A wheel build copies them here (setup.py's ``build_py``), so
an installed package finds them beside this module; a source checkout finds them at the
repository root. Nothing is duplicated in git, and the fixed layout keeps its top level.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SOURCE_ROOT = HERE.parent.parent  # the repository, when running from a checkout
FILES = ("keywords.yaml", "playbooks", "examples/acme-48h.jsonl")
"""What a wheel carries, relative to the repository root (and to this package once built)."""


def bundled(name: str) -> Path:
    """The bundled copy of ``name`` (one of FILES, or a file inside playbooks/)."""
    packed = HERE / name
    if packed.exists():
        return packed
    return SOURCE_ROOT / name


def resolve(value: str | Path, base_dir: Path, what: str) -> Path:
    """A configured path: relative to the config file's directory, else the bundled default.

    Absolute paths are taken as written. Each resolution is logged, so an operator can see
    which rules and playbooks a daemon really runs on.
    """
    p = Path(value).expanduser()
    if p.is_absolute():
        log.debug("%s: %s", what, p)
        return p
    local = base_dir / p
    if local.exists():
        log.info("%s: %s (relative to the config file)", what, local)
        return local
    fallback = bundled(p.as_posix())
    if p.as_posix() in FILES and fallback.exists():
        log.info("%s: %s not found beside the config file; using the bundled default %s", what, local, fallback)
        return fallback
    return local  # reported as missing, with the path the operator expects
