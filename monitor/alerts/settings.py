"""The engine's configuration (``engine:`` in monitor.yaml): the crisis manual's floors, how
each brand's baseline judges surprise, voices, stories, and per-brand overrides."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from monitor.durations import Duration

Detection = Literal["fixed", "adaptive", "both"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BlueConfig(_Strict):
    enabled: bool = True
    platform_posts: int = Field(default=10, ge=0, description="fires when ONE platform has MORE than this many "
                                                              "negative matching posts (voices) in the window")


class YellowConfig(_Strict):
    enabled: bool = True
    reposts: int = Field(default=50, ge=0, description="fires when negative matching posts have MORE than this many "
                                                       "reposts summed across platforms")
    news_pickup: bool = Field(default=True, description="fires when a news outlet publishes a negative matching post")
    media_outlets: list[str] = Field(default_factory=list, description="outlets (domains) that count as news pickup "
                                                                       "whatever the post's kind")


class RedConfig(_Strict):
    enabled: bool = True
    trending: bool = Field(default=True, description="fires when the brand enters a trending list with negative "
                                                     "context")
    positive_trending: Literal["ignore", "note"] = Field(
        default="note", description="a trend entry without negative context: ignored, or (note) mentioned in an "
                                    "'updated' notification of an open incident; never red")
    stock_move_pct: float = Field(default=5.0, ge=0, description="fires when the stock moves MORE than this "
                                                                 "percentage against the previous close (net of "
                                                                 "the brand's benchmark when one is set)")
    stock_direction: Literal["any", "down", "up"] = "any"


class BaselineConfig(_Strict):
    """How surprise is judged (adaptive detection)."""

    p_value: float = Field(default=1e-4, gt=0, lt=1, description="a window is surprising when a count at least "
                                                                 "this high has at most this probability under "
                                                                 "the brand's baseline (smaller: fewer alerts)")
    dispersion: float = Field(default=8.0, gt=0, description="negative-binomial r for post counts "
                                                             "(variance = mean + mean^2 / r)")
    repost_dispersion: float = Field(default=1.0, gt=0, description="negative-binomial r for repost sums")
    warmup: Duration = Field(default=timedelta(hours=6), description="history needed before the baseline judges; "
                                                                     "until then only the floors do")
    short_windows: list[Duration] = Field(default_factory=lambda: [timedelta(minutes=10), timedelta(minutes=15)],
                                          description="shorter windows judged as well as the main one, so a "
                                                      "burst is told before the hour fills")
    adaptive_min: int = Field(default=5, ge=1, description="detection 'adaptive': the fewest voices that can fire")
    burst_updates: bool = Field(default=True, description="an open incident announces a burst that is surprising "
                                                          "against its own recent level ('updated')")


class BrandEngineConfig(_Strict):
    """Per-brand overrides under ``engine.brands.<brand id>``."""

    detection: Detection | None = Field(default=None, description="fixed | adaptive | both (default: engine's)")
    benchmark: str | None = Field(default=None, description="index symbol a stock move is judged against")


class StoriesConfig(_Strict):
    similarity: float = Field(default=0.5, gt=0, lt=1, description="Jaccard similarity of word bigrams above "
                                                                   "which two posts are one story")
    num_perm: int = Field(default=32, ge=8, le=256, description="MinHash permutations")
    top: int = Field(default=3, ge=0, le=10, description="stories listed in an alert's evidence")


class EngineConfig(_Strict):
    """When incidents open, escalate, repeat and resolve. Defaults are the crisis manual's."""

    window: Duration = Field(default=timedelta(minutes=60), description="sliding window, event time")
    scope: Literal["brand", "category"] = Field(default="brand", description="one incident per brand, or per "
                                                                              "brand and rule category")
    min_negative_score: float = Field(default=0.0, ge=0, le=1, description="a post counts as negative when the "
                                                                           "model says negative with at least this "
                                                                           "probability")
    blue: BlueConfig = Field(default_factory=BlueConfig)
    yellow: YellowConfig = Field(default_factory=YellowConfig)
    red: RedConfig = Field(default_factory=RedConfig)
    quiet_period: Duration = Field(default=timedelta(hours=2), description="no level's condition holds for this "
                                                                          "long -> resolved, all-clear sent")
    repeat_interval: Duration | None = Field(default=timedelta(hours=4),
                                             description="re-notify while unacknowledged this often (null: never)")
    max_escalation_steps: int = Field(default=2, ge=0, description="how many times a missed acknowledgement "
                                                                   "deadline escalates to the next contacts")
    examples: int = Field(default=3, ge=0, le=20, description="example posts quoted per alert")
    detection: Detection = Field(default="both", description="fixed: the manual's floors; adaptive: surprise "
                                                             "against the brand's baseline; both: above the floor "
                                                             "AND surprising")
    per_author: int = Field(default=1, ge=1, description="posts one author can add to a platform's count in the "
                                                         "window (voices, not posts)")
    baseline: BaselineConfig = Field(default_factory=BaselineConfig, description="each brand's seasonal "
                                     "baseline (hour-of-week expectation) the tail test judges against")
    stories: StoriesConfig = Field(default_factory=StoriesConfig, description="near-duplicate posts fold into "
                                   "stories (MinHash)")
    brands: dict[str, BrandEngineConfig] = Field(default_factory=dict, description="per-brand overrides")

    def detection_for(self, brand: str) -> Detection:
        b = self.brands.get(brand)
        return b.detection if b is not None and b.detection is not None else self.detection

    def benchmark_for(self, brand: str) -> str | None:
        b = self.brands.get(brand)
        return b.benchmark.upper().lstrip("$") if b is not None and b.benchmark else None
