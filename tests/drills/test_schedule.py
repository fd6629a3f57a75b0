"""Scheduled drills: off by default, quarterly when enabled, fired by the daemon's APScheduler; the drill
runs on the daemon's (here virtual) clock, its messages marked DRILL, its scorecard kept in the history."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.clock import VirtualClock
from monitor.config import load_config
from monitor.drills import history
from monitor.drills.schedule import trigger
from monitor.drills.settings import DrillsConfig
from monitor.errors import ConfigError
from monitor.service import Service
from tests.alerts.notifiers.slackfake import FakeSlack
from tests.interact.conftest import daemon_config
from tests.support import WordScorer

SCENARIO = """\
scenario: night-shift-check
brand: acme
brand_name: Acme
phases:
  - name: complaints
    duration: 40m
    channels: [weibo]
    rate: 30
    authors: 20
    texts: {en: ["My Acme kettle is broken, awful."], zh: ["艾克美水壶坏了，太差了"]}
    expect: blue
"""


def test_off_by_default_and_quarterly_when_enabled() -> None:
    assert DrillsConfig().enabled is False
    trig = trigger(DrillsConfig(enabled=True, scenario=Path("s.yaml")))
    assert isinstance(trig, CronTrigger)
    at = datetime(2026, 2, 14, 3, 0, tzinfo=UTC)
    fires = []
    for _ in range(4):
        at = trig.get_next_fire_time(None, at)
        fires.append(at.isoformat())
        at = at.replace(minute=1)
    assert fires == ["2026-04-01T10:00:00+00:00", "2026-07-01T10:00:00+00:00", "2026-10-01T10:00:00+00:00",
                     "2027-01-01T10:00:00+00:00"]
    assert isinstance(trigger(DrillsConfig(enabled=True, scenario=Path("s"), schedule="every 90d")), IntervalTrigger)


@pytest.mark.parametrize(("drills", "message"), [
    ("{enabled: true}", "drills.enabled needs a scenario: add e.g. scenario: scenarios/data-leak.yaml (see "
                        "docs/scenarios.md)"),
    ("{schedule: sometimes}", "schedule 'sometimes' is not quarterly/monthly/weekly, 'every 90d', or a crontab line "
                              "of 5 fields (minute hour day month weekday), e.g. '30 2 * * sat'"),
    ("{roster: [{name: emea, zone: Europe/Paris, hours: '9-5'}]}",
     "hours must be HH:MM-HH:MM in the shift's local time, e.g. 09:00-17:00, got '9-5'"),
])
def test_bad_drills_sections_are_refused(tmp_path: Path, drills: str, message: str) -> None:
    cfg = daemon_config(tmp_path, "http://127.0.0.1:9/api/", f"drills: {drills}")
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert [p.message for p in err.value.problems] == [message]


async def test_scheduled_drill_fires_on_the_daemons_virtual_clock(tmp_path: Path) -> None:
    (tmp_path / "night.yaml").write_text(SCENARIO)
    clock = VirtualClock(datetime(2026, 3, 31, 22, 0, tzinfo=UTC))
    async with FakeSlack() as slack:
        cfg = daemon_config(tmp_path, slack.api_url, "drills: {enabled: true, scenario: night.yaml, speed: 600, "
                                                     "told_in_advance: [ceo]}")
        svc = Service(load_config(cfg), clock, scorer=WordScorer())
        await svc.start()
        try:
            assert svc.scheduler is not None
            job = svc.scheduler.get_job("_drill")
            due = job.trigger.get_next_fire_time(None, clock.now())
            assert due == datetime(2026, 4, 1, 10, 0, tzinfo=UTC)  # quarterly: the first day of the quarter
            clock.set(due)  # the daemon's clock reaches it; APScheduler runs the job itself
            job.modify(next_run_time=datetime.now(UTC))
            for _ in range(400):
                if svc.__dict__.get("drill_tasks"):
                    break
                await asyncio.sleep(0.05)
            (task,) = svc.__dict__["drill_tasks"]
            report = await asyncio.wait_for(task, timeout=120)
            home = svc.rt.store if svc.rt is not None else None
            assert home is not None
            entries = history.list_drills(home, "night-shift-check")
            assert [e["drill_id"] for e in entries] == ["drill-night-shift-check-20260401T100000"]
            card = history.scorecard_for(home, entries[0]["drill_id"])
        finally:
            await svc.shutdown()
    assert card == report["scorecard"] and card["mode"] == "live" and card["told_in_advance"] == ["ceo"]
    (row,) = card["levels"]  # the scenario starts after 6 h of normal traffic, at 16:00 drill time
    assert (row["level"], row["phase_start"], row["detected"]) == ("blue", "2026-04-01T16:00:00Z", True)
    assert card["acknowledgements"]["missed"] == 1  # nobody answered this one
    drill_posts = [c for c in slack.posts() if "drill-" in json.dumps(c.args)]
    assert drill_posts and all("[DRILL]" in c.args["text"] for c in drill_posts)
