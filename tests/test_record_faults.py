"""`monitor record` under storage faults: the loop keeps recording, and no line is written twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web

from monitor.clock import SystemClock
from monitor.config import load_config
from monitor.errors import StoreError
from monitor.feed import read_feed
from monitor.models import Post
from monitor.record import record
from monitor.store import Store
from tests.support import serve, write_config

ITEM = ("<item><guid isPermaLink='false'>{i}</guid><title>Acme item {i}</title>"
        "<description>Acme kettle {i}</description><pubDate>Mon, 02 Mar 2026 08:0{i}:00 GMT</pubDate></item>")


async def test_a_failed_commit_is_retried_and_writes_each_line_once(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    polls = {"n": 0}

    async def feed(request: web.Request) -> web.Response:
        polls["n"] += 1
        body = "".join(ITEM.format(i=i) for i in (1, 2))
        return web.Response(text=f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>{body}"
                                 "</channel></rss>", content_type="application/rss+xml")

    failures = {"left": 2}
    real = Store.set_cursor

    def flaky(self: Store, *args: object, **kwargs: object) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise StoreError("m.db: set cursor: database or disk is full; free some space")
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "set_cursor", flaky)
    server = await serve({("GET", "/feed.xml"): feed})
    cfg = write_config(tmp_path, f"""\
        playbooks: @PLAYBOOKS@
        sources:
          - {{kind: rss, name: news, url: "{server.make_url('/feed.xml')}", interval: 0.2s}}
        """)
    out = tmp_path / "day.jsonl"
    stop = asyncio.Event()
    task = asyncio.create_task(record(load_config(cfg), out, SystemClock(), timedelta(seconds=60), stop))
    loop = asyncio.get_running_loop()
    end = loop.time() + 30
    while failures["left"] or polls["n"] < 5:  # two failed commits, then polls that succeed
        assert loop.time() < end, (failures, polls)
        assert not task.done(), "the recording loop ended on a storage error"
        await asyncio.sleep(0.05)
    stop.set()
    assert await task == 2
    await server.close()
    posts = [e for _, e in read_feed(out) if isinstance(e, Post)]
    assert [(p.id, p.text) for p in posts] == [("1", "Acme kettle 1"), ("2", "Acme kettle 2")]
