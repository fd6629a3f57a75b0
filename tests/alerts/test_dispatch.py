"""The outbox: durable, ordered per channel, retried with backoff, never dropped silently."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from monitor.alerts.dispatch import DispatchConfig, Dispatcher, Outbox, instance_id
from monitor.alerts.notifiers.base import Notifier, NotifierConfig, NotifierContext
from monitor.alerts.notifiers.webhook import WebhookConfig, WebhookNotifier
from monitor.errors import NotifyError
from monitor.store import Store

T = datetime(2026, 3, 1, 8, tzinfo=UTC)


class StepClock:
    def __init__(self) -> None:
        self.t = T

    def now(self) -> datetime:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


class Receiver:
    """A local endpoint that answers with a scripted list of statuses, then 200."""

    def __init__(self, script: list[int] | None = None) -> None:
        self.script = list(script or [])
        self.received: list[dict] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        status = self.script.pop(0) if self.script else 200
        if status == 200:
            self.received.append(body)
        return web.Response(status=status, text="ok" if status == 200 else "nope")


async def start(receiver: Receiver) -> TestServer:
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


def hook(url: str, clock: StepClock, session: aiohttp.ClientSession | None = None, **cfg: object) -> WebhookNotifier:
    return WebhookNotifier(WebhookConfig(kind="webhook", name="hook", url=url, **cfg),  # type: ignore[arg-type]
                           NotifierContext(clock=clock, session=session))


async def test_retries_then_delivers_in_order(tmp_path: Path, make_alert) -> None:
    receiver = Receiver([500, 503])
    server = await start(receiver)
    clock = StepClock()
    store = Store(tmp_path / "m.db")
    async with aiohttp.ClientSession() as session:
        notifier = hook(str(server.make_url("/hook")), clock, session)
        outbox = Outbox(store, [notifier])
        for i, transition in enumerate(["opened", "escalated", "resolved"], 1):
            outbox.enqueue(make_alert(transition=transition, id=f"inc-1#{i}", seq=i))
        d = Dispatcher(store, [notifier], clock, DispatchConfig(retry_base="10s", jitter=0), rng=random.Random(1))
        assert await d.run_once() == 1  # 500: head blocked until its retry is due
        assert receiver.received == []
        assert d.seconds_until_next() == 10.0
        clock.t += timedelta(seconds=10)
        await d.run_once()  # 503 again: backoff doubles
        assert d.seconds_until_next() == 20.0
        clock.t += timedelta(seconds=20)
        await d.run_once()
        assert [r["transition"] for r in receiver.received] == ["opened", "escalated", "resolved"]
        assert store.deliveries_for("inc-1#1") == [
            {"notifier": "hook", "status": "sent", "attempts": 3, "last_error": None}]
    await server.close()


async def test_permanent_errors_are_marked_failed_and_the_queue_moves_on(tmp_path: Path, make_alert) -> None:
    receiver = Receiver([404])
    server = await start(receiver)
    clock = StepClock()
    store = Store(tmp_path / "m.db")
    async with aiohttp.ClientSession() as session:
        notifier = hook(str(server.make_url("/hook")), clock, session)
        outbox = Outbox(store, [notifier])
        outbox.enqueue(make_alert(transition="opened", id="inc-1#1", seq=1))
        outbox.enqueue(make_alert(transition="escalated", id="inc-1#2", seq=2))
        await Dispatcher(store, [notifier], clock).run_once()
        assert [r["id"] for r in receiver.received] == ["inc-1#2"]
        failed = store.deliveries_for("inc-1#1")[0]
        assert failed["status"] == "failed" and "404" in failed["last_error"]
    await server.close()


async def test_unreachable_endpoint_waits_in_the_outbox_across_a_restart(tmp_path: Path, make_alert) -> None:
    clock = StepClock()
    store = Store(tmp_path / "m.db")
    async with aiohttp.ClientSession() as session:
        dead = hook("http://127.0.0.1:9/hook", clock, session, timeout="2s")
        Outbox(store, [dead]).enqueue(make_alert(transition="opened", id="inc-1#1", seq=1))
        await Dispatcher(store, [dead], clock).run_once()
    assert store.deliveries_for("inc-1#1")[0]["status"] == "pending"
    store.close()
    receiver = Receiver()
    server = await start(receiver)
    store = Store(tmp_path / "m.db")  # the daemon restarts with the endpoint back
    clock.t += timedelta(hours=1)
    async with aiohttp.ClientSession() as session:
        live = hook(str(server.make_url("/hook")), clock, session)
        assert await Dispatcher(store, [live], clock).drain(timeout=5)
    assert [r["id"] for r in receiver.received] == ["inc-1#1"]
    await server.close()


async def test_routing_only_queues_for_notifiers_that_want_it(tmp_path: Path, make_alert) -> None:
    store = Store(tmp_path / "m.db")
    ctx = NotifierContext(clock=StepClock())
    execs = WebhookNotifier(WebhookConfig(kind="webhook", name="execs", url="http://127.0.0.1:9/", levels=["red"]),
                            ctx)
    oncall = WebhookNotifier(WebhookConfig(kind="webhook", name="next", url="http://127.0.0.1:9/",
                                           escalation_step=1), ctx)
    outbox = Outbox(store, [execs, oncall])
    outbox.enqueue(make_alert(level="blue", transition="opened", id="a#1", seq=1, escalation_step=0))
    outbox.enqueue(make_alert(level="red", transition="overdue", id="a#2", seq=2, escalation_step=1))
    assert store.deliveries_for("a#1") == []
    assert sorted(d["notifier"] for d in store.deliveries_for("a#2")) == ["execs", "next"]
    await asyncio.sleep(0)


async def test_overlapping_rounds_never_send_twice(tmp_path: Path, make_alert) -> None:
    receiver = Receiver()
    server = await start(receiver)
    store = Store(tmp_path / "m.db")
    async with aiohttp.ClientSession() as session:
        notifier = hook(str(server.make_url("/hook")), StepClock(), session)
        outbox = Outbox(store, [notifier])
        for i in range(1, 6):
            outbox.enqueue(make_alert(transition="repeated", id=f"inc-1#{i}", seq=i))
        d = Dispatcher(store, [notifier], StepClock())
        stop = asyncio.Event()
        loop_task = asyncio.create_task(d.run(stop))  # the daemon's loop...
        await d.drain(timeout=5)  # ...and a drain at shutdown, at the same time
        stop.set()
        await loop_task
    assert [r["id"] for r in receiver.received] == [f"inc-1#{i}" for i in range(1, 6)]
    await server.close()


# ---- every failure path, on a scripted in-process channel and a virtual clock --------------------------------

class Scripted(Notifier):
    """A channel that plays a script: an exception to raise, "hang" to never answer, anything else delivers."""

    kind = "scripted"

    def __init__(self, script: list[object] | None = None, name: str = "chan", timeout: float = 10.0) -> None:
        super().__init__(NotifierConfig(kind="scripted", name=name, timeout=timeout), NotifierContext(StepClock()))
        self.script = list(script or [])
        self.delivered: list[str] = []
        self.calls = 0

    async def send(self, alert) -> None:  # type: ignore[no-untyped-def]
        self.calls += 1
        step = self.script.pop(0) if self.script else None
        if step == "hang":
            await asyncio.Event().wait()
        if isinstance(step, BaseException):
            raise step
        self.delivered.append(alert.id)


def outbox_with(tmp_path: Path, make_alert, notifier: Notifier, n: int = 1) -> Store:
    store = Store(tmp_path / "m.db")
    outbox = Outbox(store, [notifier])
    for i in range(1, n + 1):
        outbox.enqueue(make_alert(transition="opened" if i == 1 else "repeated", id=f"inc-1#{i}", seq=i))
    return store


def dispatcher(store: Store, notifier: Notifier, clock: StepClock | None = None, **cfg: object) -> Dispatcher:
    cfg.setdefault("jitter", 0)
    return Dispatcher(store, [notifier], clock or StepClock(), DispatchConfig(**cfg),  # type: ignore[arg-type]
                      rng=random.Random(7))


def row(store: Store, nid: str = "inc-1#1") -> dict:
    (r,) = store.deliveries_for(nid)
    return r


async def test_a_channel_timeout_is_retried_not_dropped(tmp_path: Path, make_alert) -> None:
    chan = Scripted([TimeoutError(), None])
    store = outbox_with(tmp_path, make_alert, chan)
    clock = StepClock()
    d = dispatcher(store, chan, clock, retry_base="30s")
    await d.run_once()
    assert row(store) == {"notifier": "chan", "status": "pending", "attempts": 1,
                          "last_error": "chan: no answer within 10s"}
    assert d.seconds_until_next() == 30.0 and d.failed == 0
    clock.t += timedelta(seconds=30)
    await d.run_once()
    assert row(store)["status"] == "sent" and chan.delivered == ["inc-1#1"] and d.sent == 1


async def test_a_hung_channel_is_cut_off_by_the_per_send_timeout(tmp_path: Path, make_alert) -> None:
    chan = Scripted(["hang", None], timeout=0.05)
    store = outbox_with(tmp_path, make_alert, chan, n=2)
    clock = StepClock()
    d = dispatcher(store, chan, clock, retry_base="1s")
    await asyncio.wait_for(d.run_once(), timeout=30)  # the hang ends at timeout + grace, not never
    assert row(store)["status"] == "pending" and "no answer within 0.05s" in row(store)["last_error"]
    clock.t += timedelta(seconds=1)
    assert await d.drain(timeout=30)
    assert chan.delivered == ["inc-1#1", "inc-1#2"]  # order kept behind the hung head


@pytest.mark.parametrize(("hint", "expected"), [(300.0, 300.0), (None, 10.0), (2.0, 10.0), (0.0, 10.0),
                                                (10.0 ** 12, 86400.0), (1e300, 86400.0),
                                                (float("inf"), 86400.0), (float("nan"), 10.0)])
async def test_retry_after_is_honoured_when_longer_than_the_backoff(tmp_path: Path, make_alert, hint: float | None,
                                                                    expected: float) -> None:
    chan = Scripted([NotifyError("HTTP 429", retryable=True, retry_after=hint)])
    store = outbox_with(tmp_path, make_alert, chan)
    d = dispatcher(store, chan, retry_base="10s")
    await d.run_once()
    assert d.seconds_until_next() == expected  # capped at a day: a hostile header cannot park the channel
    assert row(store)["last_error"] == "HTTP 429"


async def test_a_permanent_error_fails_at_once_and_the_queue_moves_on(tmp_path: Path, make_alert) -> None:
    chan = Scripted([NotifyError("HTTP 404", retryable=False)])
    store = outbox_with(tmp_path, make_alert, chan, n=2)
    d = dispatcher(store, chan)
    await d.run_once()
    assert row(store) == {"notifier": "chan", "status": "failed", "attempts": 1, "last_error": "HTTP 404"}
    assert chan.delivered == ["inc-1#2"] and d.failed == 1 and d.sent == 1


async def test_a_removed_notifier_is_marked_failed_not_retried(tmp_path: Path, make_alert) -> None:
    store = outbox_with(tmp_path, make_alert, Scripted(name="gone"), n=2)
    other = Scripted(name="other")
    d = Dispatcher(store, [other], StepClock())
    assert await d.run_once() == 2
    assert [r["status"] for r in (row(store, "inc-1#1"), row(store, "inc-1#2"))] == ["failed", "failed"]
    assert row(store)["last_error"] == "notifier is no longer configured"
    assert d.failed == 2 and store.next_delivery_due() is None
    assert await d.drain(timeout=1)


@pytest.mark.parametrize("max_attempts", [1, 2, 5])
async def test_max_attempts_is_exact(tmp_path: Path, make_alert, max_attempts: int) -> None:
    chan = Scripted([NotifyError("HTTP 503")] * 10)
    store = outbox_with(tmp_path, make_alert, chan)
    clock = StepClock()
    d = dispatcher(store, chan, clock, max_attempts=max_attempts, retry_base="1s", retry_max="1s")
    for _ in range(max_attempts - 1):
        await d.run_once()
        assert row(store)["status"] == "pending"
        clock.t += timedelta(seconds=1)
    await d.run_once()
    assert row(store) == {"notifier": "chan", "status": "failed", "attempts": max_attempts, "last_error": "HTTP 503"}
    assert chan.calls == max_attempts and d.failed == 1


@pytest.mark.parametrize("poison", [ValueError("Header values may not contain linefeed or carriage return"),
                                    KeyError("x"), RuntimeError("bug")])
async def test_a_poison_notification_fails_after_max_attempts_and_never_blocks_the_rest(
        tmp_path: Path, make_alert, poison: Exception) -> None:
    chan = Scripted([poison] * 3)
    store = outbox_with(tmp_path, make_alert, chan, n=3)
    clock = StepClock()
    d = dispatcher(store, chan, clock, max_attempts=3, retry_base="1s", retry_max="1s")
    for _ in range(3):
        await d.run_once()
        clock.t += timedelta(seconds=1)
    assert row(store)["status"] == "failed" and row(store)["attempts"] == 3
    assert type(poison).__name__ in row(store)["last_error"]
    assert chan.delivered == ["inc-1#2", "inc-1#3"]


async def test_a_send_that_kills_the_process_uses_up_its_attempts_across_restarts(tmp_path: Path, make_alert) -> None:
    """A crash mid-send leaves 'sending'; each restart retries it once, then gives up on it."""
    chan = Scripted()
    store = outbox_with(tmp_path, make_alert, chan, n=2)
    for run in range(3):  # three runs die during the send of inc-1#1
        if run:
            assert store.reconcile_sending(max_attempts=3) == (1, 0)  # what each restart's dispatcher does first
        assert store.begin_delivery("inc-1#1", "chan")
        assert store.pending_deliveries(T + timedelta(days=1)) == []  # the head is held while sending
        store.close()
        store = Store(tmp_path / "m.db")
    d = dispatcher(store, chan, max_attempts=3)
    await d.run_once()
    assert row(store)["status"] == "failed" and "interrupted during sending" in row(store)["last_error"]
    assert chan.delivered == ["inc-1#2"] and d.failed == 1


async def test_a_send_in_flight_at_a_crash_is_sent_again_once(tmp_path: Path, make_alert) -> None:
    chan = Scripted()
    store = outbox_with(tmp_path, make_alert, chan)
    assert store.begin_delivery("inc-1#1", "chan") and not store.begin_delivery("inc-1#1", "chan")
    d = dispatcher(store, chan)
    await d.run_once()
    assert chan.delivered == ["inc-1#1"]
    assert row(store) == {"notifier": "chan", "status": "sent", "attempts": 2, "last_error": None}


async def test_a_shutdown_mid_send_puts_the_delivery_back(tmp_path: Path, make_alert) -> None:
    chan = Scripted(["hang"])
    store = outbox_with(tmp_path, make_alert, chan)
    d = dispatcher(store, chan)
    task = asyncio.create_task(d.run_once())
    while chan.calls == 0:
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert row(store) == {"notifier": "chan", "status": "pending", "attempts": 1,
                          "last_error": "interrupted by shutdown"}


async def test_drain_reports_false_while_a_retry_is_pending(tmp_path: Path, make_alert) -> None:
    chan = Scripted([NotifyError("HTTP 503")])
    store = outbox_with(tmp_path, make_alert, chan)
    clock = StepClock()
    d = dispatcher(store, chan, clock, retry_base="1h")
    assert await d.drain(timeout=0.05) is False
    assert row(store)["status"] == "pending"
    clock.t += timedelta(hours=1)
    assert await d.drain(timeout=5) is True
    assert row(store)["status"] == "sent"


@pytest.mark.parametrize(("attempts", "base"), [(1, 5), (2, 10), (3, 20), (4, 40), (8, 600), (30, 600)])
def test_backoff_doubles_up_to_the_cap_and_jitter_stays_in_bounds(attempts: int, base: float) -> None:
    cfg = DispatchConfig(retry_base="5s", retry_max="10m", jitter=0.2)
    delays = [Dispatcher(Store(":memory:"), [], StepClock(), cfg, rng=random.Random(seed))._delay(attempts)
              .total_seconds() for seed in range(200)]
    assert all(base * 0.8 <= x <= base * 1.2 for x in delays)
    assert min(delays) < base * 0.9 and max(delays) > base * 1.1  # the jitter is used, both ways
    exact = Dispatcher(Store(":memory:"), [], StepClock(), cfg.model_copy(update={"jitter": 0.0}))
    assert exact._delay(attempts).total_seconds() == base


async def test_the_loop_waits_for_the_next_retry_within_bounds(tmp_path: Path, make_alert) -> None:
    chan = Scripted([NotifyError("503")] * 3)
    store = outbox_with(tmp_path, make_alert, chan)
    clock = StepClock()
    d = dispatcher(store, chan, clock, retry_base="2s")
    assert d.loop_wait() == 0.05  # due now: the shortest wait, never a busy loop
    await d.run_once()
    assert d.loop_wait() == 2.0
    clock.t += timedelta(seconds=1.5)
    assert d.loop_wait() == 0.5
    clock.t += timedelta(hours=1)
    assert d.loop_wait() == 0.05
    store.mark_delivered("inc-1#1", "chan", clock.now())
    assert d.loop_wait() == Dispatcher.IDLE_WAIT == 5.0  # nothing queued: sleep until woken
    d2 = dispatcher(store, chan, clock, retry_base="1h")
    Outbox(store, [chan]).enqueue(make_alert(transition="repeated", id="inc-1#9", seq=9))
    await d2.run_once()
    assert d2.loop_wait() == 5.0  # a retry an hour away: wake up every 5 s anyway (reloads, new alerts)


async def test_the_loop_survives_a_failing_round_and_delivers_afterwards(tmp_path: Path, make_alert, caplog) -> None:
    chan = Scripted()
    store = outbox_with(tmp_path, make_alert, chan)
    d = dispatcher(store, chan)
    real = store.pending_deliveries
    calls = {"n": 0}

    def flaky(now):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("disk I/O error")
        return real(now)

    store.pending_deliveries = flaky  # type: ignore[method-assign]
    d.IDLE_WAIT = d.MIN_WAIT = 0.01  # type: ignore[misc]
    stop = asyncio.Event()
    with caplog.at_level("ERROR", logger="monitor.alerts.dispatch"):
        task = asyncio.create_task(d.run(stop))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while not chan.delivered and loop.time() < deadline:
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(task, timeout=30)
    assert chan.delivered == ["inc-1#1"]
    assert [r.getMessage() for r in caplog.records] == ["dispatcher: delivery round failed; retrying shortly"]


async def test_an_unreadable_record_is_failed_at_once(tmp_path: Path, make_alert) -> None:
    chan = Scripted()
    store = outbox_with(tmp_path, make_alert, chan, n=2)
    store._x("UPDATE notifications SET data='{\"id\": \"inc-1#1\"}' WHERE id='inc-1#1'")
    d = dispatcher(store, chan)
    await d.run_once()
    assert row(store)["status"] == "failed" and row(store)["last_error"].startswith("unreadable record: KeyError: ")
    assert chan.delivered == ["inc-1#2"]


def test_the_instance_id_is_kept_by_the_store_and_differs_between_stores(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.db")
    first = instance_id(store)
    assert instance_id(store) == first and len(first) == 12
    store.close()
    assert instance_id(Store(tmp_path / "a.db")) == first  # a restart keeps it: retries keep their ids
    assert instance_id(Store(tmp_path / "b.db")) != first  # another install or a fresh drill


# ---- counters, logs and the few real-time paths (wake-ups, drain deadlines) ----------------------------------

def test_the_outbox_counts_what_it_queues_once(tmp_path: Path, make_alert) -> None:
    store = Store(tmp_path / "m.db")
    outbox = Outbox(store, [Scripted()])
    assert outbox.queued == 0 and not outbox.wake.is_set()
    assert outbox.enqueue(make_alert(id="a#1", seq=1)) and outbox.wake.is_set()
    assert outbox.enqueue(make_alert(id="a#2", seq=2))
    assert not outbox.enqueue(make_alert(id="a#2", seq=2))  # idempotent: the same id is queued once
    assert outbox.queued == 2


async def test_counters_and_the_log_say_what_happened(tmp_path: Path, make_alert, caplog) -> None:
    chan = Scripted([NotifyError("HTTP 503"), NotifyError("HTTP 503"), NotifyError(""), RuntimeError("bug")])
    store = outbox_with(tmp_path, make_alert, chan, n=4)
    clock = StepClock()
    d = dispatcher(store, chan, clock, max_attempts=2, retry_base="10s")
    with caplog.at_level("WARNING", logger="monitor.alerts.dispatch"):
        await d.run_once()  # 503: retried at +10 s
        clock.t += timedelta(seconds=10)
        await d.run_once()  # 503 again: out of attempts; the next one fails with an empty message
    records = [(r.levelname, r.getMessage(), getattr(r, "notifier", None), getattr(r, "notification", None))
               for r in caplog.records]
    assert records[:3] == [
        ("WARNING", "delivery of inc-1#1 to chan failed (attempt 1), retrying at 2026-03-01T08:00:10+00:00: HTTP 503",
         "chan", "inc-1#1"),
        ("ERROR", "delivery of inc-1#1 to chan failed permanently after 2 attempt(s): HTTP 503", "chan", "inc-1#1"),
        ("WARNING", "delivery of inc-1#2 to chan failed (attempt 1), retrying at 2026-03-01T08:00:20+00:00: "
                    "NotifyError", "chan", "inc-1#2"),
    ]
    assert row(store, "inc-1#2")["last_error"] == "NotifyError"  # an empty message still names the failure
    caplog.clear()
    clock.t += timedelta(seconds=10)
    with caplog.at_level("WARNING", logger="monitor.alerts.dispatch"):
        await d.run_once()  # inc-1#2 now meets the RuntimeError: out of attempts too
    crash = [r for r in caplog.records if r.levelname == "ERROR" and r.exc_info]
    assert [r.getMessage() for r in crash] == ["notifier chan crashed on inc-1#2"]
    assert d.failed == 2 and d.sent == 2 and chan.delivered == ["inc-1#3", "inc-1#4"]


async def test_a_missing_record_is_failed_with_its_reason(tmp_path: Path, make_alert) -> None:
    chan = Scripted()
    store = outbox_with(tmp_path, make_alert, chan, n=2)
    store._x("DELETE FROM notifications WHERE id='inc-1#1'")
    await dispatcher(store, chan).run_once()
    assert row(store) == {"notifier": "chan", "status": "failed", "attempts": 1,
                          "last_error": "notification record missing"}
    assert chan.delivered == ["inc-1#2"]


async def test_reconciling_happens_once_per_start_and_is_logged(tmp_path: Path, make_alert, caplog) -> None:
    chan = Scripted()
    store = outbox_with(tmp_path, make_alert, chan, n=3)
    store.begin_delivery("inc-1#1", "chan")
    d = dispatcher(store, chan, max_attempts=1)
    calls = []
    real = store.reconcile_sending
    store.reconcile_sending = lambda max_attempts: calls.append(max_attempts) or real(max_attempts)  # type: ignore
    with caplog.at_level("WARNING", logger="monitor.alerts.dispatch"):
        await d.run_once()
        await d.run_once()
    assert calls == [1] and d.failed == 1
    assert [r.getMessage() for r in caplog.records] == [
        "outbox: 1 send(s) were in flight when the process stopped: 0 will be retried (a channel that cannot dedupe "
        "may show them twice), 1 had no attempts left"]


async def test_the_per_send_limit_is_the_timeout_plus_a_grace(tmp_path: Path, make_alert, monkeypatch) -> None:
    import monitor.alerts.dispatch as dispatch

    seen: list[float] = []
    real = asyncio.wait_for

    async def spy(aw, timeout):  # type: ignore[no-untyped-def]
        seen.append(timeout)
        return await real(aw, timeout)

    monkeypatch.setattr(dispatch.asyncio, "wait_for", spy)
    for timeout, limit in [(30.0, 31.0), (0.5, 1.0)]:
        chan = Scripted(timeout=timeout)
        store = outbox_with(tmp_path / str(timeout), make_alert, chan)
        await dispatcher(store, chan).run_once()
        assert seen.pop() == limit


async def test_the_loop_wakes_at_once_for_a_new_alert(tmp_path: Path, make_alert) -> None:
    chan = Scripted()
    store = Store(tmp_path / "m.db")
    outbox = Outbox(store, [chan])
    d = Dispatcher(store, [chan], StepClock(), wake=outbox.wake)
    d.IDLE_WAIT = 600.0  # type: ignore[misc]  # only a wake-up can deliver within the test
    stop = asyncio.Event()
    task = asyncio.create_task(d.run(stop))
    await asyncio.sleep(0.05)  # the loop is asleep now
    outbox.enqueue(make_alert(id="a#1", seq=1))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while not chan.delivered and loop.time() < deadline:
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, timeout=60)
    assert chan.delivered == ["a#1"]


async def test_drain_waits_for_a_retry_due_within_its_timeout(tmp_path: Path, make_alert) -> None:
    from monitor.clock import SystemClock

    chan = Scripted([NotifyError("HTTP 503")])
    store = outbox_with(tmp_path, make_alert, chan)
    d = Dispatcher(store, [chan], SystemClock(), DispatchConfig(retry_base="0.2s", jitter=0))
    # the retry is due in 0.2 s: drain waits for it (and returns then; the long timeout is room for a busy machine)
    assert await d.drain(timeout=30) is True
    assert chan.delivered == ["inc-1#1"]


async def test_drain_never_overruns_its_timeout(tmp_path: Path, make_alert, monkeypatch) -> None:
    import monitor.alerts.dispatch as dispatch
    from monitor.clock import SystemClock

    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def spy(seconds: float) -> None:
        slept.append(seconds)
        await real_sleep(seconds)

    monkeypatch.setattr(dispatch.asyncio, "sleep", spy)
    chan = Scripted([NotifyError("HTTP 503")])
    store = outbox_with(tmp_path, make_alert, chan)
    d = Dispatcher(store, [chan], SystemClock(), DispatchConfig(retry_base="3s", jitter=0))
    assert await d.drain(timeout=0.2) is False  # gives up at its deadline, not when the retry falls due
    # every nap ends by the deadline (it naps up to 1 s at a time otherwise); judged on what drain asked
    # for, not on a stopwatch, so a busy machine cannot fail it
    assert slept and all(0 < s <= 0.2 for s in slept) and chan.delivered == []


async def test_a_short_retry_after_still_beats_a_shorter_backoff(tmp_path: Path, make_alert) -> None:
    chan = Scripted([NotifyError("HTTP 429", retry_after=1.0)])
    store = outbox_with(tmp_path, make_alert, chan)
    d = dispatcher(store, chan, retry_base="0.25s")
    await d.run_once()
    assert d.seconds_until_next() == 1.0


class LoopTime:
    """The running loop's clock and the dispatcher's clock as one virtual clock: drain's naps move both, so its
    deadline arithmetic is checked exactly, however busy the machine is."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, clock: StepClock) -> None:
        import monitor.alerts.dispatch as dispatch

        self.t = 1000.0
        self.clock = clock
        self.naps: list[float] = []
        self._yield = asyncio.sleep
        monkeypatch.setattr(asyncio.get_running_loop(), "time", lambda: self.t)
        monkeypatch.setattr(dispatch.asyncio, "sleep", self.nap)

    async def nap(self, seconds: float) -> None:
        self.naps.append(seconds)
        self.t += seconds
        self.clock.t += timedelta(seconds=seconds)
        await self._yield(0)


