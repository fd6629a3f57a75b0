"""Push routes are looked up at request time, so a reload that changes a webhook source routes the next
push to the new source (the components' own reconfigure() is tested in tests/alerts/test_reconfigure.py)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web

from monitor.clock import SystemClock
from monitor.config import load_config
from monitor.service import Service
from tests.support import WordScorer, serve, wait_until, write_config

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- push routes


def webhook_config(tmp_path: Path, name: str, path: str, token: str) -> Path:
    return write_config(tmp_path, f"""\
        store: {{path: state.db}}
        playbooks: @PLAYBOOKS@
        server: {{port: 0}}
        sources:
          - {{kind: webhook, name: {name}, path: {path}, token: {token}}}
        """)


def event(i: int) -> str:
    return json.dumps({"type": "post", "ts": "2026-03-01T08:00:00Z", "id": f"e{i}", "text": f"Acme kettle {i}"})


Post = Callable[[str, int, str], Awaitable[int]]


async def push_through(url: str, http: aiohttp.ClientSession) -> Post:
    async def post(path: str, i: int, token: str) -> int:
        async with http.post(f"{url}{path}", data=event(i), headers={"Authorization": f"Bearer {token}"}) as r:
            return r.status

    return post


async def test_push_target_follows_a_reload_that_moves_and_renames_a_webhook_source(tmp_path: Path) -> None:
    """A front that looks the handler up per request (the one line the daemon's HTTP server needs)."""
    path = webhook_config(tmp_path, "push", "/ingest", "first-token-0123456789")
    svc = Service(load_config(path), SystemClock(), config_path=path, scorer=WordScorer())
    await svc.start()

    async def front(request: web.Request) -> web.StreamResponse:
        handler = svc.push_target(request.method, request.path)
        return await handler(request) if handler is not None else web.json_response({"error": "no route"}, status=404)

    server = await serve({("POST", "/{tail:.*}"): front})
    try:
        assert svc.push_target("POST", "/ingest") is not None and svc.push_target("GET", "/ingest") is None
        async with aiohttp.ClientSession() as http:
            post = await push_through(str(server.make_url("")).rstrip("/"), http)
            assert await post("/ingest", 1, "first-token-0123456789") == 202
            assert svc.rt is not None
            await wait_until(lambda: svc.rt.store.unseen(["push:e1"]) == set(), timeout=20, what="e1 processed")
            webhook_config(tmp_path, "orders", "/hooks/orders", "second-token-0123456789")
            assert svc.reload()
            assert await post("/ingest", 2, "first-token-0123456789") == 404  # the old route is gone
            assert await post("/hooks/orders", 3, "second-token-0123456789") == 202
        await wait_until(lambda: svc.rt.store.unseen(["orders:e3"]) == set(), timeout=20,
                         what="the push to the moved source processed")
        assert svc.rt.store.unseen(["orders:e2", "push:e2"]) == {"orders:e2", "push:e2"}
    finally:
        await server.close()
        await svc.shutdown()


async def test_the_daemons_own_server_routes_a_push_to_a_moved_webhook_source(tmp_path: Path) -> None:
    path = webhook_config(tmp_path, "push", "/ingest", "first-token-0123456789")
    svc = Service(load_config(path), SystemClock(), config_path=path, scorer=WordScorer())
    await svc.start()
    try:
        async with aiohttp.ClientSession() as http:
            post = await push_through(f"http://127.0.0.1:{svc.port}", http)
            webhook_config(tmp_path, "orders", "/hooks/orders", "second-token-0123456789")
            assert svc.reload()
            assert await post("/hooks/orders", 3, "second-token-0123456789") == 202
        assert svc.rt is not None
        await wait_until(lambda: svc.rt.store.unseen(["orders:e3"]) == set(), timeout=20, what="the push processed")
    finally:
        await svc.shutdown()
