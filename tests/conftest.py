"""Session-wide fixtures."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# Property tests run the same examples on every machine and every run (no saved-example
# database, fixed seed): a failure seen once is seen again, and a green run stays green.
# HYPOTHESIS_PROFILE=explore runs far more random examples by hand to look for new bugs;
# pin anything it finds as an explicit regression test.
settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
# HYPOTHESIS_PROFILE=random (a quarter of ci's examples, seeded by --hypothesis-seed=N) sweeps seeds
# cheaply. Tests that need more than the default scale with the profile (tests/nlp/keywords/helpers.examples).
settings.register_profile("random", max_examples=25, derandomize=False, database=None, deadline=None,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("mutation", max_examples=25, derandomize=True, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])  # ci's examples, a quarter as many
settings.register_profile("explore", max_examples=1000, derandomize=False, database=None, deadline=None,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "timeout_heavy: spawns the CLI as a subprocess (slower)")


@pytest.fixture(scope="session")
def shipped_scorer():
    """The shipped offline sentiment model, loaded once for the whole session."""
    from monitor.nlp.sentiment import SentimentConfig, load_scorer

    return load_scorer(SentimentConfig())