@pytest.mark.parametrize(("retry_in", "timeout", "naps", "done"), [
    ("0.25s", 10.0, [0.25], True),  # sleeps until the retry is due, not a whole second
    ("3s", 10.0, [1.0, 1.0, 1.0], True),  # at most a second at a time (new alerts, reloads)
    ("3s", 2.5, [1.0, 1.0, 0.5], False),  # the last nap ends at the deadline, then it reports what is left
    ("3s", 0.0, [], False),  # no time at all: one round, no nap
])
async def test_drain_naps_until_the_next_retry_or_its_deadline(tmp_path: Path, make_alert, monkeypatch,
                                                               retry_in: str, timeout: float, naps: list[float],
                                                               done: bool) -> None:
    chan = Scripted([NotifyError("HTTP 503")])
    store = outbox_with(tmp_path, make_alert, chan)
    clock = StepClock()
    d = dispatcher(store, chan, clock, retry_base=retry_in)
    time = LoopTime(monkeypatch, clock)
    assert await d.drain(timeout=timeout) is done
    assert time.naps == naps
    assert chan.delivered == (["inc-1#1"] if done else []) and row(store)["status"] == ("sent" if done else "pending")


async def test_health_counts_what_was_given_up_and_forgets_removed_notifiers(tmp_path: Path, make_alert) -> None:
    chan = Scripted([NotifyError("HTTP 404", retryable=False)])
    store = outbox_with(tmp_path, make_alert, chan, n=1)
    Outbox(store, [Scripted(name="gone")]).enqueue(make_alert(id="inc-2#1", seq=1))
    clock = StepClock()
    d = dispatcher(store, chan, clock)
    assert d.health() == {"status": "ok", "problem": None, "channels": {}}
    await d.run_once()  # chan gives up on inc-1#1; "gone" is no longer configured
    clock.t += timedelta(minutes=1)
    assert d.health() == {
        "status": "unhealthy",
        "problem": "notifier chan: 1 notification(s) could not be delivered and were marked failed: HTTP 404",
        "channels": {"chan": {"consecutive_failures": 1, "gave_up": 1, "last_error": "HTTP 404", "last_ok_at": None,
                              "failing_since": "2026-03-01T08:00:00Z"}}}  # a removed notifier is not judged
    assert d.failed == 2


