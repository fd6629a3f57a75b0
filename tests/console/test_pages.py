"""What the pages show: proxy sign-on, time zones, hostile post text, live events, the checklist."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from urllib.parse import quote

import aiohttp

from monitor.console.render import ago
from monitor.console.users import Accounts
from monitor.interact.actions import perform
from monitor.models import parse_ts
from monitor.tasks import TaskBook
from tests.console.conftest import Room, start_room


async def test_the_sso_header_is_honoured_only_from_trusted_proxies(tmp_path: Path) -> None:
    trusted = "trusted_proxies: [127.0.0.1], proxy_user_header: X-Forwarded-User"
    room = await start_room(tmp_path / "a", trusted + ", proxy_default_role: viewer")
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(room.base + "/", headers={"X-Forwarded-User": "alice"}) as r:
                assert r.status == 200 and "alice <small>(responder" in await r.text()  # the account's own role
                assert r.cookies["bm_console"]["httponly"]
            async with http.get(room.base + "/", headers={"X-Forwarded-User": "newcomer"}) as r:
                assert r.status == 200 and "newcomer <small>(viewer" in await r.text()  # proxy_default_role
        assert Accounts(room.store).get("newcomer").role == "viewer"
    finally:
        await room.svc.shutdown()
    room = await start_room(tmp_path / "b", trusted)  # no default role: only people with an account
    try:
        async with aiohttp.ClientSession() as http, \
                http.get(room.base + "/", headers={"X-Forwarded-User": "stranger"}, allow_redirects=False) as r:
            assert r.status == 303
    finally:
        await room.svc.shutdown()
    room = await start_room(tmp_path / "c", "trusted_proxies: [10.9.8.7], proxy_user_header: X-Forwarded-User")
    try:
        async with aiohttp.ClientSession() as http, \
                http.get(room.base + "/", headers={"X-Forwarded-User": "root"}, allow_redirects=False) as r:
            # we are 127.0.0.1, not the proxy: the header is ignored
            assert r.status == 303 and r.headers["Location"].startswith("/console/login")
    finally:
        await room.svc.shutdown()


async def test_times_show_in_the_viewers_zone_with_utc_in_the_tooltip(room: Room, http) -> None:
    await room.push(http)
    inc = await room.incident()
    await room.login(http, "alice")
    page = "/console/incidents/" + quote(inc.id, safe="")
    async with http.get(room.base + page) as r:
        html = await r.text()
    opened = inc.opened_at
    shanghai = opened.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    assert f'title="{opened:%Y-%m-%d %H:%M:%S} UTC">{shanghai:%Y-%m-%d %H:%M} CST</time>' in html  # config default
    token = await room.csrf(http, "/console/settings")
    async with http.post(room.base + "/console/settings", data={"csrf": token, "timezone": "America/New_York"}) as r:
        assert r.status == 200
    async with http.get(room.base + page) as r:
        html = await r.text()
    ny = opened.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert f">{ny:%Y-%m-%d %H:%M} {ny.tzname()}</time>" in html and " CST</time>" not in html
    async with http.post(room.base + "/console/settings", data={"csrf": token, "timezone": "Mars/Olympus"}) as r:
        assert r.status == 400


async def test_hostile_post_text_is_escaped(room: Room, http) -> None:
    evil = '<script>alert(1)</script><img src=x onerror="alert(2)"> Acme broken {i}'
    await room.push(http, text=evil)
    inc = await room.incident()
    await room.login(http, "alice")
    async with http.get(room.base + "/console/incidents/" + quote(inc.id, safe="")) as r:
        html = await r.text()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html
    stories = html[html.index("<h2>Stories</h2>"):html.index("<h2>Playbook checklist</h2>")]
    assert "posts" in stories and "&lt;script&gt;" in stories and "<script>" not in stories
    async with http.get(room.base + "/") as r:
        assert "<script>alert" not in await r.text()


async def test_only_web_links_are_linked(room: Room, http) -> None:
    await room.push(http)
    inc = await room.incident()
    room.store.execute("UPDATE posts SET post=? WHERE key=?", ('{"text": "Acme broken", "url": "javascript:alert(1)"}',
                                                            "push:e1"))
    await room.login(http, "alice")
    async with http.get(room.base + "/console/incidents/" + quote(inc.id, safe="")) as r:
        html = await r.text()
    assert "javascript:" not in html and 'href="https://example.com/p/2"' in html


async def test_an_action_anywhere_reaches_open_streams(room: Room, http) -> None:
    await room.push(http)
    inc = await room.incident()
    await room.login(http, "vera")
    async with http.get(room.base + "/console/events") as r:
        assert r.status == 200 and r.headers["Content-Type"].startswith("text/event-stream")
        hello = await asyncio.wait_for(r.content.readuntil(b"\n\n"), 10)
        assert b"event: hello" in hello
        assert perform(room.svc.rt, "ack", inc.id, "sam", "slack", room.svc.clock.now()).ok  # from Slack
        event = await asyncio.wait_for(r.content.readuntil(b"\n\n"), 10)
        assert event.startswith(b"event: change\ndata: ")
    await asyncio.sleep(0)


async def test_now_lists_open_incidents_with_their_deadline_owner(room: Room, http) -> None:
    await room.push(http)
    inc = await room.incident()
    await room.login(http, "alice")
    async with http.get(room.base + "/") as r:
        html = await r.text()
    row = re.search(r'<tr class="incident level-blue" data-incident="([^"]+)">(.*?)</tr>', html, re.S)
    assert row and row.group(1) == inc.id
    assert "not yet" in row.group(2) and "acknowledge" in row.group(2)  # the next deadline is the ack
    assert perform(room.svc.rt, "ack", inc.id, "sam", "slack", room.svc.clock.now()).ok
    async with http.get(room.base + "/") as r:
        html = await r.text()
    row = re.search(r'<tr class="incident level-blue"[^>]*>(.*?)</tr>', html, re.S)
    assert "sam" in row.group(1) and "<em>alice</em>" in row.group(1)  # next: a task owned by alice (PR)


async def test_history_has_the_after_action_numbers(room: Room, http) -> None:
    await room.push(http)
    inc = await room.incident()
    room.close_incident(inc.id)
    done = room.store.get_incident(inc.id)[1]
    await room.login(http, "vera")
    async with http.get(room.base + "/console/history") as r:
        html = await r.text()
    row = re.search(r"<tr><td><a href=\"/console/incidents/([^\"]+)\">(.*?)</tr>", html, re.S)
    assert row and row.group(1) == quote(inc.id, safe="")
    cells = re.findall(r"<td>(.*?)</td>", row.group(0), re.S)
    first_post = min(e["ts"] for e in room.store.incident_evidence(inc.id)["examples"])
    assert cells[3] == ago(done.opened_at - parse_ts(first_post))  # time to detect: first evidence to alert
    assert cells[4] == ago(done.acked_at - done.opened_at)
    tasks = len(TaskBook(room.store, room.svc.loaded.config.tasks).tasks(room.svc.clock.now(), inc.id))
    assert cells[5] == f"1 / {tasks}"  # the one ticked task was on time
    for action in ("ack", "task_done", "resolve"):
        assert f"<td>{action}</td>" in html  # the audit log, newest first


async def test_stopping_the_daemon_ends_open_streams(tmp_path: Path) -> None:
    room = await start_room(tmp_path)
    stopped = False
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            await room.login(http, "vera")
            async with http.get(room.base + "/console/events") as r:
                await asyncio.wait_for(r.content.readuntil(b"\n\n"), 10)
                stopping = asyncio.ensure_future(room.svc.shutdown())
                # the stream ends at once; aiohttp would otherwise wait up to a minute for this browser
                rest = await asyncio.wait_for(r.content.read(), 20)
                assert r.content.at_eof() and b"hello" not in rest
                await asyncio.wait_for(stopping, 20)
                stopped = True
    finally:
        if not stopped:
            await room.svc.shutdown()


async def test_drill_reports_are_listed_and_served_sandboxed(tmp_path: Path) -> None:
    drill = tmp_path / "reports" / "drill-2026-03-01"
    drill.mkdir(parents=True)
    (drill / "report.json").write_text('{"summary": {"incidents": 1, "notifications": 9, "peak_level": "red"}}',
                                      encoding="utf-8")
    (drill / "report.html").write_text("<h1>Drill report</h1><script>alert(1)</script>", encoding="utf-8")
    (tmp_path / "reports" / "broken").mkdir()
    (tmp_path / "reports" / "broken" / "report.json").write_text("{not json", encoding="utf-8")
    room = await start_room(tmp_path, "reports_dir: reports")
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            await room.login(http, "vera")
            async with http.get(room.base + "/console/history") as r:
                html = await r.text()
            assert ('href="/console/reports/drill-2026-03-01/report.html">drill-2026-03-01</a> — 1 incident(s), '
                    '9 notification(s), peak red') in html
            async with http.get(room.base + "/console/reports/drill-2026-03-01/report.html") as r:
                assert r.status == 200 and "<h1>Drill report</h1>" in await r.text()
                assert r.headers["Content-Security-Policy"].startswith("sandbox")  # its script cannot run
            for name in ("..", "%2e%2e", ".hidden", "broken"):
                async with http.get(room.base + f"/console/reports/{name}/report.html") as r:
                    assert r.status == 404, name
    finally:
        await room.svc.shutdown()
