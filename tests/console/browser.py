"""Headless Chromium for the console's browser tests (Debian's ``chromium``, driven by Playwright).

The system browser is used as it is (``executable_path``); nothing is downloaded. Screenshots go
to ``$BROWSER_ARTEFACTS`` when set, else to a ``browser-artefacts`` directory under pytest's
temporary directory (printed by the tests, kept for the last three runs by pytest).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def chromium_path() -> str | None:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    return shutil.which("chromium")


needs_chromium = pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed "
                                    "(apt-get install chromium fonts-noto-cjk; .ci/run does it)")


def artefacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    env = os.environ.get("BROWSER_ARTEFACTS")
    path = Path(env) if env else tmp_path_factory.getbasetemp() / "browser-artefacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


class Watched:
    """A page whose console errors and uncaught exceptions are collected."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))

    async def overflow(self) -> int:
        """How many CSS pixels the page is wider than the viewport (0: no horizontal scrolling)."""
        return int(await self.page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"))


async def launch(playwright: Any) -> Any:
    return await playwright.chromium.launch(executable_path=chromium_path(), args=ARGS, headless=True)
