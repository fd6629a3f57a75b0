"""The runtime's own behaviour, with a protocol fake for the scorer (no model) and no HTTP session:
assembly, sources by kind, store health, reconfigure() composing the components' own, and closing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.clock import VirtualClock
from monitor.config import Loaded, load_config
from monitor.errors import ConfigError, StoreError
from monitor.runtime import Runtime, build_notifiers, build_runtime
from monitor.sources.base import SourceConfig
from monitor.sources.replay import ReplayConfig
from tests.support import WordScorer, write_config

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def config(tmp_path: Path, *, notifier: str = "hook", blue: int = 10, brand: str = "Acme") -> Loaded:
    keywords = f"""\
brands:
  acme:
    name: {brand}
    aliases: [Acme]
rules:
  - id: acme-any
    brand: acme
    category: general
    query: '{{brand}}'
"""
    return load_config(write_config(tmp_path, f"""\
        store: {{path: state.db}}
        playbooks: @PLAYBOOKS@
        engine: {{blue: {{platform_posts: {blue}}}}}
        notifiers:
          - {{kind: webhook, name: {notifier}, url: "http://127.0.0.1:9/hook"}}
        """, keywords))


@pytest.fixture
async def rt(tmp_path: Path):
    runtime = await build_runtime(config(tmp_path), VirtualClock(T0), scorer=WordScorer(), http=False)
    yield runtime
    await runtime.close()


async def test_assembles_the_parts_around_one_store_and_one_notifier_context(rt: Runtime) -> None:
    assert rt.session is None and isinstance(rt.scorer, WordScorer)
    assert [n.name for n in rt.notifiers] == ["hook"] and rt.outbox.notifiers == rt.notifiers
    assert set(rt.dispatcher.by_name) == {"hook"}
    assert rt.notifier_ctx is not None and rt.notifiers[0].ctx is rt.notifier_ctx
    assert rt.notifier_ctx.store is rt.store and rt.notifier_ctx.instance != ""
    assert rt.engine.store is rt.store and rt.pipeline.engine is rt.engine and rt.pipeline.rules is rt.rules


async def test_make_source_registers_by_name_and_refuses_an_unknown_kind(rt: Runtime, tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text("")
    with pytest.raises(ConfigError, match="unknown kind 'nonsense'"):
        rt.make_source(SourceConfig(kind="nonsense"))
    source = rt.make_source(ReplayConfig(name="drill", path=feed))
    assert rt.sources["drill"] is source and source.ctx.clock is rt.clock and source.cfg.path == feed


def test_build_notifiers_refuses_an_unknown_kind() -> None:
    from monitor.alerts.notifiers.base import NotifierConfig, NotifierContext

    with pytest.raises(ConfigError, match="unknown kind 'pigeon'"):
        build_notifiers([NotifierConfig(kind="pigeon")], NotifierContext(clock=VirtualClock(T0)))


async def test_store_health_reports_backlog_and_problems(rt: Runtime) -> None:
    assert rt.store_health() == {"status": "ok", "problem": None, "errors": 0, "outbox_pending": 0,
                                 "outbox_oldest_pending_age_seconds": None}
    rt.store._q("PRAGMA query_only=1")  # storage refuses writes from here on
    with pytest.raises(StoreError):
        rt.store.execute("INSERT INTO meta(key, value) VALUES(?, ?)", ("k", "v"))
    health = rt.store_health()
    assert health["status"] == "unhealthy" and "attempt to write a readonly database" in health["problem"]
    assert health["errors"] == 1


async def test_reconfigure_keeps_unchanged_notifiers_and_swaps_rules_and_thresholds(rt: Runtime,
                                                                                   tmp_path: Path) -> None:
    before = rt.notifiers
    new = config(tmp_path / ".." / tmp_path.name, blue=3, brand="Acme Corp")
    assert rt.reconfigure(new) == []
    assert rt.notifiers is before and rt.loaded is new
    assert rt.pipeline.rules is new.rules and rt.engine.config is new.config.engine
    assert rt.engine.brand_names == {"acme": "Acme Corp"}


async def test_reconfigure_rebuilds_changed_notifiers_and_closes_the_old_with_the_runtime(tmp_path: Path) -> None:
    rt = await build_runtime(config(tmp_path), VirtualClock(T0), scorer=WordScorer(), http=False)
    old = rt.notifiers[0]
    closed: list[str] = []

    async def close() -> None:
        closed.append(old.name)

    old.close = close  # type: ignore[method-assign]
    replaced = rt.reconfigure(config(tmp_path, notifier="hook2"))
    assert replaced == [old] and rt.retired_notifiers == [old]
    assert [n.name for n in rt.notifiers] == ["hook2"] and rt.notifiers[0].ctx is rt.notifier_ctx
    assert rt.outbox.notifiers == rt.notifiers and set(rt.dispatcher.by_name) == {"hook2"}
    await rt.close()
    assert closed == ["hook"]  # a delivery may have used it until the end; closed with the runtime
