"""DESIGN.md's command-line contracts, checked by the shared script on public samples."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support import ROOT

SCRIPT = ROOT.parent / "shared" / "contract" / "check.sh"


@pytest.mark.skipif(not SCRIPT.is_file(), reason="../shared/contract/check.sh is not beside this checkout")
def test_shared_contract_check_passes() -> None:
    env = {**os.environ, "MONITOR": f"{sys.executable} -m monitor", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(["bash", str(SCRIPT)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "BROKEN" not in proc.stdout
