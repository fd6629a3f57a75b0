"""A password in a source URL never shows: not in logs, /healthz, the store or alerts."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from monitor.clock import SystemClock
from monitor.config import load_config
from monitor.health import MAX_REASON_CHARS, MAX_SKIP_REASONS, OTHER_REASONS, HealthTracker
from monitor.logs import JsonFormatter, RedactingFormatter
from monitor.redact import redact_text, redact_url, strip_userinfo
from monitor.service import Service
from tests.support import Recorder, WordScorer, serve, write_config

PASSWORD = "hunter2-Sup3rSecret"


def test_redact_url_masks_userinfo_and_secret_parameters() -> None:
    assert redact_url(f"http://dana:{PASSWORD}@feeds.example:8080/f.xml?q=acme") == \
        "http://***@feeds.example:8080/f.xml?q=acme"
    assert redact_url("https://token@api.example/x?api_key=abc&q=1") == "https://***@api.example/x?api_key=%2A%2A%2A&q=1"
    assert redact_url("https://api.example/s?q=acme") == "https://api.example/s?q=acme"
    assert strip_userinfo(f"http://dana:{PASSWORD}@feeds.example/f.xml") == "http://feeds.example/f.xml"
    assert strip_userinfo("http://feeds.example/f.xml?q=a%20b") == "http://feeds.example/f.xml?q=a%20b"
    # an @ inside the password: the host is what follows the last one
    assert redact_url("https://dana:p@ss@host.example/f") == "https://***@host.example/f"
    assert strip_userinfo("https://dana:p@ss@host.example/f") == "https://host.example/f"
    # secret parameters alone, blank values kept, harmless queries left exactly as written
    assert redact_url("https://api.example/s?sig=zz&q=") == "https://api.example/s?sig=%2A%2A%2A&q="
    assert redact_url("https://api.example/s?q=a%20b&page=2") == "https://api.example/s?q=a%20b&page=2"
    # a URL urllib cannot split is still masked as text
    assert redact_url("http://dana:pw@[::1/f?token=abc") == "http://***@[::1/f?token=***"
    assert strip_userinfo("http://dana:pw@[::1/f") == "http://[::1/f"


def test_redact_text_masks_urls_inside_messages() -> None:
    text = f"news: GET http://dana:{PASSWORD}@127.0.0.1:9/f.xml?token=abc&x=1 failed; see 'ftp://u:p@h/'"
    assert redact_text(text) == "news: GET http://***@127.0.0.1:9/f.xml?token=*** &x=1 failed; see 'ftp://***@h/'" \
        .replace("*** &", "***&")


def test_log_lines_are_redacted() -> None:
    record = logging.LogRecord("monitor", logging.WARNING, __file__, 1, "source %s failed: %s",
                               ("news", f"cannot fetch http://dana:{PASSWORD}@h/f.xml"), None)
    line = RedactingFormatter(JsonFormatter()).format(record)
    assert PASSWORD not in line and "http://***@h/f.xml" in line


def test_rejection_reasons_are_bounded() -> None:
    health = HealthTracker()
    now = datetime(2026, 3, 1, tzinfo=UTC)
    health.register("hook", "webhook", now - now.replace(year=2025), 3, now)
    for i in range(40):  # 40 bad items, each quoting an 800 KB field
        health.success("hook", 0, Counter({f"rejected push item: field 'kind' got '{i}{'x' * 800_000}'": 1}), now)
    for i in range(100):
        health.success("hook", 0, Counter({f"reason {i}": 2}), now)
    skipped = health.snapshot(now)["hook"]["skipped"]
    assert len(skipped) == MAX_SKIP_REASONS + 1
    assert max(len(r) for r in skipped) <= MAX_REASON_CHARS
    assert sum(skipped.values()) == 40 + 200 and skipped[OTHER_REASONS] == 200 - 2 * (MAX_SKIP_REASONS - 40)
    assert len(str(skipped)) < 30_000


async def test_source_password_never_shows(tmp_path: Path, caplog) -> None:
    hook = Recorder()
    server = await serve({("POST", "/hook"): hook.handle})
    with socket.socket() as sock:  # a port nobody listens on: the error names the URL it tried
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    url = f"http://dana:{PASSWORD}@127.0.0.1:{closed}/feed.xml?token=abc123"
    cfg = write_config(tmp_path, f"""\
        store: {{path: state.db}}
        playbooks: @PLAYBOOKS@
        server: {{port: 0}}
        health: {{check_interval: 1s}}
        runtime: {{tick: 1s}}
        sources:
          - {{kind: rss, name: news, url: '{url}', interval: 1s, failure_threshold: 1, max_retries: 0}}
        notifiers:
          - {{kind: webhook, name: hook, url: '{server.make_url("/hook")}'}}
        """)
    svc = Service(load_config(cfg), SystemClock(), scorer=WordScorer())
    caplog.set_level(logging.INFO)
    await svc.start()
    try:
        for _ in range(200):
            if any(b.get("transition") == "blind_spot" for b in hook.bodies):
                break
            await asyncio.sleep(0.05)
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{svc.port}/healthz") as r:
            health = await r.text()
        assert f"http://***@127.0.0.1:{closed}/feed.xml?token=" in health
        alert = next(b for b in hook.bodies if b.get("transition") == "blind_spot")
        assert "***@" in str(alert)
    finally:
        await svc.shutdown()
        await server.close()
    for where, text in (("/healthz", health), ("alert", str(hook.bodies)),
                        ("store", b"".join(p.read_bytes() for p in tmp_path.glob("state.db*")).decode("latin-1")),
                        ("logs", "\n".join(RedactingFormatter(JsonFormatter()).format(r) for r in caplog.records))):
        assert PASSWORD not in text, where
