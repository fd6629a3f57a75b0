"""Session-wide fixtures."""

from __future__ import annotations

import os
import random
from collections import defaultdict
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from monitor import timezones

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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--shuffle-seed", type=int, default=None, metavar="N",
                     help="run the test files, and the tests in each file, in an order shuffled by N, and seed "
                          "the global random module with N before each test (scripts/seed_sweep.sh)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "timeout_heavy: spawns the CLI as a subprocess (slower)")


def pytest_report_header(config: pytest.Config) -> str | None:
    seed = config.getoption("--shuffle-seed")
    return None if seed is None else f"test order shuffled with --shuffle-seed={seed}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With --shuffle-seed, a test that only passes after (or before) another shows itself."""
    seed = config.getoption("--shuffle-seed")
    if seed is None:
        return
    rng = random.Random(seed)
    by_file: dict[str, list[pytest.Item]] = defaultdict(list)
    for item in items:
        by_file[str(item.path)].append(item)
    files = list(by_file)
    rng.shuffle(files)  # files stay together: module-scoped fixtures are set up once per file
    items[:] = []
    for f in files:
        rng.shuffle(by_file[f])
        items.extend(by_file[f])


@pytest.fixture(autouse=True)
def _display_zones_utc() -> Iterator[None]:
    """Display zones are process state that a runtime installs from its config (monitor.timezones): each
    test starts and ends with UTC, so a runtime configured with Asia/Shanghai cannot leak into the next."""
    timezones.configure("UTC")
    yield
    timezones.configure("UTC")


@pytest.fixture(autouse=True)
def _seeded_random(request: pytest.FixtureRequest) -> None:
    seed = request.config.getoption("--shuffle-seed")
    if seed is not None:
        random.seed(f"{seed}:{request.node.nodeid}")


@pytest.fixture(scope="session")
def shipped_scorer():
    """The shipped offline sentiment model, loaded once for the whole session."""
    from monitor.nlp.sentiment import SentimentConfig, load_scorer

    return load_scorer(SentimentConfig())
