"""The daemon: sources on a schedule, the pipeline, the outbox, and an HTTP face.

APScheduler 3.x (started inside the running loop) polls each source on its interval;
streaming sources (replay, webhook) run as tasks. Timers tick on ``runtime.tick``;
source health is judged on ``health.check_interval`` and blind spots are notified.
SIGTERM/SIGINT stop new work, let in-flight polls finish, drain the outbox and exit 0;
SIGHUP reloads the config, keeping the last good one if the new one is invalid.

Every long-running task runs under :class:`~monitor.supervisor.Supervisor`: a stream
consumer or the dispatcher that raises is counted, shown on /healthz and restarted with
back-off — never silently gone. A batch that fails (the store is full, say) is handed
over again by the restarted stream; a failed poll or periodic job is recorded the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.bus import hooks as bus_hooks
from monitor.clock import Clock
from monitor.config import Loaded, load_config
from monitor.errors import ConfigError, MonitorError, SourceError
from monitor.http_api import start_http
from monitor.pipeline import Scorer
from monitor.replicas import hooks as replica_hooks
from monitor.runtime import Runtime, build_notifiers, build_runtime
from monitor.sources.base import Source, SourceConfig
from monitor.supervisor import Supervisor
from monitor.tasks.reminders import schedule as schedule_reminders

log = logging.getLogger(__name__)


class Service:
    """One running daemon. ``exit_when_done`` stops it once every streaming source has ended (demo)."""

    def __init__(self, loaded: Loaded, clock: Clock, *, config_path: Path | None = None,
                 scorer: Scorer | None = None, exit_when_done: bool = False, color: bool | None = None) -> None:
        self.loaded = loaded
        self.clock = clock
        self.config_path = config_path
        self.scorer = scorer
        self.exit_when_done = exit_when_done
        self.color = color
        self.rt: Runtime | None = None
        self.stop_event = asyncio.Event()
        self.scheduler: AsyncIOScheduler | None = None
        self.in_flight: set[asyncio.Task[Any]] = set()
        self.streams: dict[str, asyncio.Task[Any]] = {}
        self.http_runner: Any = None
        self.port: int | None = None
        self._dispatcher_task: asyncio.Task[None] | None = None
        self.reloads = 0
        self.supervisor: Supervisor | None = None
        self._retired: dict[str, Source] = {}  # push sources replaced by a reload: their routes stay bound
        self.restart_backoff = (1.0, 60.0)  # seconds: first restart, longest wait
        self.replicas: Any = None  # LeaseKeeper when replicas share a PostgreSQL store (monitor.replicas)
        self.bus: Any = None  # BusSide when bus: is configured (monitor.bus): collectors append, leader consumes
        self._lease_task: asyncio.Task[None] | None = None
        self._bus_task: asyncio.Task[None] | None = None
        self.socket_mode: Any = None  # Slack Socket Mode connections (monitor.interact.slack)

    # -- start ----------------------------------------------------------------------------------
    async def _start_socket_mode(self) -> None:
        await _start_socket_mode_for(self)

    async def start(self) -> None:
        if self.scorer is None and self.loaded.config.bus is not None:
            self.scorer = bus_hooks.NoScorer()  # workers score; no model in the replica's memory
        self.rt = rt = await build_runtime(self.loaded, self.clock, scorer=self.scorer, color=self.color)
        self.scorer = rt.scorer
        self.replicas = replica_hooks.attach(self)
        # live time starts now: what collectors bring from before the window is history, not a crisis
        if replica_hooks.leader(self):
            rt.pipeline.tick()
        self.supervisor = Supervisor(rt.health, self.clock, self.stop_event, initial=self.restart_backoff[0],
                                     maximum=self.restart_backoff[1])
        if self.replicas is not None:
            self._lease_task = asyncio.create_task(
                self.supervisor.run("leases", lambda task: replica_hooks.renew(self, task)), name="leases")
        self.bus = bus_hooks.attach(self)
        if self.bus is not None:
            self._bus_task = asyncio.create_task(self.supervisor.run("bus-engine", self.bus.consume),
                                                 name="bus-engine")
        rt.health.probes["store"] = rt.store_health
        rt.health.probes["notifiers"] = lambda: self.rt.dispatcher.health()
        self._dispatcher_task = asyncio.create_task(
            self.supervisor.run("dispatcher", lambda task: rt.dispatcher.run(self.stop_event)), name="dispatcher")
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        for cfg in self.loaded.config.sources:
            if cfg.enabled:
                self._add_source(cfg)
        cfg = self.loaded.config
        self.scheduler.add_job(self._job, "interval", args=["tick", self._tick],
                               seconds=cfg.runtime.tick.total_seconds(), id="_tick", max_instances=1, coalesce=True)
        self.scheduler.add_job(self._job, "interval", args=["health-check", self._check_health],
                               seconds=cfg.health.check_interval.total_seconds(), id="_health", max_instances=1,
                               coalesce=True)
        self.scheduler.add_job(self._job, "interval", args=["prune", self._prune], hours=6, id="_prune",
                               max_instances=1, coalesce=True)
        schedule_reminders(self)  # overdue playbook tasks remind their owners (monitor.tasks)
        self.scheduler.start()
        rt.metrics.gauge_callback(self._gauges)
        if cfg.server.enabled:
            self.http_runner, self.port = await start_http(self, cfg.server.host, cfg.server.port)
        await self._start_socket_mode()
        log.info("brand monitor started: %d source(s), %d notifier(s)%s", len(rt.sources), len(rt.notifiers),
                 f", http on {cfg.server.host}:{self.port}" if self.port else "")

    def _gauges(self) -> list[tuple[str, dict[str, str], float]]:
        """Scrape-time state: open incidents by level, outbox backlog, each source's health and age."""
        return self.rt.gauges(self.clock.now()) if self.rt is not None else []

    def _add_source(self, cfg: SourceConfig) -> None:
        assert self.rt is not None and self.scheduler is not None
        source = self.rt.make_source(cfg)
        old = self._retired.pop(source.name, None)
        if old is not None and hasattr(old, "hand_over"):
            old.hand_over(source)  # the HTTP route is bound to the old object: it forwards from now on
        self.rt.health.register(source.name, cfg.kind, cfg.silence_limit(), cfg.failure_threshold, self.clock.now(),
                                streaming=source.streaming, probe=getattr(source, "health_problem", None))
        if source.streaming:
            if self.replicas is not None and source.name in self.replicas.sources:
                source = replica_hooks.LeasedSource(source, self)  # type: ignore[assignment]
            self.streams[source.name] = asyncio.create_task(self._stream(source), name=f"stream:{source.name}")
        else:
            self.scheduler.add_job(self._poll, "interval", args=[source.name], id=f"source:{source.name}",
                                   seconds=cfg.interval.total_seconds(), max_instances=1, coalesce=True,
                                   next_run_time=datetime.now(self.scheduler.timezone))

    def _remove_source(self, name: str) -> None:
        assert self.rt is not None and self.scheduler is not None
        with contextlib.suppress(Exception):
            self.scheduler.remove_job(f"source:{name}")
        task = self.streams.pop(name, None)
        if task is not None:
            task.cancel()
        source = self.rt.sources.pop(name, None)
        if source is not None and source.routes():
            self._retired[name] = source
        self.rt.health.sources.pop(name, None)
        self.rt.health.tasks.pop(f"stream:{name}", None)

    # -- work -------------------------------------------------------------------------------------
    def _track(self) -> asyncio.Task[Any] | None:
        task = asyncio.current_task()
        if task is not None:
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)
        return task

    async def _poll(self, name: str) -> None:
        rt = self.rt
        if rt is None or self.stop_event.is_set() or name not in rt.sources:
            return
        if not replica_hooks.may_run(self, name):
            return  # another replica holds this source's lease
        self._track()
        source = rt.sources[name]
        try:
            batch = await source.poll(rt.store.get_cursor(name))
        except SourceError as exc:
            rt.health.failure(name, str(exc), self.clock.now())
            log.warning("source %s failed: %s", name, exc, extra={"source": name})
            if exc.retry_after and self.scheduler is not None:
                job = self.scheduler.get_job(f"source:{name}")
                if job is not None:
                    job.modify(next_run_time=datetime.now(self.scheduler.timezone)
                               + timedelta(seconds=exc.retry_after))
            return
        except Exception as exc:  # a collector bug is a failed poll, never a dead daemon
            rt.health.failure(name, f"{type(exc).__name__}: {exc}", self.clock.now())
            log.exception("source %s crashed", name, extra={"source": name})
            return
        try:
            await self._process(source, batch)
        except Exception as exc:  # e.g. the store is full: the cursor did not move, the next poll retries
            rt.health.failure(name, f"processing failed: {type(exc).__name__}: {exc}", self.clock.now())
            log.exception("processing a batch from %s failed; it will be fetched again", name,
                          extra={"source": name})

    async def _process(self, source: Source, batch: Any) -> None:
        assert self.rt is not None
        if self.bus is not None:  # scoring happens in `monitor worker`s; the engine leader consumes the result
            await self.bus.collect(source.name, batch)
            self.rt.health.success(source.name, len(batch.events), batch.skipped, self.clock.now(), done=batch.done)
            return
        stats = await self.rt.pipeline.process(source.name, batch)
        self.rt.health.success(source.name, len(batch.events), batch.skipped, self.clock.now(), done=batch.done)
        if stats.events:
            log.info("%s: %d events, %d new, %d matched, %d negative", source.name, stats.events,
                     stats.events - stats.duplicates, stats.matched, stats.negative, extra={"source": source.name})

    async def _stream(self, source: Source) -> None:
        assert self.rt is not None and self.supervisor is not None
        rt = self.rt

        def failed(error: str) -> None:
            if source.name in rt.health.sources:
                rt.health.failure(source.name, error, self.clock.now())

        await self.supervisor.run(f"stream:{source.name}", lambda task: self._stream_once(source, task),
                                  on_failure=failed)
        if self.stop_event.is_set():
            return
        if self.exit_when_done and all(t.done() or t is asyncio.current_task() for t in self.streams.values()):
            await self._finish_replay()

    async def _stream_once(self, source: Source, task: Any) -> None:
        """One life of a stream: from the stored cursor until it ends; raises when a batch fails."""
        assert self.rt is not None
        stream = source.stream(self.rt.store.get_cursor(source.name))
        try:
            async for batch in stream:
                if self.stop_event.is_set():
                    return
                await self._process(source, batch)
                task.progress(self.clock.now())
                if batch.done:
                    break
        finally:
            # closing hands an unfinished batch back to the source for the next life
            with contextlib.suppress(Exception):
                await stream.aclose()  # type: ignore[attr-defined]

    async def _finish_replay(self) -> None:
        """Demo: after the recording, let virtual time run until incidents can resolve, then stop."""
        assert self.rt is not None
        engine, cfg = self.rt.engine, self.loaded.config.engine
        if engine.now is not None and hasattr(self.clock, "set"):
            self.clock.set(engine.now + cfg.window + cfg.quiet_period)
            self.rt.pipeline.tick()
        await self.rt.dispatcher.drain(timeout=self.loaded.config.runtime.drain_timeout.total_seconds())
        self.stop_event.set()

    async def _job(self, name: str, job: Callable[[], Awaitable[None]]) -> None:
        """A periodic job: failures are counted and shown on /healthz; the scheduler runs it again."""
        if self.rt is None:
            return
        task = self.rt.health.task(name)
        task.state = "running"
        try:
            await job()
        except Exception as exc:
            self.rt.health.task_failed(name, f"{type(exc).__name__}: {exc}", self.clock.now())
            log.exception("periodic job %s failed; it runs again on schedule", name)
        else:
            task.progress(self.clock.now())

    async def _tick(self) -> None:
        if self.rt is not None and not self.stop_event.is_set() and replica_hooks.leader(self):
            self.rt.pipeline.tick()

    async def _check_health(self) -> None:
        rt = self.rt
        if rt is None or not self.loaded.config.health.blind_spot_alerts:
            return
        before = {name: (h.blind, h.blind_since) for name, h in rt.health.sources.items()}
        alerts = rt.health.check(self.clock.now())
        if alerts:
            try:
                with rt.store.transaction():
                    for alert in alerts:
                        log.warning("%s: %s", alert.transition, alert.reason, extra={"source": alert.incident_id})
                        rt.outbox.enqueue(alert)
            except Exception:
                # not queued (the store is failing): forget that they were raised, so the next check
                # raises them again instead of the blind spot going unannounced
                for name, (blind, since) in before.items():
                    if name in rt.health.sources:
                        rt.health.sources[name].blind, rt.health.sources[name].blind_since = blind, since
                raise

    async def _prune(self) -> None:
        if self.rt is not None and replica_hooks.leader(self):
            n = self.rt.store.prune(self.clock.now() - self.loaded.config.store.retention)
            from monitor.store_actions import ActionStore

            n += ActionStore(self.rt.store).prune_nonces(self.clock.now() - self.loaded.config.store.retention)
            if n:
                log.info("pruned %d rows older than the retention period", n)

    # -- reload -----------------------------------------------------------------------------------
    def reload(self) -> bool:
        """Re-read the config file; on any problem keep running on the last good config."""
        if self.config_path is None or self.rt is None:
            log.warning("reload ignored: running on the embedded default (no config file)")
            return False
        try:
            new = load_config(self.config_path)
        except ConfigError as exc:
            log.error("reload rejected, keeping the last good configuration:\n%s", exc,
                      extra={"problems": len(exc.problems)})
            return False
        rt, old = self.rt, self.loaded
        rt.reconfigure(new)
        old_src = {c.display_name(): c for c in old.config.sources}
        new_src = {c.display_name(): c for c in new.config.sources}
        for name, cfg in old_src.items():
            if new_src.get(name) != cfg:
                self._remove_source(name)
        for name, cfg in new_src.items():
            if old_src.get(name) != cfg and cfg.enabled:
                self._add_source(cfg)
        if [c.model_dump() for c in old.config.notifiers] != [c.model_dump() for c in new.config.notifiers]:
            assert rt.notifier_ctx is not None
            notifiers = build_notifiers(new.config.notifiers, rt.notifier_ctx)
            rt.notifiers = notifiers
            rt.outbox.notifiers = notifiers
            rt.dispatcher.by_name = {n.name: n for n in notifiers}
        self.loaded = new
        self.reloads += 1
        log.warning("configuration reloaded from %s", self.config_path)
        return True

    # -- stop ---------------------------------------------------------------------------------------
    async def run(self) -> int:
        if not faulthandler.is_enabled():
            # a fatal signal in native code (SIGBUS from a storage file changed under SQLite) is
            # reported with a traceback on stderr instead of a silent death
            faulthandler.enable(file=sys.stderr, all_threads=True)
        await self.start()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stop_event.set)
        with contextlib.suppress(NotImplementedError, RuntimeError, AttributeError):
            loop.add_signal_handler(signal.SIGHUP, self.reload)
        try:
            await self.stop_event.wait()
        finally:
            await self.shutdown()
        return 0

    async def shutdown(self) -> None:
        """Stop taking work, finish what is in flight, drain the outbox, close everything."""
        self.stop_event.set()
        timeout = self.loaded.config.runtime.drain_timeout.total_seconds()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.pause()  # no new polls; shutting it down now would cancel the running ones
        for task in self.streams.values():
            task.cancel()
        pending = [t for t in self.in_flight if t is not asyncio.current_task()]
        if pending:
            log.info("waiting for %d in-flight poll(s)", len(pending))
            await asyncio.wait(pending, timeout=timeout)
        await asyncio.gather(*self.streams.values(), return_exceptions=True)
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self.rt is not None:
            try:
                drained = await self.rt.dispatcher.drain(timeout=timeout)
                if not drained:
                    log.warning("outbox not empty at shutdown; undelivered notifications are kept for next start")
            except MonitorError:
                log.exception("outbox drain failed")
        if self._dispatcher_task is not None:
            await self._dispatcher_task
        if self.bus is not None:
            if self._bus_task is not None:
                await self._bus_task
            await self.bus.bus.close()
        if self.replicas is not None:
            if self._lease_task is not None:
                await self._lease_task
            with contextlib.suppress(Exception):
                self.replicas.release_all()  # successors start now instead of after lease_ttl
        if self.http_runner is not None:
            await self.http_runner.cleanup()
        if self.socket_mode is not None:
            await self.socket_mode.close()
        for source in self._retired.values():
            with contextlib.suppress(Exception):
                await source.close()
        if self.rt is not None:
            await self.rt.close()
            self.rt = None
        log.info("brand monitor stopped")


async def _start_socket_mode_for(service: Service) -> None:
    """Slack apps with ``socket_mode: true`` get their websocket; a failure is logged, not fatal."""
    from monitor.interact.slack import SocketMode

    rt = service.rt
    if rt is None or not any(getattr(n.config, "socket_mode", False) for n in rt.notifiers):
        return
    service.socket_mode = SocketMode(service)
    try:
        await service.socket_mode.start()
    except Exception:  # Slack unreachable at start: buttons over Socket Mode wait for a restart
        log.exception("slack socket mode did not connect")
