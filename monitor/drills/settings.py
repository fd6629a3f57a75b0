"""The ``drills:`` section of monitor.yaml: scheduled unannounced drills, the drill's own paging
service, and the on-call roster whose handovers a drill's scorecard examines."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from monitor.durations import Duration, parse_duration
from monitor.errors import ConfigError, Problem
from monitor.timezones import ZoneName

_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")
CRON_PRESETS = {"quarterly": "0 10 1 1,4,7,10 *", "monthly": "0 10 1 * *", "weekly": "0 10 * * mon"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RosterShift(_Strict):
    """Who is on call where: a person (or team) in a time zone, and their local on-call hours."""

    name: str = Field(min_length=1)
    zone: ZoneName = Field(description="IANA zone of the shift, e.g. Asia/Shanghai")
    hours: str = Field(default="09:00-17:00", description="local on-call hours HH:MM-HH:MM (may pass midnight)")

    @field_validator("hours")
    @classmethod
    def _hours(cls, v: str) -> str:
        if not _HOURS.match(v.strip()):
            raise ValueError(f"hours must be HH:MM-HH:MM in the shift's local time, e.g. 09:00-17:00, got {v!r}")
        return v.strip()


class DrillsConfig(_Strict):
    enabled: bool = Field(default=False, description="run scheduled drills unannounced from the daemon")
    schedule: str = Field(default="quarterly", description="quarterly, monthly, weekly, a crontab line "
                          "('0 2 * * sat'), or an interval ('every 90d')")
    jitter: Duration = Field(default=timedelta(0), description="start up to this much later than scheduled, at "
                             "random, so the team cannot guess the hour")
    scenario: Path | None = Field(default=None, description="scenario YAML of scheduled drills (docs/scenarios.md)")
    baseline: Path | None = Field(default=None, description="recorded normal period to lay it over "
                                  "(default: a generated one)")
    speed: float = Field(default=1.0, gt=0, description="drill seconds per real second (1: real time)")
    told_in_advance: list[str] = Field(default_factory=list, description="who knows a drill is coming (named "
                                       "in the scorecard; everyone else responds as to a real crisis)")
    state_dir: Path = Field(default=Path("drills"), description="where drill state and reports go (relative "
                            "to the store's directory)")
    pagerduty_routing_key: str | None = Field(default=None, description="routing key of a separate PagerDuty "
                                              "drill service; drill pages go there instead of the real one")
    roster: list[RosterShift] = Field(default_factory=list, description="on-call shifts with zones; the "
                                      "scorecard examines each handover between them")
    handover: Duration = Field(default=timedelta(minutes=30), description="how long a handover takes "
                               "(the manual: 30 minutes)")

    @model_validator(mode="after")
    def _scenario(self) -> DrillsConfig:
        if self.enabled and self.scenario is None:
            raise ValueError("drills.enabled needs a scenario: add e.g. scenario: scenarios/data-leak.yaml "
                             "(see docs/scenarios.md)")
        return self

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, v: str) -> str:
        schedule_trigger_args(v)
        return v


def schedule_trigger_args(value: str) -> tuple[str, dict[str, object]]:
    """(APScheduler trigger name, its arguments) for a schedule; ValueError says how to write one."""
    text = value.strip()
    if text.lower() in CRON_PRESETS:
        text = CRON_PRESETS[text.lower()]
    if text.lower().startswith("every "):
        try:
            every = parse_duration(text[6:].strip())
        except ValueError:
            every = timedelta(0)
        if every <= timedelta(0):
            raise ValueError(f"schedule {value!r}: write an interval like 'every 90d' or 'every 12h'")
        return "interval", {"seconds": every.total_seconds()}
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(f"schedule {value!r} is not quarterly/monthly/weekly, 'every 90d', or a crontab line "
                         f"of 5 fields (minute hour day month weekday), e.g. '30 2 * * sat'")
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(text, timezone="UTC")
    except ValueError as exc:
        raise ValueError(f"schedule {value!r}: {exc}") from None
    return "cron", {"crontab": text}


def drill_problems(cfg: DrillsConfig, base_dir: Path, file: str, place: str) -> list[Problem]:
    """Resolve the section's paths against the config's directory; an enabled drill's scenario must load."""
    for name in ("scenario", "baseline"):
        value = getattr(cfg, name)
        if value is not None and not value.expanduser().is_absolute():
            setattr(cfg, name, base_dir / value.expanduser())
    if not cfg.enabled or cfg.scenario is None:
        return []
    from monitor.drills.scenario import load_scenario

    out = []
    try:
        load_scenario(cfg.scenario)
    except ConfigError as exc:
        out.extend(Problem(file, place, f"scenario {p.file}: {p.place + ': ' if p.place else ''}{p.message}")
                   for p in exc.problems)
    if cfg.baseline is not None and not cfg.baseline.is_file():
        out.append(Problem(file, place, f"baseline recording {cfg.baseline} not found (or leave baseline out for "
                                        f"a generated normal period)"))
    return out
