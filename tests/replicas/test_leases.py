"""The lease keeper: one engine leader, sources with it (or spread with the bus), takeover after the ttl."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from monitor.errors import LeaseLost
from monitor.replicas.leases import Fenced, LeaseKeeper
from monitor.replicas.settings import ReplicaConfig
from monitor.store.postgres import PostgresStore
from tests.servers import pg_schema

FAST = ReplicaConfig(lease_ttl=timedelta(seconds=0.6), renew_interval=timedelta(seconds=0.2))


@pytest.fixture
def stores() -> Iterator[list[PostgresStore]]:
    with pg_schema() as dsn:
        out = [PostgresStore(dsn, holder=f"r{i}") for i in range(3)]
        yield out
        for s in out:
            s.close()


def keeper(store: PostgresStore, spread: bool, events: list | None = None) -> LeaseKeeper:
    k = LeaseKeeper(store, store.holder, FAST, spread_sources=spread,
                    on_change=None if events is None else lambda g, lost: events.append((sorted(g), sorted(lost))))
    k.sources = ["news", "reddit", "weibo"]
    return k


def test_without_the_bus_the_leader_takes_every_source_and_a_survivor_takes_over(stores: list) -> None:
    events: list = []
    a, b = keeper(stores[0], False, events), keeper(stores[1], False)
    a.step()
    b.step()
    assert a.held() == {"replica:r0", "engine", "source:news", "source:reddit", "source:weibo"}
    assert b.held() == {"replica:r1"}
    assert events == [(["engine", "replica:r0", "source:news", "source:reddit", "source:weibo"], [])]
    h = b.health()
    assert h["engine"] is False and h["holders"]["engine"] == "r0" and h["replicas"] == ["r0", "r1"]
    assert ("replica_engine_leader", {}, 0.0) in b.gauges()
    assert ("replica_source_lease", {"source": "news"}, 1.0) in a.gauges()
    time.sleep(0.5)  # a stops renewing ("dies"); it stops acting before its lease can expire
    assert not a.holds("engine")
    time.sleep(0.2)
    b.step()
    assert {"engine", "source:news"} <= b.held() and b.takeovers >= 4


def test_with_the_bus_sources_spread_over_live_replicas(stores: list) -> None:
    a, b, c = (keeper(s, True) for s in stores)
    a.step()
    assert len([x for x in a.held() if x.startswith("source:")]) == 3  # alone: all of them
    b.step()
    c.step()
    a.step()  # sees three live replicas: gives back what is above its share
    b.step()
    c.step()
    owners = [k for k in (a, b, c) for x in k.held() if x.startswith("source:")]
    assert len(owners) == 3 and len(set(owners)) == 3  # one poller per source, one source each


def test_fenced_transactions_fail_once_the_lease_moved(stores: list) -> None:
    a, b = stores[0], stores[1]
    assert a.acquire_lease("engine", "r0", 0.2)
    fenced = Fenced(a, "engine", "r0")
    with fenced.transaction():
        fenced.set_meta("x", "1")
    time.sleep(0.3)
    assert b.acquire_lease("engine", "r1", 30)
    with pytest.raises(LeaseLost), fenced.transaction():
        fenced.set_meta("x", "2")  # the stalled old leader's batch is refused, nothing written
    assert a.get_meta("x") == "1"


def test_lease_settings_are_checked() -> None:
    with pytest.raises(ValueError, match=r"renew_interval .* must be at most half of lease_ttl"):
        ReplicaConfig(lease_ttl=timedelta(seconds=10), renew_interval=timedelta(seconds=6))


class Flaky:
    """A store whose lease calls fail while ``down`` (PostgreSQL unreachable)."""

    def __init__(self, store: PostgresStore) -> None:
        self.store = store
        self.down = False

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        attr = getattr(self.store, name)
        if not callable(attr):
            return attr

        def call(*a, **kw):  # type: ignore[no-untyped-def]
            if self.down:
                from monitor.errors import StoreError

                raise StoreError("store postgres://db: a write failed: connection refused")
            return attr(*a, **kw)
        return call


def test_health_gauges_and_a_failing_store(stores: list, caplog: pytest.LogCaptureFixture) -> None:
    now = [100.0]
    flaky = Flaky(stores[0])
    k = LeaseKeeper(flaky, "r0", FAST, spread_sources=False, monotonic=lambda: now[0])
    k.sources = ["news"]
    caplog.set_level("WARNING", logger="monitor.replicas.leases")
    k.step()
    assert caplog.messages == ["replica r0 took lease(s) engine, replica:r0, source:news"]
    assert k.health() == {"status": "ok", "problem": None, "id": "r0", "engine": True,
                          "leases": ["engine", "replica:r0", "source:news"],
                          "holders": {"engine": "r0", "source:news": "r0"}, "replicas": ["r0"]}
    assert k.gauges() == [("replica_info", {"replica": "r0"}, 1.0), ("replica_engine_leader", {}, 1.0),
                          ("replica_leases_held", {}, 2.0), ("replica_lease_takeovers", {}, 3.0),
                          ("replica_source_lease", {"source": "news"}, 1.0)]
    now[0] += 0.39  # lease_ttl 0.6 - renew 0.2: the last moment it still counts as held
    assert k.holds("engine")
    now[0] += 0.01
    assert not k.holds("engine")  # cut off: stop acting before the lease can expire in the database
    caplog.clear()
    flaky.down = True
    k.step()
    problem = "leases could not be renewed: store postgres://db: a write failed: connection refused"
    assert caplog.messages == [f"replica r0: {problem}",
                               "replica r0 lost lease(s) engine, replica:r0, source:news"]
    h = k.health()
    assert (h["status"], h["problem"], h["engine"], h["leases"]) == ("unhealthy", problem, False, [])
    assert "holders" not in h  # the store could not say
    flaky.down = False
    k.step()
    assert k.problem is None and k.held() == {"engine", "replica:r0", "source:news"}


def test_a_removed_source_is_given_back_and_release_all_hands_over_at_once(stores: list) -> None:
    a, b = keeper(stores[0], True), keeper(stores[1], True)
    a.step()  # alone: all three
    b.step()  # its share (2 of 3) is taken: nothing free
    assert b.held() == {"replica:r1"}
    a.sources = b.sources = ["news", "tiktok"]  # a reload removed reddit and weibo, added tiktok
    a.step()  # share 1 of 2: keeps news, leaves tiktok, gives back the removed ones
    assert a.held() == {"replica:r0", "engine", "source:news"}
    assert set(stores[2].leases("source:")) == {"source:news"}
    b.step()
    assert b.held() == {"replica:r1", "source:tiktok"}
    assert ("replica_source_lease", {"source": "news"}, 0.0) in b.gauges()
    a.release_all()
    assert a.held() == set()
    b.step()
    assert {"engine", "source:news"} <= b.held()  # at once, not after lease_ttl


def test_without_the_bus_sources_leave_with_the_engine(stores: list) -> None:
    a, b = keeper(stores[0], False), keeper(stores[1], False)
    assert a.problem is None and a.takeovers == 0
    a.step()
    stores[0].release_lease("engine", "r0")  # the engine moves (say a stalled past its lease)
    assert stores[1].acquire_lease("engine", "r1", 30)
    a.step()
    assert a.held() == {"replica:r0"}  # a standby polls nothing
    assert set(stores[2].leases("source:")) == set()
    b.step()
    assert b.held() == {"replica:r1", "engine", "source:news", "source:reddit", "source:weibo"}
    assert a.takeovers == 5  # its heartbeat, the engine, three sources
    b.release_all()
    a.step()
    assert a.takeovers == 9  # counted across steps: the engine and three sources again


def test_release_all_survives_a_failing_store(stores: list, caplog: pytest.LogCaptureFixture) -> None:
    flaky = Flaky(stores[0])
    k = LeaseKeeper(flaky, "r0", FAST, spread_sources=False)
    k.step()
    flaky.down = True
    caplog.set_level("WARNING", logger="monitor.replicas.leases")
    k.release_all()
    assert "replica r0: could not release engine; it expires in 1s" in caplog.messages