async def test_health_follows_retries_until_a_delivery_goes_through(tmp_path: Path, make_alert) -> None:
    chan = Scripted([NotifyError("HTTP 503"), NotifyError("HTTP 502")])
    store = outbox_with(tmp_path, make_alert, chan)
    clock = StepClock()
    d = dispatcher(store, chan, clock, retry_base="20m", unhealthy_after=2, stuck_after="10m")  # not the defaults
    await d.run_once()
    assert d.health() == {"status": "ok", "problem": None, "channels": {"chan": {  # one failure: not yet a problem
        "consecutive_failures": 1, "gave_up": 0, "last_error": "HTTP 503", "last_ok_at": None,
        "failing_since": "2026-03-01T08:00:00Z"}}}
    clock.t += timedelta(minutes=10)
    assert d.health()["problem"] == "notifier chan: failing for 10 min: HTTP 503"  # stuck, however few attempts
    clock.t += timedelta(minutes=10)
    await d.run_once()  # the second attempt fails too
    assert d.health()["problem"] == "notifier chan: the last 2 delivery attempts failed: HTTP 502"
    clock.t += timedelta(minutes=40)
    await d.run_once()
    assert d.health() == {"status": "ok", "problem": None, "channels": {"chan": {
        "consecutive_failures": 0, "gave_up": 0, "last_error": "HTTP 502", "last_ok_at": "2026-03-01T09:00:00Z",
        "failing_since": None}}}


def test_a_silenced_alert_is_recorded_as_suppressed_and_queued_for_no_one(tmp_path: Path, make_alert) -> None:
    from monitor.store_actions import ActionStore

    store = Store(tmp_path / "m.db")
    alert = make_alert(level="yellow", id="inc-1#1", seq=1)
    ActionStore(store).add_silence(brand=alert.brand, level="yellow", starts_at=alert.ts - timedelta(minutes=1),
                                   ends_at=alert.ts + timedelta(hours=1), created_by="ops", reason="known outage")
    outbox = Outbox(store, [Scripted(name="a"), Scripted(name="b")])
    assert outbox.enqueue(alert) and outbox.queued == 1  # kept, never lost
    (note,) = store.notifications()
    assert note["suppressed"]["notifiers"] == ["a", "b"] and note["suppressed"]["reason"] == "known outage"
    assert store.deliveries_for("inc-1#1") == []
