"""`monitor record`: live sources to a replayable recording, nothing written twice across runs."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from aiohttp import web

from monitor.clock import SystemClock
from monitor.config import load_config
from monitor.feed import BadLine, read_feed
from monitor.models import Post
from monitor.record import record
from tests.support import serve, write_config

ITEM = "<item><guid isPermaLink='false'>{i}</guid><title>Acme item {i}</title><link>https://n.example/{i}</link>" \
       "<description>Acme &amp; kettles {i}</description><pubDate>Mon, 02 Mar 2026 08:0{i}:00 GMT</pubDate></item>"


async def test_record_writes_each_event_once_in_the_event_format(tmp_path: Path) -> None:
    items = [1, 2]

    async def feed(request: web.Request) -> web.Response:
        body = "".join(ITEM.format(i=i) for i in items)
        return web.Response(text=f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>{body}"
                                 "</channel></rss>", content_type="application/rss+xml")

    server = await serve({("GET", "/feed.xml"): feed})
    cfg = write_config(tmp_path, f"""\
        playbooks: @PLAYBOOKS@
        sources:
          - {{kind: rss, name: news, url: "{server.make_url('/feed.xml')}", interval: 1s}}
          - {{kind: webhook, token: a-very-long-ingest-token}}
        """)
    out = tmp_path / "day.jsonl"
    loaded = load_config(cfg)
    stop = asyncio.Event()
    task = asyncio.create_task(record(loaded, out, SystemClock(), timedelta(seconds=30), stop))
    await asyncio.sleep(1.5)
    items.append(3)  # a new item appears between polls
    await asyncio.sleep(1.5)
    stop.set()
    assert await task == 3
    assert await record(loaded, out, SystemClock(), timedelta(seconds=1.2)) == 0  # a second run: nothing new
    await server.close()
    events = [e for _, e in read_feed(out)]
    assert not any(isinstance(e, BadLine) for e in events)
    assert [(e.source, e.id, e.text) for e in events if isinstance(e, Post)] == [
        ("news", "1", "Acme & kettles 1"), ("news", "2", "Acme & kettles 2"), ("news", "3", "Acme & kettles 3")]
