"""The durable outbox: every alert is written to SQLite before anyone is told.

:class:`Outbox` routes an alert to the notifiers that want it and queues one delivery
per notifier in the same transaction as the state change that caused it. The
:class:`Dispatcher` delivers queued notifications in order per channel, retries what
can be retried with exponential backoff and jitter, and gives up — loudly — on what
cannot. A crash at any point loses nothing: undelivered rows are delivered after the
restart.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from monitor.alerts.channel_health import ChannelHealthBook
from monitor.alerts.notifiers.base import Notifier
from monitor.alerts.records import alert_from_record, alert_to_record
from monitor.clock import Clock
from monitor.durations import Duration
from monitor.errors import MonitorError, NotifyError
from monitor.models import Alert
from monitor.store import Store

log = logging.getLogger(__name__)


class DeliveryObserver(Protocol):
    """What /metrics learns from the dispatcher (:class:`monitor.metrics.Instruments`)."""

    def delivered(self, notification_id: str, notifier: str) -> None: ...
    def retry(self, notifier: str) -> None: ...
    def failed(self, notifier: str) -> None: ...


class DispatchConfig(BaseModel):
    """How hard the outbox tries before it gives up on a delivery."""

    model_config = ConfigDict(extra="forbid")

    retry_base: Duration = Field(default=timedelta(seconds=5), description="first retry delay (doubles each try)")
    retry_max: Duration = Field(default=timedelta(minutes=10), description="longest delay between retries")
    max_attempts: int = Field(default=20, ge=1, description="attempts before a delivery is marked failed")
    jitter: float = Field(default=0.2, ge=0, le=1, description="random +/- share of each delay")
    unhealthy_after: int = Field(default=3, ge=1, description="consecutive failed attempts that make a notifier "
                                 "(and /healthz) unhealthy until a delivery goes through")
    stuck_after: Duration = Field(default=timedelta(minutes=15), description="a notifier failing this long is "
                                  "unhealthy however few attempts it made (the manual's 15 minutes)")


class Outbox:
    """Queues alerts durably. Call inside the store transaction that produced the alert."""

    def __init__(self, store: Store, notifiers: Sequence[Notifier]) -> None:
        self.store = store
        self.notifiers = list(notifiers)
        self.wake = asyncio.Event()
        self.queued = 0
        self.on_queued: Callable[[Alert, bool], None] | None = None  # (alert, added): metrics

    def reconfigure(self, notifiers: Sequence[Notifier]) -> None:
        """Route from now on to these notifiers (a reload); what is queued stays queued, by name."""
        self.notifiers = list(notifiers)

    def enqueue(self, alert: Alert) -> bool:
        names = [n.name for n in self.notifiers if n.wants(alert)]
        record = alert_to_record(alert)
        if names:  # a silenced notification is recorded as suppressed, never lost
            from monitor.store_actions import suppress

            names = suppress(self.store, alert, record, names)
        added = self.store.add_notification(record, alert.ts, names)
        if added:
            self.queued += 1
            self.wake.set()
        if self.on_queued is not None:
            self.on_queued(alert, added)
        return added


def instance_id(store: Store) -> str:
    """A random id of this store (one install, or one drill run): with a notification id it makes
    delivery ids (e-mail Message-IDs, webhook delivery headers) stable across retries and
    restarts, yet unique across installs and drills that reuse the same incident ids.
    """
    value = store.get_meta("instance_id")
    if value is None:  # replicas starting together on one database agree on the first id written
        store.execute("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO NOTHING",
                      ("instance_id", secrets.token_hex(6)))
        value = store.get_meta("instance_id")
        assert value is not None
    return value


class Dispatcher:
    """Delivers the outbox: in order per notifier, retrying with backoff, never dropping silently.

    Each send is recorded ('sending', the attempt counted) before it starts, so a notification
    that crashes or hangs the process uses up its attempts across restarts like any other
    failure, and is then marked failed instead of blocking its channel for good.
    """

    IDLE_WAIT = 5.0  # seconds the loop sleeps with nothing due (a new alert wakes it sooner)
    MIN_WAIT = 0.05  # the shortest sleep between rounds, so a due-now row cannot spin the loop
    MAX_HINT = timedelta(days=1)  # the longest Retry-After a channel may impose

    def __init__(self, store: Store, notifiers: Sequence[Notifier], clock: Clock, config: DispatchConfig | None = None,
                 wake: asyncio.Event | None = None, rng: random.Random | None = None,
                 observer: DeliveryObserver | None = None) -> None:
        self.store = store
        self.by_name = {n.name: n for n in notifiers}
        self.clock = clock
        self.config = config or DispatchConfig()
        self.wake = wake or asyncio.Event()
        self.rng = rng or random.Random()
        self.sent = 0
        self.failed = 0
        self.observer = observer
        self._reconciled = False
        self.channels = ChannelHealthBook(self.config.unhealthy_after, self.config.stuck_after)
        self._lock = asyncio.Lock()  # run() and drain() may overlap: one delivery round at a time

    def reconfigure(self, notifiers: Sequence[Notifier]) -> None:
        """Deliver from now on through these notifiers (a reload). Queued rows are matched by notifier name
        at delivery; a removed notifier's channel health is forgotten, a kept one's history stays."""
        self.by_name = {n.name: n for n in notifiers}
        self.channels.forget(set(self.by_name))

    def _delay(self, attempts: int) -> timedelta:
        cfg = self.config
        base = min(cfg.retry_base * (2 ** max(0, attempts - 1)), cfg.retry_max)
        return base * (1 + self.rng.uniform(-cfg.jitter, cfg.jitter))

    def health(self) -> dict[str, object]:
        """The /healthz component: a notifier failing or stuck is unhealthy, with the reason."""
        self.channels.forget(set(self.by_name))
        return self.channels.as_probe(self.clock.now())

    def _give_up(self, notification_id: str, notifier_name: str, why: str, attempts: int) -> None:
        self.store.mark_failed(notification_id, notifier_name, why, None)
        self.failed += 1
        if self.observer is not None:
            self.observer.failed(notifier_name)
        if notifier_name in self.by_name:  # a removed notifier is no channel to judge
            self.channels.failed(notifier_name, why, self.clock.now(), permanent=True)
        log.error("delivery of %s to %s failed permanently after %d attempt(s): %s", notification_id,
                  notifier_name, attempts, why, extra={"notifier": notifier_name, "notification": notification_id})

    def _retry(self, notification_id: str, notifier_name: str, why: str, attempts: int,
               hint: float | None = None) -> None:
        """Schedule the next attempt, or give up once ``max_attempts`` are used."""
        if attempts >= self.config.max_attempts:
            self._give_up(notification_id, notifier_name, why, attempts)
            return
        delay = self._delay(attempts)
        if hint is not None and hint > 0:  # the channel said when (429/503 Retry-After); NaN fails the test
            delay = max(delay, timedelta(seconds=min(float(hint), self.MAX_HINT.total_seconds())))
        retry_at = self.clock.now() + delay
        self.store.mark_failed(notification_id, notifier_name, why, retry_at)
        self.channels.failed(notifier_name, why, self.clock.now(), permanent=False)
        if self.observer is not None:
            self.observer.retry(notifier_name)
        log.warning("delivery of %s to %s failed (attempt %d), retrying at %s: %s", notification_id,
                    notifier_name, attempts, retry_at.isoformat(timespec="seconds"), why,
                    extra={"notifier": notifier_name, "notification": notification_id})

    async def _deliver(self, notification_id: str, notifier_name: str, attempts: int) -> None:
        record = self.store.notification(notification_id)
        notifier = self.by_name.get(notifier_name)
        if record is None or notifier is None:
            why = "notifier is no longer configured" if notifier is None else "notification record missing"
            self._give_up(notification_id, notifier_name, why, attempts)
            return
        try:
            alert = alert_from_record(record)
        except Exception as exc:  # a record this version cannot read: retrying cannot help
            self._give_up(notification_id, notifier_name, f"unreadable record: {type(exc).__name__}: {exc}", attempts)
            return
        if not self.store.begin_delivery(notification_id, notifier_name):
            return  # settled meanwhile
        attempts += 1
        timeout = notifier.config.timeout.total_seconds()
        try:
            # the notifier's own timeout normally fires first; this bounds a notifier that ignores it
            await asyncio.wait_for(notifier.send(alert), timeout=timeout + min(timeout, 1.0))
        except TimeoutError:
            self._retry(notification_id, notifier_name, f"{notifier_name}: no answer within {timeout:g}s", attempts)
        except NotifyError as exc:
            message = str(exc) or type(exc).__name__
            if exc.retryable:
                self._retry(notification_id, notifier_name, message, attempts, exc.retry_after)
            else:
                self._give_up(notification_id, notifier_name, message, attempts)
        except asyncio.CancelledError:  # shutdown mid-send: try again at the next start
            self.store.mark_failed(notification_id, notifier_name, "interrupted by shutdown", self.clock.now())
            raise
        except Exception as exc:  # a notifier bug or a poison alert: retried, but only max_attempts times
            log.exception("notifier %s crashed on %s", notifier_name, notification_id)
            self._retry(notification_id, notifier_name, f"{type(exc).__name__}: {exc}", attempts)
        else:
            self.store.mark_delivered(notification_id, notifier_name, self.clock.now())
            self.sent += 1
            self.channels.ok(notifier_name, self.clock.now())
            if self.observer is not None:
                self.observer.delivered(notification_id, notifier_name)

    async def run_once(self) -> int:
        """Deliver every delivery that is due now; returns how many were attempted."""
        total = 0
        async with self._lock:
            if not self._reconciled:
                requeued, failed = self.store.reconcile_sending(self.config.max_attempts)
                self._reconciled = True
                self.failed += failed
                if requeued or failed:
                    log.warning("outbox: %d send(s) were in flight when the process stopped: %d will be retried "
                                "(a channel that cannot dedupe may show them twice), %d had no attempts left",
                                requeued + failed, requeued, failed)
            while True:
                due = self.store.pending_deliveries(self.clock.now())
                if not due:
                    return total
                # one head per notifier: channels proceed in parallel, each in order
                await asyncio.gather(*(self._deliver(nid, name, attempts) for nid, name, attempts, _ in due))
                total += len(due)

    def seconds_until_next(self) -> float | None:
        nxt = self.store.next_delivery_due()
        if nxt is None:
            return None
        return max(0.0, (nxt - self.clock.now()).total_seconds())

    def loop_wait(self) -> float:
        """How long the loop sleeps before its next round: until the next retry, within bounds."""
        try:
            wait = self.seconds_until_next()
        except MonitorError:
            return self.IDLE_WAIT
        return self.IDLE_WAIT if wait is None else min(max(wait, self.MIN_WAIT), self.IDLE_WAIT)

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; wakes on new alerts or when a retry falls due."""
        while not stop.is_set():
            self.wake.clear()
            try:
                await self.run_once()
            except Exception:  # a store error (disk, lock): keep the loop alive and try again
                log.exception("dispatcher: delivery round failed; retrying shortly")
            wait = self.loop_wait()
            waiters = [asyncio.ensure_future(self.wake.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waiters, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()

    async def drain(self, timeout: float) -> bool:
        """Deliver what is due and wait for pending retries, up to ``timeout`` seconds. True when empty."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            await self.run_once()
            wait = self.seconds_until_next()
            if wait is None:
                return True
            left = deadline - loop.time()
            if left <= 0:
                return False
            await asyncio.sleep(min(wait, left, 1.0) or 0.01)
