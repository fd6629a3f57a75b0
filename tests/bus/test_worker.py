"""Scoring workers on Redis Streams: score and forward, take over a dead worker's entries, trim by age."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import yaml

from monitor.bus.settings import BusConfig
from monitor.bus.streams import RAW, SCORED, WORKERS, RedisBus
from monitor.bus.worker import Worker
from monitor.nlp.keywords.ruleset import compile_rules
from tests.servers import REDIS_URL, redis_prefix
from tests.support import KEYWORDS, WordScorer


@pytest.fixture
async def bus() -> AsyncIterator[RedisBus]:
    with redis_prefix() as prefix:
        b = RedisBus(BusConfig(url=REDIS_URL, prefix=prefix, claim_idle=timedelta(milliseconds=200), batch=50))
        await b.ensure_group(RAW, WORKERS)
        await b.ensure_group(SCORED, "engine")
        yield b
        await b.close()


def post(i: int, text: str) -> dict:
    return {"type": "post", "ts": f"2026-03-01T08:{i:02d}:00Z", "source": "reddit", "id": str(i), "text": text}


def rules():  # type: ignore[no-untyped-def]
    return compile_rules(yaml.safe_load(KEYWORDS))


async def test_a_worker_scores_matching_posts_and_passes_trends_through(bus: RedisBus) -> None:
    await bus.append(RAW, [post(2, "Acme battery broken"), post(1, "weather"), post(3, "Acme is fine"),
                           {"type": "trend", "ts": "2026-03-01T08:00:30Z", "source": "weibo_hot", "word": "Acme",
                            "rank": 3}])
    w = Worker(bus, rules(), WordScorer(), name="w1")
    assert await w.step(block_ms=100) == 4
    out = await bus.read(SCORED, "engine", "engine", block_ms=100)
    assert [(e.get("key"), e.get("label")) for _i, e in out] == [(None, None), ("reddit:2", "negative"),
                                                                  ("reddit:3", "neutral")]  # event-time order
    assert out[1][1]["matches"] == [{"rule_id": "acme-any", "brand": "acme", "category": "general",
                                     "terms": out[1][1]["matches"][0]["terms"]}]
    assert (await bus.lag())[RAW] == 0  # acknowledged


async def test_a_dead_workers_pending_entries_are_reclaimed(bus: RedisBus) -> None:
    await bus.append(RAW, [post(i, f"Acme broken {i}") for i in range(5)])
    taken = await bus.read(RAW, WORKERS, "dead", block_ms=100)  # read, then the worker "dies"
    assert len(taken) == 5 and (await bus.lag())[RAW] == 5
    live = Worker(bus, rules(), WordScorer(), name="live", reclaim_every=0)
    assert await live.step(block_ms=50) == 0  # not idle long enough yet: nothing new, nothing reclaimed
    await asyncio.sleep(0.25)
    assert await live.step(block_ms=50) == 5 and live.reclaimed == 5
    out = await bus.read(SCORED, "engine", "engine", block_ms=100)
    assert sorted(e["key"] for _i, e in out) == [f"reddit:{i}" for i in range(5)]
    assert (await bus.lag())[RAW] == 0


async def test_streams_are_trimmed_by_age(bus: RedisBus) -> None:
    bus.config.retention = timedelta(milliseconds=300)
    await bus.append(RAW, [post(1, "old")])
    await asyncio.sleep(0.4)
    await bus.append(RAW, [post(2, "new")])
    assert await bus.redis.xlen(bus.key(RAW)) == 1


async def test_an_unreachable_redis_is_a_clear_error() -> None:
    b = RedisBus(BusConfig(url="redis://127.0.0.1:1/0"))
    with pytest.raises(Exception, match=r"event bus redis://127\.0\.0\.1:1/0: cannot append to monitor:raw: .*"
                                        r"is Redis running and bus\.url right\?"):
        await b.append(RAW, [post(1, "x")])
    await b.close()


async def test_a_new_leader_reads_back_every_pending_entry_in_chunks(bus: RedisBus) -> None:
    bus.config.batch = 2
    await bus.append(SCORED, [post(i, f"x{i}") for i in range(5)])
    read = []
    while chunk := await bus.read(SCORED, "engine", "engine", block_ms=50):
        read += chunk  # the old leader read them all, then died before acknowledging
    got, after = [], "0"
    while chunk := await bus.read(SCORED, "engine", "engine", pending=True, after=after):
        got += chunk
        after = chunk[-1][0]
    assert [i for i, _ in got] == [i for i, _ in read] and len(got) == 5


async def test_a_worker_scores_a_trends_own_news_items(bus: RedisBus) -> None:
    news = [{"title": "Acme kettles leak, users say", "url": "https://n.example/1", "source": "N"},
            {"title": "Weather calm all week", "url": "https://n.example/2", "source": "W"}]
    await bus.append(RAW, [{"type": "trend", "ts": "2026-03-01T08:00:30Z", "source": "google_trends",
                            "word": "Acme kettle", "rank": 3, "news": news},
                           {"type": "trend", "ts": "2026-03-01T08:00:40Z", "source": "weibo_hot", "word": "Acme",
                            "rank": 2}])
    scorer = WordScorer()
    w = Worker(bus, rules(), scorer, name="w1")
    assert await w.step(block_ms=100) == 2
    out = [e for _i, e in await bus.read(SCORED, "engine", "engine", block_ms=100)]
    assert out[0]["news"] == [["negative", 0.9, ["acme"]], ["neutral", 0.9, []]]
    assert "news" not in out[1] and scorer.calls == 1  # a trend without news items is passed through as it was
