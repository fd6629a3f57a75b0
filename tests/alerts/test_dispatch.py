"""The outbox: durable, ordered per channel, retried with backoff, never dropped silently."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from monitor.alerts.dispatch import DispatchConfig, Dispatcher, Outbox
from monitor.alerts.notifiers.base import NotifierContext
from monitor.alerts.notifiers.webhook import WebhookConfig, WebhookNotifier
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
