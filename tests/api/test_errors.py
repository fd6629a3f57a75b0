"""Every refusal answers in the API's JSON shape, with its status chosen by the error's type."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from monitor.api import errors, incidents, ops
from monitor.api.errors import ApiError, Conflict, InvalidParameter, NotFound, Unauthorized
from monitor.http_api import build_app
from tests.api.fakes import TOKEN, host

AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON = {"Content-Type": "application/json"}


async def crash(request: web.Request) -> web.Response:
    raise RuntimeError("secret internals")


async def legacy(request: web.Request) -> web.Response:
    raise web.HTTPServiceUnavailable(text="starting or stopping")


async def big(request: web.Request) -> web.Response:
    await request.read()  # over aiohttp's client_max_size
    return web.Response()


def extra(_service: object) -> list[web.RouteDef]:
    return [web.get("/crash", crash), web.get("/legacy", legacy), web.post("/big", big)]


@pytest.fixture
async def c() -> AsyncIterator[Any]:
    client = TestClient(TestServer(build_app(host(), providers=[ops.routes, incidents.routes, extra]),
                                   host="127.0.0.1"))
    await client.start_server()
    yield client
    await client.close()


def test_status_codes_come_from_the_type() -> None:
    assert [cls.status for cls in (errors.BadRequest, InvalidParameter, Unauthorized, errors.Forbidden, NotFound,
                                   errors.MethodNotAllowed, Conflict, errors.PayloadTooLarge,
                                   errors.UnsupportedMediaType, errors.MisdirectedRequest, errors.Unavailable)] == \
        [400, 400, 401, 403, 404, 405, 409, 413, 415, 421, 503]
    assert issubclass(InvalidParameter, errors.BadRequest) and issubclass(ApiError, Exception)
    # the message never decides the status: a "no incident" conflict is still a conflict
    assert Conflict("no incident here").status == 409
    assert InvalidParameter("limit", "bad", ["1"]).body() == {"error": "bad", "parameter": "limit", "allowed": ["1"]}


async def test_401_is_json_with_a_challenge(c) -> None:
    r = await c.post("/-/reload", headers={"Authorization": "Bearer wrong", **JSON})
    assert r.status == 401 and r.content_type == "application/json"
    assert await r.json() == {"error": "missing or wrong bearer token (server.api_token)"}
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


async def test_guard_refusals_are_json(c) -> None:
    r = await c.post("/-/reload", headers={**AUTH, "Content-Type": "text/plain"})
    assert r.status == 415 and (await r.json())["error"].startswith("send Content-Type: application/json")
    r = await c.post("/-/reload", headers={**AUTH, **JSON, "Origin": "https://evil.example"})
    assert r.status == 403 and "cross-site request" in (await r.json())["error"]
    r = await c.get("/incidents", headers={"Host": "rebind.example"})
    assert r.status == 421 and "DNS rebinding" in (await r.json())["error"]
    r = await c.post("/-/reload", headers={**AUTH, **JSON}, data=b"x" * 70_000)
    assert r.status == 413 and "server.max_body_bytes" in (await r.json())["error"]
    r = await c.post("/-/reload", headers={**AUTH, **JSON}, data=b"[1]")
    assert r.status == 400 and await r.json() == {"error": "body must be a JSON object"}


async def test_unknown_routes_and_methods_are_json(c) -> None:
    r = await c.get("/nope")
    assert r.status == 404 and await r.json() == {"error": "no route GET /nope (see GET /openapi.json)"}
    r = await c.delete("/incidents", headers=AUTH)
    body = await r.json()
    assert r.status == 405 and body["allowed"] == ["GET", "HEAD"] and r.headers["Allow"] == "GET,HEAD"
    assert body["error"] == "DELETE is not allowed on /incidents; use GET, HEAD"


async def test_aiohttp_limits_and_legacy_text_errors_become_json(c) -> None:
    r = await c.post("/big", headers={**AUTH, **JSON}, data=b"x" * (3 * 1024 * 1024))
    assert r.status == 413 and "larger than the server accepts" in (await r.json())["error"]
    r = await c.get("/legacy")
    assert r.status == 503 and await r.json() == {"error": "starting or stopping"}


async def test_a_crash_is_a_json_500_without_internals(c, caplog) -> None:
    r = await c.get("/crash")
    assert r.status == 500
    assert await r.json() == {"error": "internal error; the daemon's log has the details"}
    assert "secret internals" in caplog.text  # logged with the traceback for the operator
