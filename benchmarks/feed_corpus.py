"""The rss collector over a corpus of feed files: what it emits of what is readable, and how fast.

Serves every file under DIR from 127.0.0.1 (with the HTTP headers a file states in a
``Header: Name: value`` line, as feedparser's test corpus does; ``--content-type`` for the
rest), polls each once with the ``rss`` collector, and compares with what feedparser
itself reads from the same bytes. Prints JSON: files, feedparser's entries, entries with a
readable title or text, events emitted, skip reasons, source errors, crashes, seconds.

    git clone https://github.com/kurtmckee/feedparser /tmp/feedparser
    python benchmarks/feed_corpus.py /tmp/feedparser/tests
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import feedparser
from aiohttp import web
from aiohttp.test_utils import TestServer

from monitor.clock import SystemClock
from monitor.errors import SourceError
from monitor.sources.base import SourceContext
from monitor.sources.rss import RssSource, as_text

HEADER = re.compile(rb"^Header:\s*([^:\r\n]+):\s*(.*?)\s*$", re.M)
SUFFIXES = (".xml", ".rss", ".atom", ".rdf", ".json")


def readable(entry: Any) -> bool:
    if as_text(entry.get("title"), (entry.get("title_detail") or {}).get("type")):
        return True
    if as_text(entry.get("summary"), (entry.get("summary_detail") or {}).get("type")):
        return True
    return any(as_text(c.get("value"), c.get("type")) for c in entry.get("content") or [])


async def run(root: Path, content_type: str) -> dict[str, Any]:
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
    served: dict[str, tuple[bytes, dict[str, str]]] = {}
    for i, path in enumerate(files):
        body = path.read_bytes()
        headers = {k.decode().strip(): v.decode("latin-1") for k, v in HEADER.findall(body[:3000]) if v}
        if content_type and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = content_type
        served[f"/{i}"] = (body, headers)

    async def handle(request: web.Request) -> web.Response:
        body, headers = served[request.path]
        return web.Response(body=body, headers=headers)

    app = web.Application()
    app.router.add_get("/{n}", handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()

    async def no_wait(_: float) -> None:
        return None

    stats: Counter[str] = Counter(files=len(files))
    reasons: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    started = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        ctx = SourceContext(clock=SystemClock(), session=session, extra={"http_options": {"sleep": no_wait}})
        for i, path in enumerate(files):
            body, headers = served[f"/{i}"]
            reference = feedparser.parse(io.BytesIO(body), response_headers={k.lower(): v for k, v in headers.items()})
            stats["feedparser_entries"] += len(reference.entries)
            stats["readable_entries"] += sum(1 for e in reference.entries if readable(e))
            config = RssSource.Config.model_validate({"kind": "rss", "url": str(server.make_url(f"/{i}")),
                                                      "requests_per_minute": 1e6, "max_retries": 0})
            try:
                batch = await asyncio.wait_for(RssSource(config, ctx).poll(None), 30)
            except SourceError as exc:
                stats["source_errors"] += 1
                errors[str(exc).split(" is ", 1)[-1][:60]] += 1
                continue
            except Exception as exc:  # counting crashes is the point
                stats["crashes"] += 1
                errors[f"CRASH {path.relative_to(root)}: {type(exc).__name__}: {exc}"[:200]] += 1
                continue
            stats["emitted"] += len(batch.events)
            for reason, n in batch.skipped.items():
                reasons[reason.split(":")[0]] += n
    await server.close()
    return {**stats, "seconds": round(time.perf_counter() - started, 1), "skipped": dict(reasons.most_common()),
            "errors": dict(errors.most_common(10))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path, help="folder of feed files (searched recursively)")
    parser.add_argument("--content-type", default="application/xml",
                        help="Content-Type for files that state none (default: application/xml)")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.dir, args.content_type)), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
