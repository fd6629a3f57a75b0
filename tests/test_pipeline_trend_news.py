"""A trend entry's own news items (Google Trends carries them) give it negative context when they read
negative: scored by the model and matched against the brand's rules, as the pipeline does for posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.alerts.dispatch import Outbox
from monitor.alerts.engine import Engine
from monitor.clock import VirtualClock
from monitor.config import load_config
from monitor.models import Alert, Trend
from monitor.pipeline import Pipeline, trend_news
from monitor.sources.base import Batch
from monitor.store import Store
from tests.support import WordScorer, write_config

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
KEYWORDS = """\
brands:
  acme:
    name: Acme
    aliases: [Acme]
rules:
  - id: acme-safety-fire
    brand: acme
    category: safety
    query: '{brand} NEAR/5 (fire OR flames)'
"""


class Setup:
    def __init__(self, tmp_path: Path) -> None:
        loaded = load_config(write_config(tmp_path, "store: {path: state.db}\nplaybooks: @PLAYBOOKS@\n", KEYWORDS))
        self.store = Store(tmp_path / "state.db")
        self.alerts: list[Alert] = []
        outbox = Outbox(self.store, [])

        def emit(alert: Alert) -> None:
            self.alerts.append(alert)
            outbox.enqueue(alert)

        self.rules = loaded.rules
        self.scorer = WordScorer()
        self.engine = Engine(loaded.config.engine, loaded.playbooks, self.store, emit, {"acme": "Acme"})
        self.engine.load()
        self.pipeline = Pipeline(self.store, loaded.rules, self.scorer, self.engine,
                                 VirtualClock(T0 + timedelta(minutes=1)))


def google_trend(*titles: Any, word: str = "Acme kettle") -> Trend:
    news = [{"title": t, "url": f"https://news{i}.example/a", "source": f"News {i}"} if isinstance(t, str) else t
            for i, t in enumerate(titles)]
    return Trend(ts=T0, source="google_trends", word=word, rank=4,
                 extra={"provider": "google", "traffic": "20K+", "news": news})


async def test_a_trend_whose_news_reads_negative_is_red(tmp_path: Path) -> None:
    s = Setup(tmp_path)
    await s.pipeline.process("google_trends", Batch(events=[google_trend(
        "Acme kettles leak and shock users, customers say", "Acme shares steady after product event")]))
    assert [(a.transition, a.level) for a in s.alerts] == [("opened", "red")]
    ev = s.alerts[0].evidence
    assert ev is not None and ev.detail["trend"]["negative_context"] == "1 of its 2 news items read negative"
    assert s.alerts[0].reason == ('red: the brand entered a trending list: "Acme kettle" on google_trends (#4) '
                                  "(1 of its 2 news items read negative)")
    # the context is stored with the signal: a restarted engine judges the same
    restarted = Engine(s.engine.config, s.engine.playbooks, s.store, lambda a: None, {"acme": "Acme"})
    restarted.load()
    assert restarted.windows["acme"].trends[0].news == (1, 2) and restarted.windows["acme"].level_now() == "red"


async def test_a_trend_whose_news_is_positive_is_not_red(tmp_path: Path) -> None:
    s = Setup(tmp_path)
    await s.pipeline.process("google_trends", Batch(events=[google_trend(
        "Acme launches a quieter kettle", "Reviewers love the new Acme kettle")]))
    assert s.alerts == []
    assert s.engine.windows["acme"].trends[0].negative is False
    assert s.scorer.calls == 1  # the news items were read


async def test_a_news_item_matching_a_negative_rule_is_negative_context(tmp_path: Path) -> None:
    s = Setup(tmp_path)  # the word scorer finds no negative word here; the brand's fire rule matches
    await s.pipeline.process("google_trends", Batch(events=[google_trend("Acme kettle bursts into flames on TV")]))
    assert [(a.transition, a.level) for a in s.alerts] == [("opened", "red")]


async def test_a_trend_without_news_items_is_not_scored(tmp_path: Path) -> None:
    s = Setup(tmp_path)
    await s.pipeline.process("weibo_hot", Batch(events=[Trend(ts=T0, source="weibo_hot", word="Acme kettle", rank=2)]))
    assert s.alerts == [] and s.scorer.calls == 0


@pytest.mark.parametrize("news", [None, "leak", [1, None, {"title": 5}, {"title": "  "}, {"url": "x"}],
                                  [{"title": "Acme kettle leak", "source": 7, "url": ["x"]}]])
def test_malformed_news_items_from_a_recording_are_passed_over(tmp_path: Path, news: Any) -> None:
    s = Setup(tmp_path)
    trend = Trend(ts=T0, source="google_trends", word="Acme kettle", extra={"news": news})
    out = trend_news(s.rules, s.scorer, [trend])
    if isinstance(news, list) and news and isinstance(news[0], dict) and news[0].get("title") == "Acme kettle leak":
        assert [(n.label, n.brands) for n in out[trend.key]] == [("negative", ())]
    else:
        assert out == {}
