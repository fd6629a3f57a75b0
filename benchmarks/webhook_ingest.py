"""Webhook ingestion throughput: events/s from POST to stream(), over a real local socket.

Run: ``python benchmarks/webhook_ingest.py [--requests 200] [--per-request 500] [--signed] [--memory]``.
Prints events/s and the p50/p95 request latency. By default the source journals every
accepted request to disk (fsync before the 202), as the daemon does; ``--memory`` measures
the in-memory queue alone. No targets are asserted here: this
prints numbers for the report, it is not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web

from monitor.clock import SystemClock
from monitor.sources.base import SourceContext
from monitor.sources.webhook import WebhookConfig, WebhookSource, sign

TOKEN = "bench-token-0123456789abcdef"


def body(req: int, n: int) -> bytes:
    ts = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [json.dumps({"type": "post", "ts": ts, "source": "vendor", "id": f"{req}-{i}",
                         "text": f"Acme K5 battery complaint number {i}", "reposts": i % 7, "kind": "social"})
             for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


async def main(requests: int, per_request: int, signed: bool, state_dir: Path | None) -> None:
    config = WebhookConfig(token=TOKEN, hmac_secret=TOKEN, queue_size=requests * per_request, batch_size=1000,
                           max_body_bytes=64 * 1024 * 1024)
    source = WebhookSource(config, SourceContext(clock=SystemClock(), state_dir=state_dir))
    app = web.Application()
    app.add_routes(source.routes())
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}{config.path}"
    received = 0
    done = asyncio.Event()

    async def consume() -> None:
        nonlocal received
        async for batch in source.stream(None):
            received += len(batch.events)
            if received >= requests * per_request:
                done.set()
                return

    consumer = asyncio.create_task(consume())
    payloads = [body(r, per_request) for r in range(requests)]
    latencies: list[float] = []
    start = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        for payload in payloads:
            if signed:
                ts = str(int(time.time()))
                headers = {"X-Monitor-Signature": sign(TOKEN, ts, payload), "X-Monitor-Timestamp": ts}
            else:
                headers = {"Authorization": f"Bearer {TOKEN}"}
            t0 = time.perf_counter()
            async with session.post(url, data=payload, headers=headers) as resp:
                assert resp.status == 202, await resp.text()
            latencies.append(time.perf_counter() - t0)
    await asyncio.wait_for(done.wait(), timeout=60)
    elapsed = time.perf_counter() - start
    consumer.cancel()
    await runner.cleanup()
    total = requests * per_request
    q = statistics.quantiles(latencies, n=20)
    mode = "journalled" if state_dir else "in memory"
    print(f"webhook ingest ({'HMAC' if signed else 'bearer'}, {mode}): {total} events in {requests} requests "
          f"of {per_request}: {total / elapsed:,.0f} events/s; request latency p50 {q[9] * 1000:.1f} ms, "
          f"p95 {q[18] * 1000:.1f} ms ({len(payloads[0]) / 1024:.0f} KiB per request)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--per-request", type=int, default=500)
    parser.add_argument("--signed", action="store_true", help="HMAC signatures instead of a bearer token")
    parser.add_argument("--memory", action="store_true", help="no on-disk journal (the daemon always journals)")
    args = parser.parse_args()
    if args.memory:
        asyncio.run(main(args.requests, args.per_request, args.signed, None))
    else:
        with tempfile.TemporaryDirectory() as state:
            asyncio.run(main(args.requests, args.per_request, args.signed, Path(state)))
