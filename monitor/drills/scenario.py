"""Drill scenarios: a scripted crisis in YAML, laid over a normal day by ``monitor scenario compose``.

A scenario names the brand and a list of phases; each phase says when it starts (an offset
from the drill's ``--at`` time), how long it lasts, which channels carry it, how many posts an
hour by how many distinct authors, how reposts grow, which outlets pick it up, which trending
lists it enters, how the stock moves, what people write (English and Chinese pools) and which
level the team should see by its end. The format is documented in docs/scenarios.md; loading
reports every problem with the file, the line and the fix, like a bad monitor.yaml.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from monitor.durations import Duration, format_duration
from monitor.errors import ConfigError, Problem
from monitor.models import KINDS
from monitor.names import LEVELS
from monitor.yamlio import Located, load_yaml, pydantic_problems

Expect = Literal[("none", *LEVELS)]  # type: ignore[valid-type]  # one Literal: one error per bad value
DOC = "docs/scenarios.md"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Reposts(_Strict):
    """Reposts per post: ``start`` at the phase's start, multiplied by ``growth`` every hour."""

    start: int = Field(default=0, ge=0, le=1_000_000)
    growth: float = Field(default=1.0, ge=0.0, le=1000.0, description="multiplier per hour into the phase")
    max: int = Field(default=100_000, ge=0)


class NewsPickup(_Strict):
    """An outlet publishes the story ``at`` into the phase (a post of kind news)."""

    at: Duration = timedelta(0)
    outlet: str = Field(min_length=1)
    source: str = "news"
    lang: Literal["en", "zh"] = "en"
    title: str | None = None
    text: str | None = Field(default=None, description="default: a line from the phase's text pool")


class TrendingEntry(_Strict):
    """The story enters a trending list ``at`` into the phase."""

    at: Duration = timedelta(0)
    source: str = Field(default="weibo_hot", min_length=1)
    word: str = Field(min_length=1, description="the trending words; {brand} is the brand's name")
    rank: int | None = Field(default=None, ge=1)


class StockMove(_Strict):
    """A stock quote ``at`` into the phase: price moved ``change_pct`` against the previous close."""

    at: Duration = timedelta(0)
    change_pct: float = Field(ge=-99.0, le=1000.0)
    prev_close: float = Field(default=100.0, gt=0)
    source: str = "market"


class DrillTask(_Strict):
    """A task the drill expects of a role beyond the playbook's (e.g. tech's rebuttal with evidence)."""

    role: str = Field(min_length=1)
    task: str = Field(min_length=1)
    deadline: Duration = Field(description="from the phase's start")


class Texts(_Strict):
    en: list[str] = Field(default_factory=list)
    zh: list[str] = Field(default_factory=list)


class Phase(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    offset: Duration = Field(default=timedelta(0), description="start, from the drill's --at time")
    duration: Duration = Field(default=timedelta(hours=1))
    channels: list[str] = Field(default_factory=list, description="sources carrying the posts, e.g. weibo, x")
    kind: Literal["social", "news", "forum", "review", "video"] = "social"
    rate: float = Field(default=0.0, ge=0.0, le=100_000.0, description="posts an hour, all channels together")
    authors: int = Field(default=0, ge=0, description="distinct authors (0: one per post)")
    zh_share: float = Field(default=0.5, ge=0.0, le=1.0, description="share of posts from the Chinese pool")
    reposts: Reposts = Field(default_factory=Reposts)
    news: list[NewsPickup] = Field(default_factory=list)
    trending: list[TrendingEntry] = Field(default_factory=list)
    stock: list[StockMove] = Field(default_factory=list)
    texts: Texts = Field(default_factory=Texts)
    expect: Expect = Field(default="none", description="the level the team should see by the phase's end")
    tasks: list[DrillTask] = Field(default_factory=list)

    @field_validator("channels")
    @classmethod
    def _channels(cls, v: list[str]) -> list[str]:
        if any(not c.strip() for c in v):
            raise ValueError("a channel name is empty (write source names such as weibo, x, reddit)")
        return v

    @model_validator(mode="after")
    def _complete(self) -> Phase:
        if self.rate > 0 and not self.channels:
            raise ValueError(f"phase {self.name!r} has a rate but no channels; add e.g. channels: [weibo, x]")
        if self.rate > 0 and not (self.texts.en or self.texts.zh):
            raise ValueError(f"phase {self.name!r} has a rate but no texts; add texts: {{en: [...], zh: [...]}}")
        if self.rate > 0 and self.zh_share > 0 and not self.texts.zh and self.texts.en:
            self.zh_share = 0.0
        if self.rate > 0 and self.zh_share < 1 and not self.texts.en and self.texts.zh:
            self.zh_share = 1.0
        if self.duration <= timedelta(0):
            raise ValueError("duration must be longer than 0s (write e.g. 30m or 2h)")
        if self.offset < timedelta(0):
            raise ValueError("offset must not be negative (phases start at or after --at)")
        for group in ("news", "trending", "stock"):
            for i, item in enumerate(getattr(self, group)):
                if item.at > self.duration:
                    raise ValueError(f"{group}[{i}].at {format_duration(item.at)} is after the phase's end "
                                     f"({format_duration(self.duration)}); "
                                     f"lengthen duration or move it earlier")
        return self


class Scenario(_Strict):
    """The root of a scenario file."""

    scenario: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$", description="name; drills of the same "
                          "scenario are compared")
    description: str = ""
    brand: str = Field(min_length=1, description="brand id in keywords.yaml")
    brand_name: str | None = Field(default=None, description="fills {brand} in texts (default: the brand id)")
    ticker: str | None = Field(default=None, description="stock symbol for stock moves")
    phases: list[Phase] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Scenario:
        names = [p.name for p in self.phases]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"phase name(s) {', '.join(twice)} used twice; give each phase its own name")
        if any(p.stock for p in self.phases) and not self.ticker:
            raise ValueError("stock moves need the brand's ticker: add e.g. ticker: ACME")
        return self

    @property
    def name_of_brand(self) -> str:
        return self.brand_name or self.brand

    @property
    def length(self) -> timedelta:
        return max(p.offset + p.duration for p in self.phases)


def _problems(exc: ValidationError, doc: Located) -> list[Problem]:
    out = []
    for p in pydantic_problems(exc, doc):
        out.append(Problem(p.file, p.place, p.message.replace("see the configuration reference", f"see {DOC}")))
    return out


def parse_scenario(doc: Located) -> Scenario:
    """Validate a parsed scenario document; every problem is listed with its line."""
    if not isinstance(doc.data, dict):
        raise ConfigError([Problem(doc.file, "", f"a scenario must be a YAML mapping with scenario, brand and "
                                                 f"phases (see {DOC})")])
    try:
        return Scenario.model_validate(doc.data)
    except ValidationError as exc:
        raise ConfigError(_problems(exc, doc)) from None


def load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    if not path.is_file():
        raise ConfigError([Problem(str(path), "", f"scenario file not found (examples: examples/scenarios/*.yaml; "
                                                  f"format: {DOC})")])
    return parse_scenario(load_yaml(path))


__all__ = ["KINDS", "DrillTask", "Phase", "Scenario", "load_scenario", "parse_scenario"]
