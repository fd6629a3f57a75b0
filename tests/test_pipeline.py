"""The pipeline when its batch transaction fails: nothing half-stored, nothing counted twice on retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.alerts.dispatch import Outbox
from monitor.alerts.engine import Engine
from monitor.clock import VirtualClock
from monitor.config import load_config
from monitor.errors import StoreError
from monitor.models import Post, Sentiment
from monitor.pipeline import Pipeline, score_posts
from monitor.sources.base import Batch
from monitor.store import Store
from tests.support import WordScorer, write_config

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def posts(lo: int, hi: int) -> list[Post]:
    return [Post(ts=T0 + timedelta(seconds=i), source="reddit", id=f"p{i}",
                 text=f"my Acme kettle is broken {i} " + "x" * 900) for i in range(lo, hi)]


@pytest.fixture
def pipeline(tmp_path: Path) -> Pipeline:
    loaded = load_config(write_config(tmp_path, "store: {path: state.db}\nplaybooks: @PLAYBOOKS@\n"))
    store = Store(tmp_path / "state.db")
    engine = Engine(loaded.config.engine, loaded.playbooks, store, Outbox(store, []).enqueue, {"acme": "Acme"})
    engine.load()
    return Pipeline(store, loaded.rules, WordScorer(), engine, VirtualClock(T0 + timedelta(minutes=1)))


async def test_a_failed_batch_is_retried_without_counting_it_twice(pipeline: Pipeline) -> None:
    store = pipeline.store
    store._q(f"PRAGMA max_page_count={store._q('PRAGMA page_count')[0][0]}")  # storage fails
    batch = Batch(events=posts(0, 8), cursor={"n": 8})
    with pytest.raises(StoreError, match="database or disk is full"):
        await pipeline.process("reddit", batch)
    assert store.get_cursor("reddit") is None and store.unseen(["reddit:p0"]) == {"reddit:p0"}
    store._q("PRAGMA max_page_count=1073741823")  # storage is back; the same batch comes again
    stats = await pipeline.process("reddit", batch)
    assert stats.negative == 8 and store.get_cursor("reddit") == {"n": 8}
    assert pipeline.engine.incidents == {}  # 8 negative posts: under blue's "more than 10"
    await pipeline.process("reddit", Batch(events=posts(8, 10)))
    assert pipeline.engine.incidents == {}  # 10: still not more than 10 (counted twice, it would be 18)
    await pipeline.process("reddit", Batch(events=posts(10, 11)))
    assert [i.level for i in pipeline.engine.incidents.values()] == ["blue"]


async def test_a_failed_tick_leaves_the_engine_to_be_rebuilt(pipeline: Pipeline) -> None:
    await pipeline.process("reddit", Batch(events=posts(0, 3)))
    pipeline.store._q("PRAGMA query_only=1")  # every write now fails
    with pytest.raises(StoreError):
        pipeline.tick()
    assert pipeline._engine_stale
    pipeline.store._q("PRAGMA query_only=0")
    pipeline.tick()
    assert not pipeline._engine_stale and pipeline.store.problem is None


class PolarRecorder(WordScorer):
    """Records the polar flags it is asked with; a polar text is never neutral (as the model's two-sided answer)."""

    def __init__(self) -> None:
        super().__init__()
        self.flags: list[list[bool] | None] = []

    def score(self, texts: list[str], langs: list[str | None] | None = None,  # type: ignore[override]
              polar: list[bool] | None = None) -> list[Sentiment]:
        self.flags.append(polar)
        out = super().score(texts, langs)
        return [Sentiment("positive", 0.8, s.model) if polar and polar[i] and s.label == "neutral" else s
                for i, s in enumerate(out)]


async def test_reviews_are_scored_as_taking_a_side_and_other_posts_are_not(tmp_path: Path) -> None:
    loaded = load_config(write_config(tmp_path, "store: {path: state.db}\nplaybooks: @PLAYBOOKS@\n"))
    store = Store(tmp_path / "state.db")
    engine = Engine(loaded.config.engine, loaded.playbooks, store, Outbox(store, []).enqueue, {"acme": "Acme"})
    engine.load()
    scorer = PolarRecorder()
    pipe = Pipeline(store, loaded.rules, scorer, engine, VirtualClock(T0 + timedelta(minutes=1)))
    social = Post(ts=T0, source="reddit", id="s1", text="my Acme kettle arrived today")
    review = Post(ts=T0, source="shop", id="r1", text="my Acme kettle arrived today", kind="review")
    stats = await pipe.process("mixed", Batch(events=[social, review]))
    assert scorer.flags == [[False, True]]
    assert stats.labels == {"neutral": 1, "positive": 1}
    await pipe.process("reddit", Batch(events=[Post(ts=T0, source="reddit", id="s2", text="Acme kettle ok")]))
    assert scorer.flags[-1] is None  # no review in the batch: a scorer without `polar` keeps working


def test_score_posts_passes_texts_languages_and_flags_in_order() -> None:
    scorer = PolarRecorder()
    posts_ = [Post(ts=T0, source="x", id="a", text="Acme broken", lang="en", kind="review"),
              Post(ts=T0, source="x", id="b", text="Acme fine", title="Acme news", lang="zh")]
    result = score_posts(scorer, posts_)
    assert [s.label for s in result] == ["negative", "neutral"]
    assert scorer.flags == [[True, False]]


class RecordingScorer:
    """The Scorer protocol, recording what it was asked to score (only posts that matched a rule)."""

    model_id = "fake/recording"

    def __init__(self) -> None:
        self.asked: list[list[str]] = []

    def score(self, texts: list[str], langs: list[str | None] | None = None) -> list[Sentiment]:
        self.asked.append(list(texts))
        return [Sentiment("negative" if "broken" in t else "positive", 0.8, self.model_id) for t in texts]


async def test_only_new_matching_posts_are_scored_stored_and_counted(pipeline: Pipeline) -> None:
    scorer = pipeline.scorer = RecordingScorer()
    other = Post(ts=T0, source="reddit", id="x1", text="nothing about the brand here")
    happy = Post(ts=T0, source="reddit", id="x2", text="Acme kettle is lovely")
    batch = Batch(events=[*posts(0, 2), other, happy, posts(0, 1)[0]], cursor={"n": 3})
    stats = await pipeline.process("reddit", batch)
    assert (stats.events, stats.duplicates, stats.posts, stats.matched, stats.negative) == (5, 1, 4, 3, 2)
    assert stats.labels == {"negative": 2, "positive": 1}
    assert [len(t) for t in scorer.asked] == [3]  # one batched call, the unmatched post never scored
    assert pipeline.store.get_post("reddit:x1") is None and pipeline.store.get_post("reddit:x2")["label"] == "positive"
    assert pipeline.store.get_cursor("reddit") == {"n": 3}
    again = await pipeline.process("reddit", Batch(events=posts(0, 2)))
    assert (again.duplicates, again.matched) == (2, 0) and len(scorer.asked) == 1  # seen across batches


async def test_reconfigured_rules_match_from_the_next_batch(pipeline: Pipeline, tmp_path: Path) -> None:
    keywords = """\
brands:
  acme:
    name: Acme
    aliases: [Acme]
rules:
  - id: acme-kettle-only
    brand: acme
    category: quality
    query: '{brand} AND lid'
"""
    sub = tmp_path / "new"
    sub.mkdir()
    new = load_config(write_config(sub, "store: {path: state.db}\nplaybooks: @PLAYBOOKS@\n", keywords))
    pipeline.reconfigure(new.rules)
    stats = await pipeline.process("reddit", Batch(events=[
        Post(ts=T0, source="reddit", id="a", text="Acme kettle broken"),
        Post(ts=T0, source="reddit", id="b", text="Acme kettle lid broken")]))
    assert stats.matched == 1 and pipeline.store.get_post("reddit:b")["matches"][0]["rule_id"] == "acme-kettle-only"
