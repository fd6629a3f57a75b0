"""`monitor backtest` and `monitor backfill` on seeded recordings with marked bursts."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.alerts.engine import Engine
from monitor.backtest import backfill, backtest, marked_bursts, parse_sets, table
from monitor.config import load_for_cli
from monitor.errors import ConfigError, MonitorError
from monitor.models import Sentiment
from monitor.store import Store, load_baselines
from tests.scenarios import generator as g
from tests.scenarios.runner import PLAYBOOKS

ROOT = Path(__file__).resolve().parents[1]
BURST_AT = g.T0 + timedelta(days=2, hours=15, minutes=7)


class Negative:
    """Every matched post is a complaint: the engine, not the model, is under test here."""

    model_id = "negative"

    def score(self, texts: list[str], langs: list[str | None] | None = None) -> list[Sentiment]:
        return [Sentiment("negative", 0.95, self.model_id) for _ in texts]


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three busy days of Acme complaints on x, and a marked burst on the third afternoon."""
    items = g.busy_week(days=3) + g.burst(BURST_AT, count=200, minutes=50, name="kettle-fire")
    return g.write_recording(sorted(items, key=lambda i: i.ts), tmp_path_factory.mktemp("bt") / "busy.jsonl")


def test_parse_sets_makes_every_combination() -> None:
    assert parse_sets([]) == [{}]
    assert parse_sets(["engine.detection=fixed", "engine.detection=both", "baseline.p_value=1e-5"]) == [
        {"detection": "fixed", "baseline.p_value": 1e-5}, {"detection": "both", "baseline.p_value": 1e-5}]
    with pytest.raises(MonitorError, match="write KEY=VALUE"):
        parse_sets(["engine.detection"])


def test_a_bad_setting_is_refused_before_anything_runs(recording: Path) -> None:
    loaded = load_for_cli(None, ROOT / "keywords.yaml")
    with pytest.raises(ConfigError) as err:
        asyncio.run(backtest(loaded, recording, [{"detection": "sometimes"}], scorer=Negative()))
    assert "engine.detection" in str(err.value.problems[0])


def test_marked_bursts_are_read_from_the_recording(recording: Path) -> None:
    loaded = load_for_cli(None, ROOT / "keywords.yaml")
    (b,) = marked_bursts(loaded, recording)
    assert (b.name, b.brands, b.posts) == ("kettle-fire", {"acme"}, 200)
    assert BURST_AT <= b.start < BURST_AT + timedelta(minutes=2)


def test_backtest_compares_settings_per_brand(recording: Path) -> None:
    loaded = load_for_cli(None, ROOT / "keywords.yaml")
    settings = parse_sets(["engine.detection=fixed", "engine.detection=both"])
    fixed, adaptive = asyncio.run(backtest(loaded, recording, settings, scorer=Negative()))
    assert (fixed["setting"], adaptive["setting"]) == ("detection=fixed", "detection=both")
    f, a = fixed["brands"]["acme"], adaptive["brands"]["acme"]
    # the floor alone pages a busy brand all day; the baseline keeps the warm-up and the real burst
    assert f["incidents"] >= 3 and a["incidents"] == 2
    assert f["notifications_per_day"] > a["notifications_per_day"] > 0
    assert f["hours_in_level"]["blue"] > a["hours_in_level"]["blue"] > 0
    for result in (f, a):
        (burst,) = result["bursts"]
        assert burst["burst"] == "kettle-fire" and burst["posts"] == 200
    assert 0 < a["bursts"][0]["minutes_to_first_notification"] <= 15
    text = table([fixed, adaptive])
    lines = text.splitlines()
    assert lines[0].split()[:4] == ["setting", "brand", "incidents", "notif/day"]
    assert lines[1].startswith("detection=fixed") and lines[2].startswith("detection=both")
    assert "kettle-fire" in lines[2]


@pytest.mark.timeout_heavy
def test_backtest_cli_json(recording: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    small = tmp_path / "small.jsonl"
    lines = recording.read_text().splitlines()
    small.write_text("\n".join(ln for ln in lines if '"burst"' in ln) + "\n")  # the burst alone: fast on the model
    proc = subprocess.run([sys.executable, "-m", "monitor", "backtest", str(small), "--keywords",
                           str(ROOT / "keywords.yaml"), "--set", "engine.detection=fixed", "--json"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    (result,) = out["results"]
    assert result["setting"] == "detection=fixed" and result["events"] == 200
    acme = result["brands"]["acme"]
    assert acme["incidents"] == 1 and acme["bursts"][0]["minutes_to_first_notification"] is not None


def test_backfill_teaches_the_baseline_before_going_live(recording: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "monitor.yaml"
    cfg.write_text(f"store: {{path: {tmp_path / 'live.db'}}}\nkeywords: {ROOT / 'keywords.yaml'}\n"
                   f"playbooks: {ROOT / 'playbooks'}\n")
    history = tmp_path / "history.jsonl"
    g.write_recording(g.busy_week(days=2), history)
    loaded = load_for_cli(cfg)
    out = backfill(loaded, history, scorer=Negative())
    assert out["brands"] == ["acme"] and out["posts"] >= out["matched"] > 500 and out["bad_lines"] == 0
    store = Store(tmp_path / "live.db")
    assert {"acme|x|neg", "acme|*|all"} <= set(load_baselines(store))
    # live from day three: the steady complaints the history taught are not an incident, not even at warm-up
    alerts: list[object] = []
    engine = Engine(loaded.config.engine, PLAYBOOKS, store, alerts.append)
    engine.load()
    live = [i for i in g.busy_week(days=3, seed=9) if i.ts >= g.T0 + timedelta(days=2)]
    for it in live:
        with engine.batch():
            engine.advance(it.ts)
            assert it.post is not None
            engine.on_post(it.post)
    assert alerts == []
    store.close()
    with pytest.raises(MonitorError, match="not found"):
        backfill(loaded, tmp_path / "missing.jsonl", scorer=Negative())
