"""The daemon's HTTP API under hostile requests: auth, Host/Origin, content type, limits, handles."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from monitor.clock import VirtualClock
from monitor.config import load_config
from monitor.errors import ConfigError
from monitor.http_api import host_allowed, incident_handle, is_loopback, origin_allowed
from monitor.models import Incident
from monitor.service import Service
from tests.support import WordScorer, write_config

TOKEN = "a-long-enough-api-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON = {"Content-Type": "application/json"}
NOW = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)  # the daemon's virtual time: nothing here reads the real clock


def _config(tmp_path: Path, server: str) -> Path:
    return write_config(tmp_path, f"""\
        store: {{path: state.db}}
        playbooks: @PLAYBOOKS@
        server: {server}
        notifiers:
          - kind: terminal
        """)


@pytest.fixture
async def api(tmp_path: Path):
    svc = Service(load_config(_config(tmp_path, f"{{port: 0, api_token: {TOKEN}}}")), VirtualClock(NOW),
                  scorer=WordScorer())
    await svc.start()
    assert svc.rt is not None
    now = svc.clock.now()
    inc = Incident(id="acme-20260301-080000", brand="acme", category=None, level="blue", status="open",
                   opened_at=now, level_since=now, last_signal_at=now, trigger="blue.volume")
    svc.rt.store.save_incident("acme", inc)
    try:
        async with aiohttp.ClientSession() as http:
            yield svc, http, f"http://127.0.0.1:{svc.port}"
    finally:
        await svc.shutdown()


async def raw(port: int, request: bytes) -> tuple[int, bytes]:
    """Send bytes as they are (headers aiohttp's client would refuse to write)."""
    import asyncio

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    data = await reader.read()
    writer.close()
    return int(data.split(b" ", 2)[1]), data


async def test_no_token_answers_read_only_on_loopback(tmp_path: Path) -> None:
    svc = Service(load_config(_config(tmp_path, "{port: 0, api_token: ''}")), VirtualClock(NOW), scorer=WordScorer())
    await svc.start()
    try:
        base = f"http://127.0.0.1:{svc.port}"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/incidents") as r:
                assert r.status == 200
            for path in ("/incidents/x/ack", "/-/reload", "/posts/a:1/relabel"):
                async with http.post(base + path, json={"label": "neutral"}) as r:
                    assert r.status == 403
                    assert (await r.json())["error"].startswith("the API is read-only: no server.api_token")
    finally:
        await svc.shutdown()


def test_no_token_on_a_public_address_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(_config(tmp_path, "{host: 0.0.0.0, port: 0, api_token: '${MONITOR_API_TOKEN:-}'}"), env={})
    assert str(err.value).endswith(
        "monitor.yaml: line 3 (server): server.host '0.0.0.0' is not a loopback address and no server.api_token "
        "is set, so anyone who can reach it could act on incidents; set api_token (api_token: "
        "${MONITOR_API_TOKEN}) or bind host: 127.0.0.1")
    load_config(_config(tmp_path, f"{{host: 0.0.0.0, port: 0, api_token: {TOKEN}}}"))  # with a token it may


async def test_cross_site_text_plain_post_is_refused(api) -> None:
    svc, http, base = api
    url = f"{base}/incidents/acme-20260301-080000/ack"
    # a form/fetch from another site: the Origin is foreign
    async with http.post(url, data='{"by": "x"}', headers={**AUTH, "Origin": "https://evil.example",
                                                           "Content-Type": "text/plain"}) as r:
        assert r.status == 403 and "cross-site request from origin 'https://evil.example'" in (await r.json())["error"]
    # even without an Origin, text/plain is not JSON
    async with http.post(url, data='{"by": "x"}', headers={**AUTH, "Content-Type": "text/plain"}) as r:
        assert r.status == 415
        assert (await r.json())["error"].startswith("send Content-Type: application/json (got text/plain)")
    async with http.post(url, headers=AUTH) as r:  # no body, no content type
        assert r.status == 415
    assert svc.rt.store.get_incident("acme-20260301-080000")[1].acked_at is None
    # same origin (the console on this server) is fine
    origin = f"http://127.0.0.1:{svc.port}"
    async with http.post(url, json={"by": "dana"}, headers={**AUTH, "Origin": origin}) as r:
        assert r.status == 200 and (await r.json())["acked_by"] == "dana"


async def test_dns_rebinding_host_is_refused(api) -> None:
    svc, http, base = api
    async with http.get(f"{base}/incidents", headers={"Host": f"attacker.example:{svc.port}"}) as r:
        assert r.status == 421
        assert (await r.json())["error"].startswith("Host 'attacker.example' is not served here")
    for host in (f"localhost:{svc.port}", f"127.0.0.1:{svc.port}", "[::1]", "10.0.0.5:8080"):
        async with http.get(f"{base}/healthz", headers={"Host": host}) as r:
            assert r.status in (200, 503), host


def test_host_and_origin_rules() -> None:
    assert host_allowed("LOCALHOST:80", []) and host_allowed("app.localhost", [])
    assert not host_allowed("evil.example", []) and host_allowed("evil.example", ["*"])
    assert host_allowed("monitor.acme.com:8080", ["monitor.acme.com"])
    assert host_allowed("a.acme.com", [".acme.com"]) and not host_allowed("acme.com.evil", [".acme.com"])
    assert is_loopback("127.0.0.2") and is_loopback("::1") and not is_loopback("0.0.0.0")
    assert origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080", [])
    assert not origin_allowed("null", "127.0.0.1:8080", [])
    assert origin_allowed("https://ops.acme.com/", "monitor:8080", ["https://ops.acme.com"])


async def test_incidents_have_unguessable_handles(api) -> None:
    _svc, http, base = api
    async with http.get(f"{base}/incidents") as r:
        (listed,) = await r.json()
    handle = listed["handle"]
    assert handle == incident_handle("acme-20260301-080000", TOKEN) and listed["url"] == f"/incidents/{handle}"
    assert len(handle) == 25 and "acme" not in handle and handle != incident_handle("acme-20260301-080000", "other")
    async with http.get(f"{base}/incidents/{handle}") as r:
        assert r.status == 200 and (await r.json())["id"] == "acme-20260301-080000"
    async with http.post(f"{base}/incidents/{handle}/resolve", json={"by": "dana"}, headers=AUTH) as r:
        assert r.status == 200 and (await r.json())["status"] == "resolved"
    async with http.get(f"{base}/incidents/h{'a' * 24}") as r:
        assert r.status == 404


async def test_unauthenticated_junk_never_500s(api) -> None:
    svc, http, base = api
    # a non-ASCII bearer token (sent raw: aiohttp's client would refuse to encode it)
    status, _ = await raw(svc.port, b"POST /-/reload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
                                    b"\r\nAuthorization: Bearer \xc3\xa9\xff\xfe\r\nContent-Length: 0\r\n"
                                    b"Connection: close\r\n\r\n")
    assert status == 401
    async with http.post(f"{base}/-/reload", json={}, headers={"Authorization": "Bearer wrong"}) as r:
        assert r.status == 401


@pytest.mark.parametrize(("body", "status", "message"), [
    ("[" * 5000 + "]" * 5000, 400, "body refused: JSON is nested 5000 levels deep; the limit is 32 (limits.max_depth)"),
    ('{"by": ' + "9" * 5000 + "}", 400, "body refused: a number with thousands of digits is out of range"),
    ('{"by": ' + "9" * 400 + "}", 400, "body refused: number of about 400 digits is out of range; numbers must be "
                                       "finite and within ±9.22337e+18 (limits.max_number)"),
    ('{"by": NaN}', 400, "body refused: NaN is not a number JSON allows; send a finite number"),
    ('{"by": "' + "x" * 300 + '"}', 400, "'by' must be a name of at most 200 characters"),
    ('{"by": 1e400}', 400, "body refused: number inf is out of range"),
    ("[1]", 400, "body must be a JSON object"),
    ("{not json", 400, "body must be JSON"),
    ('{"by": "' + "x" * 70_000 + '"}', 413, "body is larger than the 65536-byte limit (server.max_body_bytes)"),
])
async def test_hostile_authenticated_bodies_get_a_clear_4xx(api, body: str, status: int, message: str) -> None:
    svc, http, base = api
    async with http.post(f"{base}/incidents/acme-20260301-080000/ack", data=body, headers={**AUTH, **JSON}) as r:
        assert r.status == status
        assert (await r.json())["error"].startswith(message)
    assert svc.rt.store.get_incident("acme-20260301-080000")[1].acked_at is None


def test_loopback_helper_handles_odd_hosts() -> None:
    assert not is_loopback("") and not is_loopback("exa mple") and not is_loopback(socket.gethostname() + ".x")
