"""Session-wide fixtures."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "timeout_heavy: spawns the CLI as a subprocess (slower)")


@pytest.fixture(scope="session")
def shipped_scorer():
    """The shipped offline sentiment model, loaded once for the whole session."""
    from monitor.nlp.sentiment import SentimentConfig, load_scorer

    return load_scorer(SentimentConfig())
