"""Wiring: build every component from a validated config, and tear it down again.

The daemon, drills, the demo, recording and the incident commands all assemble the
same parts here, so a drill runs exactly the code the daemon runs.
"""

from __future__ import annotations

import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

from monitor.alerts.dispatch import Dispatcher, Outbox, instance_id
from monitor.alerts.engine import Engine
from monitor.alerts.notifiers.base import NOTIFIERS, Notifier, NotifierConfig, NotifierContext
from monitor.clock import Clock, SystemClock
from monitor.config import Loaded
from monitor.errors import ConfigError, MonitorError, Problem
from monitor.health import HealthTracker
from monitor.metrics import Metrics
from monitor.pipeline import Pipeline, Scorer
from monitor.sources.base import SOURCES, Source, SourceConfig, SourceContext
from monitor.store import Store, open_store
from monitor.tasks.track import attach as track_tasks
from monitor.timezones import configure as configure_zones

log = logging.getLogger(__name__)


def build_notifiers(configs: list[NotifierConfig], ctx: NotifierContext) -> list[Notifier]:
    out = []
    for cfg in configs:
        cls = NOTIFIERS.get(cfg.kind)
        if cls is None:  # validated earlier; only reachable with hand-built configs
            raise ConfigError([Problem("", f"notifier {cfg.display_name()}", f"unknown kind {cfg.kind!r}")])
        out.append(cls(cfg, ctx))
    return out


def load_scorer(loaded: Loaded) -> Scorer:
    from monitor.nlp.sentiment import load_scorer as _load

    return _load(loaded.config.sentiment)


@dataclass
class Runtime:
    loaded: Loaded
    clock: Clock
    store: Store
    scorer: Scorer
    engine: Engine
    outbox: Outbox
    dispatcher: Dispatcher
    pipeline: Pipeline
    notifiers: list[Notifier]
    health: HealthTracker
    metrics: Metrics
    executor: ThreadPoolExecutor
    session: aiohttp.ClientSession | None = None
    sources: dict[str, Source] = field(default_factory=dict)
    notifier_ctx: NotifierContext | None = None  # what a reload builds changed notifiers with (same instance id)

    @property
    def rules(self) -> Any:
        return self.loaded.rules

    def __post_init__(self) -> None:
        # the playbook as a checklist: each level's tasks are recorded as its alert is queued (monitor.tasks)
        track_tasks(self.engine, lambda: self.loaded.config.tasks)

    def gauges(self, now: datetime) -> list[tuple[str, dict[str, str], float]]:
        """Scrape-time state for /metrics: open incidents by level, store and outbox, channels, tasks, sources."""
        rt = self
        out: list[tuple[str, dict[str, str], float]] = []
        levels = [i.level for i in rt.engine.incidents.values()]
        for level in ("blue", "yellow", "red"):
            out.append(("open_incidents", {"level": level}, float(levels.count(level))))
        store = rt.store_health()
        out.append(("store_healthy", {}, 1.0 if store["status"] == "ok" else 0.0))
        if store.get("outbox_oldest_pending_age_seconds") is not None:
            out.append(("outbox_oldest_pending_age_seconds", {}, float(store["outbox_oldest_pending_age_seconds"])))
        with contextlib.suppress(MonitorError):  # a broken store shows as store_healthy 0, not a failed scrape
            for (notifier, status), n in rt.store.delivery_counts().items():
                if status != "sent":
                    out.append(("outbox_deliveries", {"notifier": notifier, "status": status}, float(n)))
        for name, ch in rt.dispatcher.health()["channels"].items():  # type: ignore[union-attr]
            out.append(("notifier_consecutive_failures", {"notifier": name}, float(ch["consecutive_failures"])))
        for name, t in rt.health.tasks.items():
            out.append(("task_restarts", {"task": name}, float(t.restarts)))
            out.append(("task_healthy", {"task": name}, 0.0 if t.problem() else 1.0))
        for name, h in rt.health.sources.items():
            out.append(("source_healthy", {"source": name}, 0.0 if h.problem(now) else 1.0))
            if h.last_event_at is not None:
                out.append(("source_last_event_age_seconds", {"source": name},
                            (now - h.last_event_at).total_seconds()))
        return out

    def store_health(self) -> dict[str, Any]:
        """The store as /healthz shows it: its last problem, error count and the outbox backlog."""
        store = self.store
        out: dict[str, Any] = {"status": "ok", "problem": None, "errors": store.faults.errors,
                               "outbox_pending": None, "outbox_oldest_pending_age_seconds": None}
        try:
            pending, oldest = store.outbox_backlog()
        except MonitorError:
            pass  # the problem it left is reported below
        else:
            out["outbox_pending"] = pending
            if oldest is not None:
                out["outbox_oldest_pending_age_seconds"] = max(0.0, (self.clock.now() - oldest).total_seconds())
        if store.problem:
            out["status"], out["problem"] = "unhealthy", store.problem
        return out

    def source_context(self) -> SourceContext:
        store = Path(self.store.path if self.store.backend == "sqlite" else self.loaded.config.store.path)
        return SourceContext(clock=self.clock, session=self.session, user_agent=self.loaded.config.runtime.user_agent,
                             state_dir=store.parent / f"{store.stem}.state")

    def make_source(self, cfg: SourceConfig) -> Source:
        cls = SOURCES.get(cfg.kind)
        if cls is None:
            raise ConfigError([Problem("", f"source {cfg.display_name()}", f"unknown kind {cfg.kind!r}")])
        source = cls(cfg, self.source_context())
        self.sources[source.name] = source
        return source

    def reconfigure(self, loaded: Loaded) -> None:
        """Swap in a newly validated config's rules, playbooks and thresholds (reload)."""
        self.loaded = loaded
        configure_zones(loaded.config.timezone, loaded.config.brand_timezones)
        self.pipeline.rules = loaded.rules
        self.engine.config = loaded.config.engine
        self.engine.playbooks = loaded.playbooks
        self.engine.brand_names = {b.id: b.name for b in loaded.rules.brands.values()}
        for w in self.engine.windows.values():
            w.config = loaded.config.engine
            w.__post_init__()

    async def close(self) -> None:
        for source in self.sources.values():
            try:
                await source.close()
            except Exception:  # closing is best effort; never mask the reason we are stopping
                log.exception("closing source %s", source.name)
        for notifier in self.notifiers:
            try:
                await notifier.close()
            except Exception:
                log.exception("closing notifier %s", notifier.name)
        if self.session is not None:
            await self.session.close()
        self.executor.shutdown(wait=True)
        self.store.close()


