"""A notifier that keeps failing, gave up, or has failed for 15 minutes makes /healthz unhealthy, with the reason."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import aiohttp

from monitor.alerts.channel_health import ChannelHealthBook
from monitor.alerts.dispatch import DispatchConfig, Dispatcher, Outbox
from monitor.store import Store
from tests.alerts.test_dispatch import Receiver, StepClock, T, hook, start


def test_book_judges_streaks_give_ups_and_age() -> None:
    book = ChannelHealthBook(failures=3, stuck_after=timedelta(minutes=15))
    book.failed("slack", "HTTP 500", T, permanent=False)
    book.failed("slack", "HTTP 500", T, permanent=False)
    assert book.as_probe(T)["status"] == "ok"  # two failures: still within the streak allowed
    assert book.as_probe(T + timedelta(minutes=15))["problem"] == "notifier slack: failing for 15 min: HTTP 500"
    book.failed("slack", "HTTP 502", T, permanent=False)
    probe = book.as_probe(T)
    assert probe["status"] == "unhealthy"
    assert probe["problem"] == "notifier slack: the last 3 delivery attempts failed: HTTP 502"
    book.ok("slack", T)
    assert book.as_probe(T + timedelta(hours=1))["status"] == "ok"
    book.failed("mail", "550 no such user", T, permanent=True)
    assert book.as_probe(T)["problem"] == (
        "notifier mail: 1 notification(s) could not be delivered and were marked failed: 550 no such user")
    assert book.as_probe(T)["channels"]["mail"]["gave_up"] == 1
    book.forget({"slack"})
    assert book.as_probe(T)["status"] == "ok"


async def test_dispatcher_reports_a_failing_channel_until_a_delivery_goes_through(tmp_path: Path, make_alert) -> None:
    receiver = Receiver([500, 500, 500])
    server = await start(receiver)
    clock = StepClock()
    store = Store(tmp_path / "m.db")
    try:
        async with aiohttp.ClientSession() as session:
            notifier = hook(str(server.make_url("/hook")), clock, session)
            Outbox(store, [notifier]).enqueue(make_alert(transition="opened", id="inc-1#1", seq=1))
            d = Dispatcher(store, [notifier], clock, DispatchConfig(retry_base="10s", jitter=0),
                           rng=random.Random(1))
            assert d.health()["status"] == "ok"
            for _ in range(3):
                await d.run_once()
                clock.t += timedelta(minutes=1)
            health = d.health()
            assert health["status"] == "unhealthy"
            assert "notifier hook: the last 3 delivery attempts failed" in health["problem"]
            assert health["channels"]["hook"]["consecutive_failures"] == 3
            await d.run_once()  # the fourth attempt gets through
            assert len(receiver.received) == 1
            assert d.health()["status"] == "ok"
            assert d.health()["channels"]["hook"]["last_ok_at"] is not None
    finally:
        await server.close()
        store.close()


async def test_a_delivery_given_up_keeps_the_channel_unhealthy(tmp_path: Path, make_alert) -> None:
    receiver = Receiver([400])  # 4xx: retrying cannot help
    server = await start(receiver)
    clock = StepClock()
    store = Store(tmp_path / "m.db")
    try:
        async with aiohttp.ClientSession() as session:
            notifier = hook(str(server.make_url("/hook")), clock, session)
            Outbox(store, [notifier]).enqueue(make_alert(transition="opened", id="inc-1#1", seq=1))
            d = Dispatcher(store, [notifier], clock, DispatchConfig(jitter=0), rng=random.Random(1))
            await d.run_once()
            assert d.failed == 1
            health = d.health()
            assert health["status"] == "unhealthy"
            assert "could not be delivered and were marked failed" in health["problem"]
            d.reconfigure([])  # removed by a reload: no longer judged
            assert d.health()["status"] == "ok"
    finally:
        await server.close()
        store.close()
