"""Webhook push source, served by a real aiohttp server on 127.0.0.1 and hit with a real client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from pydantic import ValidationError

from monitor.clock import VirtualClock
from monitor.models import Post, Quote
from monitor.sources.base import Batch, SourceContext
from monitor.sources.webhook import WebhookConfig, WebhookSource, sign

FIXTURES = Path(__file__).parent / "fixtures" / "webhook"
TOKEN = "t0ken-0123456789abcdef"
SECRET = "s3cret-0123456789abcdef"
NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class Server:
    def __init__(self, source: WebhookSource, url: str, session: aiohttp.ClientSession) -> None:
        self.source = source
        self.url = url
        self.session = session

    async def post(self, body: bytes | str, headers: dict[str, str] | None = None) -> tuple[int, dict]:
        data = body.encode() if isinstance(body, str) else body
        async with self.session.post(self.url, data=data, headers=headers or {}) as resp:
            return resp.status, {**(await resp.json()), "_headers": dict(resp.headers)}

    async def post_bearer(self, body: bytes | str) -> tuple[int, dict]:
        return await self.post(body, {"Authorization": f"Bearer {TOKEN}"})

    async def post_signed(self, body: bytes, ts: int | None = None) -> tuple[int, dict]:
        ts = int(NOW.timestamp()) if ts is None else ts
        return await self.post(body, {"X-Monitor-Signature": sign(SECRET, ts, body), "X-Monitor-Timestamp": str(ts)})


async def start(state_dir: Path | None = None, **cfg: object) -> AsyncIterator[Server]:
    config = WebhookConfig(**{"token": TOKEN, "hmac_secret": SECRET, **cfg})  # type: ignore[arg-type]
    source = WebhookSource(config, SourceContext(clock=VirtualClock(NOW), state_dir=state_dir))
    app = web.Application()
    app.add_routes(source.routes())
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    async with aiohttp.ClientSession() as session:
        yield Server(source, f"http://127.0.0.1:{port}{config.path}", session)
    await runner.cleanup()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    async for s in start():
        yield s


async def next_batch(stream: AsyncIterator[Batch]) -> Batch:
    return await asyncio.wait_for(anext(stream), timeout=15)  # a bound, not a pace: ends at the batch


def post_obj(i: int, **over: object) -> dict:
    return {"type": "post", "ts": "2026-03-01T07:59:00Z", "source": "vendor", "id": f"p{i}",
            "text": f"post {i}", **over}


async def test_bearer_ok_and_events_come_out_of_stream(server: Server) -> None:
    body = (FIXTURES / "mixed.jsonl").read_text()
    status, resp = await server.post_bearer(body)
    assert status == 202
    assert resp["accepted"] == 3 and resp["rejected"] == 2
    reasons = {e["index"]: e["reason"] for e in resp["errors"]}
    assert reasons == {
        2: "line 3: not valid JSON (Unterminated string starting at, column 92)",
        3: "field 'ts' has no time zone: '2026-03-01T07:00:00' (append Z for UTC)",
    }
    stream = server.source.stream(None)
    batch = await next_batch(stream)
    assert [type(e).__name__ for e in batch.events] == ["Post", "Quote", "Trend"]
    post = batch.events[0]
    assert isinstance(post, Post) and post.source == "tiktok" and post.id == "v-1001" and post.reposts == 57
    assert isinstance(batch.events[1], Quote) and batch.events[1].price == 94.1
    assert sum(batch.skipped.values()) == 2
    assert batch.cursor is None  # no state directory: nothing durable to point at


async def test_json_object_and_array_bodies(server: Server) -> None:
    status, resp = await server.post_bearer(json.dumps(post_obj(1)))
    assert (status, resp["accepted"], resp["rejected"]) == (202, 1, 0)
    status, resp = await server.post_bearer(json.dumps([post_obj(2), post_obj(3), {"type": "post"}]))
    assert (status, resp["accepted"], resp["rejected"]) == (202, 2, 1)
    assert resp["errors"] == [{"index": 2, "reason": "missing required field 'ts'"}]
    batch = await next_batch(server.source.stream(None))
    assert [e.id for e in batch.events] == ["p1", "p2", "p3"]


async def test_item_without_source_gets_the_webhook_name() -> None:
    async for srv in start(name="vendor_push"):
        obj = post_obj(1)
        del obj["source"]
        status, _ = await srv.post_bearer(json.dumps(obj))
        assert status == 202
        batch = await next_batch(srv.source.stream(None))
        assert batch.events[0].source == "vendor_push"


async def test_bad_token_and_missing_credentials(server: Server) -> None:
    status, resp = await server.post(json.dumps(post_obj(1)), {"Authorization": "Bearer wrong-token-000000000"})
    assert status == 401 and resp["error"] == "bad bearer token"
    assert resp["_headers"]["WWW-Authenticate"] == "Bearer"
    status, resp = await server.post(json.dumps(post_obj(1)))
    assert status == 401
    assert resp["error"] == ("missing credentials; send 'Authorization: Bearer <token>' "
                             "or a signed X-Monitor-Signature header")
    assert server.source._pending == type(server.source._pending)()


async def test_signature_ok_bad_and_replayed(server: Server) -> None:
    body = json.dumps(post_obj(1)).encode()
    status, resp = await server.post_signed(body)
    assert (status, resp["accepted"]) == (202, 1)
    # the very same signed request again is a replay
    status, resp = await server.post_signed(body)
    assert status == 401 and resp["error"] == "this signed request was already received (replay)"
    # tampered body, same signature
    ts = int(NOW.timestamp())
    status, resp = await server.post(body.replace(b"post 1", b"post X"),
                                     {"X-Monitor-Signature": sign(SECRET, ts, body), "X-Monitor-Timestamp": str(ts)})
    assert status == 401 and resp["error"] == "bad signature"
    # wrong secret
    status, resp = await server.post(body, {"X-Monitor-Signature": sign("x" * 20, ts, body),
                                            "X-Monitor-Timestamp": str(ts)})
    assert status == 401 and resp["error"] == "bad signature"
    # missing timestamp
    status, resp = await server.post(body, {"X-Monitor-Signature": sign(SECRET, ts, body)})
    assert status == 401 and resp["error"] == "signed requests need X-Monitor-Timestamp: <unix seconds>"
    assert len(server.source._pending) == 1


async def test_old_timestamp_is_refused_even_with_a_good_signature(server: Server) -> None:
    old = int((NOW - timedelta(minutes=6)).timestamp())
    status, resp = await server.post_signed(json.dumps(post_obj(1)).encode(), ts=old)
    assert status == 401
    assert resp["error"] == f"timestamp {old} is more than 300 s from our clock (replayed or clock skew)"
    fresh = int((NOW - timedelta(minutes=4)).timestamp())
    status, _ = await server.post_signed(json.dumps(post_obj(2)).encode(), ts=fresh)
    assert status == 202


async def test_oversize_body_gets_413() -> None:
    async for srv in start(max_body_bytes=200):
        status, resp = await srv.post_bearer(json.dumps([post_obj(i) for i in range(10)]))
        assert status == 413
        assert resp["error"] == "body is larger than the 200-byte limit; split it into smaller requests"

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit still holds
            for i in range(10):
                yield json.dumps(post_obj(i)).encode() + b"\n"

        async with srv.session.post(srv.url, data=chunks(), headers={"Authorization": f"Bearer {TOKEN}"}) as r:
            assert r.status == 413
        assert not srv.source._pending


async def test_all_bad_items_is_422_and_garbage_is_400(server: Server) -> None:
    status, resp = await server.post_bearer(json.dumps([{"type": "nope"}]))
    assert status == 422 and resp["accepted"] == 0 and resp["rejected"] == 1
    status, resp = await server.post_bearer("42")
    assert status == 400
    assert resp["error"] == "body must be an event object, an array of events, or JSON lines, got a JSON int"
    status, resp = await server.post_bearer("   ")
    assert status == 400
    status, resp = await server.post_bearer(b"\xff\xfe")
    assert status == 400 and resp["error"] == "body is not UTF-8 text"


async def test_full_queue_refuses_whole_request_with_503() -> None:
    async for srv in start(queue_size=2):
        status, _ = await srv.post_bearer(json.dumps([post_obj(1), post_obj(2)]))
        assert status == 202
        status, resp = await srv.post_bearer(json.dumps(post_obj(3)))
        assert status == 503 and resp["_headers"]["Retry-After"] == "1"
        stream = srv.source.stream(None)
        batch = await next_batch(stream)
        assert [e.id for e in batch.events] == ["p1", "p2"]
        status, _ = await srv.post_bearer(json.dumps(post_obj(3)))
        assert status == 202
        batch = await next_batch(stream)
        assert [e.id for e in batch.events] == ["p3"] and batch.cursor is None


async def test_stream_hands_over_in_batches() -> None:
    async for srv in start(batch_size=2):
        await srv.post_bearer(json.dumps([post_obj(i) for i in range(5)]))
        stream = srv.source.stream(None)
        sizes = [len((await next_batch(stream)).events) for _ in range(3)]
        assert sizes == [2, 2, 1]


def test_config_errors() -> None:
    with pytest.raises(ValidationError) as exc:
        WebhookConfig()
    assert exc.value.errors()[0]["msg"] == (
        "Value error, webhook needs 'token' or 'hmac_secret' "
        "(an unauthenticated endpoint would accept events from anyone)"
    )
    with pytest.raises(ValidationError) as exc:
        WebhookConfig(token="short")
    assert exc.value.errors()[0]["msg"] == "Value error, secret is too short; use at least 16 random characters"
    with pytest.raises(ValidationError) as exc:
        WebhookConfig(token=TOKEN, path="ingest")
    assert exc.value.errors()[0]["msg"] == "Value error, path must start with '/', got 'ingest'"
    with pytest.raises(ValidationError) as exc:
        WebhookConfig(token=TOKEN, path="/metrics")
    assert exc.value.errors()[0]["msg"] == (
        "Value error, path '/metrics' belongs to the daemon's own API; choose another, e.g. /ingest")
    assert WebhookConfig(token=TOKEN, path="/ingest/vendor-a").path == "/ingest/vendor-a"
    with pytest.raises(ValidationError) as exc:
        WebhookConfig(token=TOKEN, tokn="x")
    assert exc.value.errors()[0]["type"] == "extra_forbidden"
    assert "t0ken" not in repr(WebhookConfig(token=TOKEN))


async def test_accepted_events_survive_a_crash_through_the_journal(tmp_path: Path) -> None:
    async for srv in start(state_dir=tmp_path):
        assert (await srv.post_bearer(json.dumps([post_obj(1), post_obj(2)])))[0] == 202
        stream = srv.source.stream(None)
        first = await next_batch(stream)
        assert [e.id for e in first.events] == ["p1", "p2"]
        processed = first.cursor  # what the pipeline stored with p1 and p2
        assert (await srv.post_bearer(json.dumps(post_obj(3))))[0] == 202
        # the daemon dies before p3 reaches the pipeline
    async for srv in start(state_dir=tmp_path):
        batch = await next_batch(srv.source.stream(processed))
        assert [e.id for e in batch.events] == ["p3"]
        # and once p3 is processed too, a later start recovers nothing
        done = batch.cursor
    async for srv in start(state_dir=tmp_path):
        stream = srv.source.stream(done)
        assert (await srv.post_bearer(json.dumps(post_obj(4))))[0] == 202
        assert [e.id for e in (await next_batch(stream)).events] == ["p4"]
    assert len(list((tmp_path / "spool" / "webhook").glob("*.jsonl"))) <= 2  # passed generations are deleted


async def test_a_torn_last_journal_line_is_not_replayed(tmp_path: Path) -> None:
    async for srv in start(state_dir=tmp_path):
        assert (await srv.post_bearer(json.dumps(post_obj(1))))[0] == 202
        journal = srv.source._spool._path(srv.source._spool.gen)
        with journal.open("a") as fh:  # crash mid-write
            fh.write('{"type": "post", "ts": "2026-03-01T07:59:00Z", "sou')
    async for srv in start(state_dir=tmp_path):
        batch = await next_batch(srv.source.stream(None))
        assert [e.id for e in batch.events] == ["p1"]


async def test_a_batch_the_pipeline_did_not_finish_is_handed_over_again_first() -> None:
    async for srv in start(batch_size=2):
        await srv.post_bearer(json.dumps([post_obj(i) for i in range(3)]))
        await srv.post_bearer(json.dumps([{"type": "post"}]))  # one rejected item, counted as skipped
        stream = srv.source.stream(None)
        first = await next_batch(stream)
        assert [e.id for e in first.events] == ["p0", "p1"]
        await stream.aclose()  # the consumer failed on it (the store was down) and stopped
        assert srv.source.health_problem() == (
            "refusing pushes with 503: events are not being processed "
            "(its last batch was not finished; it is handed over again on restart)")
        status, resp = await srv.post_bearer(json.dumps(post_obj(9)))  # nobody drains the queue: no 202
        assert status == 503 and resp["_headers"]["Retry-After"] == "5"
        assert "events are not being processed" in resp["error"]
        stream = srv.source.stream(None)  # the restarted consumer
        again = await next_batch(stream)
        assert [e.id for e in again.events] == ["p0", "p1"] and sum(again.skipped.values()) == 1
        assert [e.id for e in (await next_batch(stream)).events] == ["p2"]  # p0, p1 acknowledged now
        assert srv.source.health_problem() is None
        assert (await srv.post_bearer(json.dumps(post_obj(9))))[0] == 202
        assert [e.id for e in (await next_batch(stream)).events] == ["p9"]


async def test_a_stopped_stream_means_pushes_are_refused(tmp_path: Path) -> None:
    async for srv in start(state_dir=tmp_path):
        assert (await srv.post_bearer(json.dumps(post_obj(1))))[0] == 202  # before the stream starts: queued
        stream = srv.source.stream(None)
        assert [e.id for e in (await next_batch(stream)).events] == ["p1"]
        task = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0.01)
        task.cancel()  # shutdown
        with pytest.raises(asyncio.CancelledError):
            await task
        status, resp = await srv.post_bearer(json.dumps(post_obj(2)))
        assert status == 503 and "the ingestion task is not running" in resp["error"]


async def test_a_restarted_stream_does_not_recover_the_journal_twice(tmp_path: Path) -> None:
    async for srv in start(state_dir=tmp_path):
        assert (await srv.post_bearer(json.dumps([post_obj(1), post_obj(2)])))[0] == 202
        # the daemon dies before they are processed
    async for srv in start(state_dir=tmp_path, batch_size=1):
        stream = srv.source.stream(None)
        assert [e.id for e in (await next_batch(stream)).events] == ["p1"]
        await stream.aclose()  # the pipeline failed on p1; the supervisor starts a new stream
        stream = srv.source.stream(None)
        got = [e.id for e in (await next_batch(stream)).events] + [e.id for e in (await next_batch(stream)).events]
        assert got == ["p1", "p2"]
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(anext(stream), timeout=0.2)  # and nothing a second time