async def build_runtime(loaded: Loaded, clock: Clock, *, notifier_configs: list[NotifierConfig] | None = None,
                        scorer: Scorer | None = None, delivery_clock: Clock | None = None,
                        color: bool | None = None, http: bool = True) -> Runtime:
    """Assemble the parts. ``notifier_configs`` overrides the config's (drills are dry by default)."""
    cfg = loaded.config
    configure_zones(cfg.timezone, cfg.brand_timezones)  # how alerts show times; logic stays UTC
    store = open_store(cfg.store, **_replica_store_options(cfg))
    metrics = Metrics()
    session = None
    if http:
        session = aiohttp.ClientSession(headers={"User-Agent": cfg.runtime.user_agent})
    nctx = NotifierContext(clock=clock, session=session, color=color, store=store, instance=instance_id(store))
    notifiers = build_notifiers(cfg.notifiers if notifier_configs is None else notifier_configs, nctx)
    outbox = Outbox(store, notifiers)
    engine = Engine(cfg.engine, loaded.playbooks, store, outbox.enqueue,
                    brand_names={b.id: b.name for b in loaded.rules.brands.values()})
    engine.load()
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sentiment")
    if scorer is None:
        scorer = load_scorer(loaded)
    pipeline = Pipeline(store, loaded.rules, scorer, engine, clock, executor, metrics)
    dispatcher = Dispatcher(store, notifiers, delivery_clock or SystemClock(), cfg.dispatch, wake=outbox.wake)
    return Runtime(loaded=loaded, clock=clock, store=store, scorer=scorer, engine=engine, outbox=outbox,
                   dispatcher=dispatcher, pipeline=pipeline, notifiers=notifiers, health=HealthTracker(metrics),
                   metrics=metrics, executor=executor, session=session, notifier_ctx=nctx)


def _replica_store_options(cfg: Any) -> dict[str, Any]:
    """PostgreSQL only: who this replica is in outbox claims, and how long a claim lasts."""
    if cfg.store.backend != "postgres":
        return {}
    from monitor.replicas.hooks import replica_id

    return {"holder": replica_id(cfg), "claim_ttl": cfg.replica.claim_ttl.total_seconds()}
