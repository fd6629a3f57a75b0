"""The webhook source under hostile requests: every one gets a clear 4xx, never a 500."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest

from monitor.sources.webhook import sign
from tests.sources.test_webhook import NOW, SECRET, TOKEN, Server, post_obj, start


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    async for s in start():
        yield s


async def test_non_ascii_bearer_token_is_a_401(server: Server) -> None:
    url = urlsplit(server.url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    body = json.dumps(post_obj(1)).encode()
    writer.write(b"POST " + url.path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                 b"Authorization: Bearer \xc3\xa9t\xff\xfe\r\nContent-Length: " + str(len(body)).encode() +
                 b"\r\n\r\n" + body)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    assert answer.startswith(b"HTTP/1.1 401 ")
    assert b'"bad bearer token"' in answer


async def test_absurd_hmac_timestamp_is_a_401_before_any_arithmetic(server: Server) -> None:
    body = json.dumps(post_obj(1)).encode()
    huge = str(10**400)
    status, resp = await server.post(body, {"X-Monitor-Signature": sign(SECRET, huge, body),
                                            "X-Monitor-Timestamp": huge})
    assert status == 401 and resp["error"] == "signed requests need X-Monitor-Timestamp: <unix seconds>"
    ok, _ = await server.post_signed(body, int(NOW.timestamp()))
    assert ok == 202


@pytest.mark.parametrize(("body", "error"), [
    ("[" * 20_000 + "]" * 20_000, "body refused: JSON is nested 20000 levels deep; the limit is 32 (limits.max_depth)"),
    (json.dumps(post_obj(1))[:-1] + ', "x": ' + "7" * 5000 + "}",
     "body refused: a number with thousands of digits is out of range"),
    (json.dumps(post_obj(1))[:-1] + ', "reposts": NaN}', "body refused: NaN is not a number JSON allows"),
])
async def test_hostile_bodies_are_refused_with_400(server: Server, body: str, error: str) -> None:
    status, resp = await server.post_bearer(body)
    assert status == 400 and resp["error"].startswith(error)
    assert len(server.source._pending) == 0


async def test_non_finite_and_absurd_numbers_are_item_errors(server: Server) -> None:
    quote = {"type": "quote", "ts": "2026-03-01T07:59:00Z", "source": "m", "symbol": "ACME", "prev_close": 100}
    lines = [json.dumps(post_obj(1)),
             json.dumps(post_obj(2))[:-1] + ', "reposts": Infinity}',
             json.dumps({**quote, "price": 1e300}),
             json.dumps(quote)[:-1] + ', "price": -Infinity}',
             "[" * 100 + "]" * 100]
    status, resp = await server.post_bearer("\n".join(lines))
    assert status == 202 and resp["accepted"] == 1 and resp["rejected"] == 4
    reasons = [e["reason"] for e in resp["errors"]]
    assert reasons[0] == "line 2: Infinity is not a number JSON allows; send a finite number"
    assert reasons[1].startswith("line 3: number 1e+300 is out of range")
    assert reasons[2] == "line 4: -Infinity is not a number JSON allows; send a finite number"
    assert reasons[3] == "line 5: JSON is nested 100 levels deep; the limit is 32 (limits.max_depth)"


async def test_limits_are_configurable() -> None:
    async for s in start(limits={"max_depth": 3, "max_string_chars": 24}):
        status, resp = await s.post_bearer(json.dumps(post_obj(1, text="x" * 25)))
        assert status == 400
        assert resp["error"].startswith("body refused: a string of 25 characters is longer than the limit of 24")
        status, resp = await s.post_bearer(json.dumps(post_obj(1, text="short")))
        assert status == 202, resp
        assert TOKEN  # the bearer helper authenticates with it
