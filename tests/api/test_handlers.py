"""The API's handlers with protocol fakes (tests/api/fakes.py) behind the real middlewares and builder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from monitor.api import incidents, ops
from monitor.api.incidents import incident_handle
from monitor.http_api import build_app
from tests.api.fakes import TOKEN, FakeHost, host, incident

AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


@pytest.fixture
async def client() -> AsyncIterator[Any]:
    clients: list[TestClient] = []

    async def make(fake: FakeHost) -> TestClient:
        c = TestClient(TestServer(build_app(fake, providers=[ops.routes, incidents.routes]), host="127.0.0.1"))
        await c.start_server()
        clients.append(c)
        return c

    yield make
    for c in clients:
        await c.close()


async def test_list_validates_status_and_limit(client) -> None:
    fake = host(incident("a-1"), incident("a-2", status="resolved"))
    c = await client(fake)
    r = await c.get("/incidents", params={"status": "bogus"})
    assert r.status == 400
    assert await r.json() == {"error": "status must be one of open, resolved, all (got 'bogus')",
                              "parameter": "status", "allowed": ["open", "resolved", "all"]}
    for bad in ("0", "1001", "ten", "-1", "1.5", "٣"):
        r = await c.get("/incidents", params={"limit": bad})
        body = await r.json()
        assert r.status == 400 and body["parameter"] == "limit", bad
        assert body["error"].startswith("limit must be a whole number from 1 to 1000")
    r = await c.get("/incidents?status=open&status=resolved")
    assert r.status == 400 and (await r.json())["parameter"] == "status"
    assert fake.rt.store.calls == []  # nothing reached the store
    r = await c.get("/incidents", params={"status": "resolved", "limit": "5"})
    assert [i["id"] for i in await r.json()] == ["a-2"]
    r = await c.get("/incidents")
    assert [i["id"] for i in await r.json()] == ["a-1", "a-2"]
    assert fake.rt.store.calls == [("resolved", 5), (None, 100)]


async def test_one_incident_by_handle_or_id_and_404_json(client) -> None:
    c = await client(host(incident("a-1")))
    handle = incident_handle("a-1", TOKEN)
    for ref in (handle, "a-1"):
        r = await c.get(f"/incidents/{ref}")
        body = await r.json()
        assert r.status == 200 and body["id"] == "a-1" and body["handle"] == handle
        assert body["url"] == f"/incidents/{handle}"
    r = await c.get("/incidents/" + "h" + "a" * 24)
    assert r.status == 404 and await r.json() == {"error": "no such incident (see GET /incidents)"}


async def test_ack_and_resolve_map_engine_errors_by_type(client) -> None:
    fake = host(incident("a-1"), incident("a-2", status="resolved"))
    c = await client(fake)
    r = await c.post("/incidents/nope/ack", headers=AUTH)
    assert r.status == 404 and (await r.json())["error"] == "no incident 'nope'"
    r = await c.post("/incidents/a-2/resolve", headers=AUTH)
    assert r.status == 409 and (await r.json())["error"] == "incident a-2 is already resolved"
    r = await c.post("/incidents/a-1/ack", headers=AUTH, json={"by": "dana"})
    assert r.status == 200 and (await r.json())["acked_by"] == "dana"
    r = await c.post("/incidents/a-1/ack", headers=AUTH, json={"by": "lee"})
    assert r.status == 409 and "already acknowledged by dana" in (await r.json())["error"]
    r = await c.post("/incidents/a-1/resolve", headers=AUTH, json={"by": 7})
    assert r.status == 400 and (await r.json())["error"] == "'by' must be a name of at most 200 characters"
    audited = [args for sql, args in fake.rt.store.executed if "audit_log" in sql]
    assert [(a[2], a[4], a[5]) for a in audited] == [("dana", "ack", "a-1")]


async def test_relabel_validates_and_404s_unknown_posts(client) -> None:
    fake = host(posts={"reddit:1"})
    c = await client(fake)
    r = await c.post("/posts/reddit:1/relabel", headers=AUTH, json={"label": "bad"})
    assert r.status == 400 and (await r.json())["allowed"] == ["negative", "neutral", "positive"]
    r = await c.post("/posts/reddit:1/relabel", headers=AUTH, json={"label": "neutral", "note": 3})
    assert r.status == 400 and (await r.json())["error"] == "note must be a string"
    r = await c.post("/posts/x:9/relabel", headers=AUTH, json={"label": "neutral"})
    assert r.status == 404 and (await r.json())["error"] == "no stored post 'x:9'"
    r = await c.post("/posts/reddit:1/relabel", headers=AUTH, json={"label": "neutral"})
    assert await r.json() == {"key": "reddit:1", "label": "neutral", "reevaluated": ["acme"]}


async def test_healthz_metrics_and_reload(client) -> None:
    fake = host(incident("a-1"))
    fake.rt.store.counts = {("hook", "pending"): 2, ("hook", "failed"): 1, ("mail", "pending"): 1}
    c = await client(fake)
    r = await c.get("/healthz")
    body = await r.json()
    assert r.status == 200 and body["status"] == "ok" and body["outbox"] == {"pending": 3, "failed": 1}
    assert body["open_incidents"] == 1 and body["model"] == "fake/model" and body["time"] == "2026-03-01T08:00:00Z"
    fake.rt.health.problem = "notifiers: notifier hook: failing"
    r = await c.get("/healthz")
    assert r.status == 503 and (await r.json())["problems"] == ["notifiers: notifier hook: failing"]
    r = await c.get("/metrics")
    assert r.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "brand_monitor_x_total 3.0" in await r.text()
    r = await c.post("/-/reload", headers=AUTH)
    assert r.status == 200 and await r.json() == {"reloaded": True}
    fake.reload_ok = False
    r = await c.post("/-/reload", headers=AUTH)
    assert r.status == 409 and (await r.json())["reloaded"] is False and "last good" in (await r.json())["error"]
    assert fake.reloads == 2


async def test_starting_or_stopping_is_503_json(client) -> None:
    fake = host()
    fake.rt = None
    c = await client(fake)
    for path in ("/healthz", "/metrics", "/incidents", "/incidents/x"):
        r = await c.get(path)
        assert r.status == 503, path
        assert await r.json() == {"error": "the daemon is starting or stopping; try again shortly"}


async def test_the_document_is_served(client) -> None:
    c = await client(host())
    r = await c.get("/openapi.json")
    doc = await r.json()
    assert r.status == 200 and doc["openapi"].startswith("3.") and "/incidents/{id}" in doc["paths"]
