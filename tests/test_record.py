"""`monitor record`: live sources to a replayable recording, nothing written twice across runs."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import timedelta
from pathlib import Path

from aiohttp import web

from monitor.clock import SystemClock
from monitor.config import load_config
from monitor.feed import BadLine, read_feed
from monitor.models import Post
from monitor.record import record
from tests.support import serve, wait_until, write_config

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

    def written() -> int:
        return len(out.read_text(encoding="utf-8").splitlines()) if out.exists() else 0

    await wait_until(lambda: task.done() or written() >= 2, what="the first poll's two items")
    items.append(3)  # a new item appears between polls
    await wait_until(lambda: task.done() or written() >= 3, what="a later poll's new item")
    stop.set()
    assert await task == 3
    assert await record(loaded, out, SystemClock(), timedelta(seconds=1.2)) == 0  # a second run: nothing new
    await server.close()
    events = [e for _, e in read_feed(out)]
    assert not any(isinstance(e, BadLine) for e in events)
    assert [(e.source, e.id, e.text) for e in events if isinstance(e, Post)] == [
        ("news", "1", "Acme & kettles 1"), ("news", "2", "Acme & kettles 2"), ("news", "3", "Acme & kettles 3")]


# --------------------------------------------------------------------------- feeds as they are in the wild

WILD = Path(__file__).parent / "sources" / "fixtures" / "rss" / "wild"
EXPECTED = json.loads((WILD / "expected.json").read_text(encoding="utf-8"))


def _wild_routes() -> tuple[dict, list[tuple[str, str]]]:
    """Every encoding bare and under a wrong header; id-less, Atom and JSON feeds (all ways: tests/sources)."""
    routes, sources = {}, []

    def raw(body: bytes, ctype: str, **headers: str):
        async def handler(request: web.Request) -> web.Response:
            return web.Response(body=body, headers={"Content-Type": ctype, **headers})
        return handler

    for codec in EXPECTED:
        for how, (name, ctype) in {
            "bare": (f"{codec}.xml", "application/rss+xml"),
            "wrong": (f"{codec}.xml", "text/xml; charset=utf-8"),
        }.items():
            routes[("GET", f"/{codec}/{how}")] = raw((WILD / name).read_bytes(), ctype)
            sources.append((f"{codec}-{how}", f"/{codec}/{how}"))
    routes[("GET", "/idless")] = raw((WILD / "idless.xml").read_bytes(), "application/rss+xml",
                                     **{"Content-Language": "zh-CN"})
    routes[("GET", "/atom")] = raw((WILD / "atom_wild.xml").read_bytes(), "application/atom+xml")
    routes[("GET", "/json")] = raw((WILD / "jsonfeed-1.1.json").read_bytes(), "application/feed+json")
    routes[("GET", "/broken-json")] = raw((WILD / "jsonfeed-malformed.json").read_bytes(), "application/json")
    sources += [("idless", "/idless"), ("atom", "/atom"), ("json", "/json"), ("broken-json", "/broken-json")]
    return routes, sources


def _wild_config(tmp_path: Path, server, sources: list[tuple[str, str]]) -> Path:
    lines = "".join(f'  - {{kind: rss, name: {name}, url: "{server.make_url(path)}", interval: 1s,'
                    f' requests_per_minute: 6000}}\n'
                    for name, path in sources)
    return write_config(tmp_path, "playbooks: @PLAYBOOKS@\nsources:\n" + lines)


def _check_wild_recording(out: Path) -> None:
    events = [e for _, e in read_feed(out)]
    assert not any(isinstance(e, BadLine) for e in events)
    by_source: dict[str, list[Post]] = {}
    for e in events:
        by_source.setdefault(e.source, []).append(e)
    for codec, spec in EXPECTED.items():
        want = [(i["title"], i["text"]) for i in spec["items"]]
        for how in ("bare", "wrong"):
            assert [(p.title, p.text) for p in by_source[f"{codec}-{how}"]] == want, (codec, how)
    idless = by_source["idless"]
    assert len(idless) == 3 and all(p.id.startswith("content-sha1:") and p.lang == "zh" for p in idless)
    assert [p.title for p in by_source["atom"]] == ["Why the Acme <K2> kettle leaks", "The Acme K2 & its lid",
                                                     "Acme K2 teardown"]
    assert by_source["atom"][0].url is None
    assert [p.id for p in by_source["json"]][:2] == ["2026-03-01-recall", "1002"]
    assert [p.id for p in by_source["broken-json"]] == ["ok-1"]
    assert len(events) == 7 * 2 * 2 + 3 + 3 + 3 + 1  # each once, though every source was polled twice or more


async def test_record_writes_feeds_as_they_are_in_the_wild_once_each(tmp_path: Path, caplog) -> None:
    routes, sources = _wild_routes()
    polls = dict.fromkeys((path for _, path in sources), 0)

    def counted(handler):
        async def wrapper(request: web.Request) -> web.StreamResponse:
            polls[request.path] += 1
            return await handler(request)
        return wrapper

    server = await serve({route: counted(handler) for route, handler in routes.items()})
    try:
        loaded = load_config(_wild_config(tmp_path, server, sources))
        out = tmp_path / "wild.jsonl"
        stop = asyncio.Event()
        task = asyncio.create_task(record(loaded, out, SystemClock(), timedelta(minutes=5), stop))
        # a source's third request starts only after its second poll was written: every source polled twice
        await wait_until(lambda: task.done() or min(polls.values()) >= 3, timeout=60, what="three polls a source")
        stop.set()
        assert await task == 7 * 2 * 2 + 10
        assert await record(loaded, out, SystemClock(), timedelta(seconds=1.2)) == 0  # a second run: nothing new
    finally:
        await server.close()
    _check_wild_recording(out)
    warnings = {r.getMessage() for r in caplog.records if r.levelname == "WARNING"}
    assert ("gb18030-wrong: skipped 1 item(s): wrong charset declaration: declared utf-8 but the bytes are not "
            "utf-8; decoded as gb18030 (detected)") in warnings
    assert ("broken-json: skipped 1 item(s): malformed JSON Feed item: item 2: id is a list, expected a string"
            in warnings)


async def test_monitor_record_command_on_wild_feeds(tmp_path: Path) -> None:
    routes, sources = _wild_routes()
    server = await serve(routes)
    try:
        cfg = _wild_config(tmp_path, server, sources)
        out = tmp_path / "cli.jsonl"
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "monitor", "record", "--out", str(out), "--config", str(cfg), "--duration", "3s",
            env={**os.environ}, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    finally:
        await server.close()
    assert proc.returncode == 0, err.decode()
    assert f"recorded {7 * 2 * 2 + 10} event(s) to {out}" in err.decode()
    _check_wild_recording(out)
