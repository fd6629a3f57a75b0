"""Sign-in, sessions, CSRF, roles and the SSO header against a real daemon on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import aiohttp

from monitor.console.users import Accounts, LoginLimiter, hash_password, verify_password
from monitor.store import Store
from monitor.store_actions import ActionError
from tests.console.conftest import PASSWORD, Room, csrf_of, start_room

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


async def test_nothing_is_open_without_signing_in(room: Room, http) -> None:
    await room.push(http)
    inc = await room.incident()
    for path in ("/", "/console/brands", "/console/history", "/console/incidents/" + quote(inc.id, safe="")):
        async with http.get(room.base + path, allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"].startswith("/console/login?next="), path
    async with http.get(room.base + "/console/events") as r:
        assert r.status == 401
    async with http.post(room.base + f"/console/incidents/{inc.id}/act", data={"action": "ack"}) as r:
        assert r.status == 401
    assert room.store.get_incident(inc.id)[1].acked_at is None


async def test_sign_in_sets_a_strict_http_only_cookie(room: Room, http) -> None:
    r = await room.login(http, "alice", "wrong password!")
    assert r.status == 401 and "bm_console" not in r.cookies
    r = await room.login(http, "nobody", PASSWORD)
    assert r.status == 401
    r = await room.login(http, "alice")
    assert r.status == 303 and r.headers["Location"] == "/"
    cookie = r.cookies["bm_console"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/"
    assert not cookie["secure"]  # plain HTTP on loopback, secure_cookie: auto
    async with http.get(room.base + "/") as resp:
        assert resp.status == 200 and "alice" in await resp.text()
        assert resp.headers["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in \
            resp.headers["Content-Security-Policy"]
    assert [a["action"] for a in room.audit() if a["actor"] == "alice"] == ["sign_in"]


async def test_secure_cookie_always_and_behind_a_trusted_tls_proxy(tmp_path: Path) -> None:
    for console, headers in (("secure_cookie: always", {}),
                             ("trusted_proxies: [127.0.0.1]", {"X-Forwarded-Proto": "https"})):
        room = await start_room(tmp_path / str(len(headers)), console)
        try:  # a client keeps Secure cookies for https only, so this one hands them back by hand
            async with aiohttp.ClientSession(headers=headers, cookie_jar=aiohttp.DummyCookieJar()) as http:
                async with http.get(room.base + "/console/login") as r:
                    token = csrf_of(await r.text())
                    assert r.cookies["bm_login"]["secure"] and r.cookies["bm_login"].value == token, console
                async with http.post(room.base + "/console/login", allow_redirects=False,
                                     headers={"Cookie": f"bm_login={token}"},
                                     data={"csrf": token, "name": "alice", "password": PASSWORD}) as r:
                    assert r.status == 303 and r.cookies["bm_console"]["secure"], console
        finally:
            await room.svc.shutdown()


async def test_sign_in_needs_its_form_token_and_is_rate_limited(room: Room, http) -> None:
    async with http.post(room.base + "/console/login", data={"name": "alice", "password": PASSWORD}) as r:
        assert r.status == 403 and "CSRF" in await r.text()
    for _ in range(5):
        assert (await room.login(http, "alice", "not the password")).status == 401
    r = await room.login(http, "alice")  # the right password, too late
    assert r.status == 429
    r = await room.login(http, "vera")  # another name from the same address is limited too
    assert r.status == 429


async def test_next_after_sign_in_is_never_another_site(room: Room, http) -> None:
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as fresh:
            async with fresh.get(f"{room.base}/console/login") as r:
                token = csrf_of(await r.text())
            async with fresh.post(f"{room.base}/console/login", allow_redirects=False,
                                  data={"csrf": token, "name": "alice", "password": PASSWORD, "next": target}) as r:
                assert r.status == 303 and r.headers["Location"] == "/", target


async def test_actions_need_the_csrf_token_the_same_origin_and_a_responder(room: Room, http) -> None:
    await room.push(http)
    inc = await room.incident()
    url = f"{room.base}/console/incidents/{quote(inc.id, safe='')}/act"
    await room.login(http, "alice")
    token = await room.csrf(http)
    async with http.post(url, data={"action": "ack"}) as r:
        assert r.status == 403 and "CSRF" in await r.text()
    async with http.post(url, data={"action": "ack", "csrf": token[:-2] + "xx"}) as r:
        assert r.status == 403
    async with http.post(url, data={"action": "ack", "csrf": token}, headers={"Origin": "https://evil.example"}) as r:
        assert r.status == 403 and "cross-site" in await r.text()
    assert room.store.get_incident(inc.id)[1].acked_at is None
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as viewer:
        await room.login(viewer, "vera")
        vtoken = await room.csrf(viewer)
        async with viewer.post(url, data={"action": "ack", "csrf": vtoken}) as r:
            assert r.status == 403 and "vera is a viewer" in await r.text()
    async with http.post(url, data={"action": "ack", "csrf": token}, allow_redirects=False,
                         headers={"Origin": room.base}) as r:
        assert r.status == 303
    assert room.store.get_incident(inc.id)[1].acked_by == "alice"
    (entry,) = [a for a in room.audit(inc.id) if a["action"] == "ack"]
    assert entry["channel"] == "console" and entry["detail"]["ok"] is True  # as Slack's buttons audit it


async def test_a_rebinding_host_is_refused(room: Room, http) -> None:
    await room.login(http, "alice")
    async with http.get(room.base + "/", headers={"Host": "attacker.example"}) as r:
        assert r.status == 421


async def test_sign_out_ends_the_session(room: Room, http) -> None:
    await room.login(http, "alice")
    token = await room.csrf(http)
    sid = next(c.value for c in http.cookie_jar if c.key == "bm_console")
    async with http.post(room.base + "/console/logout", data={"csrf": token}, allow_redirects=False) as r:
        assert r.status == 303
    assert [a["action"] for a in room.audit()] == ["sign_in", "sign_out"]
    async with aiohttp.ClientSession(cookies={"bm_console": sid}) as replay, \
            replay.get(room.base + "/", allow_redirects=False) as r:  # the old cookie is dead
        assert r.status == 303


def test_sessions_expire_by_age_idleness_and_disabling(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    accounts = Accounts(store)
    accounts.add("alice", "responder", PASSWORD, T0)
    ttl, idle = timedelta(hours=12), timedelta(hours=2)
    sid = accounts.open_session("alice", T0, ttl)
    assert accounts.session(sid, T0 + timedelta(hours=1), idle).name == "alice"
    assert accounts.session(sid, T0 + timedelta(hours=2, minutes=30), idle).name == "alice"  # touched at 1 h
    assert accounts.session(sid, T0 + timedelta(hours=4, minutes=31), idle) is None  # idle for 2 h 1 m
    sid = accounts.open_session("alice", T0, ttl)
    for h in range(1, 12):
        assert accounts.session(sid, T0 + timedelta(hours=h), idle) is not None
    assert accounts.session(sid, T0 + ttl, idle) is None  # never past its lifetime, however busy
    sid = accounts.open_session("alice", T0, ttl)
    assert sid not in {r[0] for r in store.query("SELECT id_hash FROM console_sessions")}  # only its hash is kept
    accounts.disable("alice", T0)
    assert accounts.session(sid, T0, idle) is None and accounts.check("alice", PASSWORD) is None
    assert store.query("SELECT COUNT(*) FROM console_sessions WHERE name='alice'")[0][0] == 0


def test_passwords_are_salted_scrypt_hashes() -> None:
    a, b = hash_password(PASSWORD), hash_password(PASSWORD)
    assert a.startswith("scrypt$16384$8$1$") and a != b and PASSWORD not in a
    assert verify_password(PASSWORD, a) and not verify_password(PASSWORD + "x", a)
    for broken in (None, "", "scrypt$1$2", "md5$x$y$z$a$b", "scrypt$16384$8$1$!!$!!"):
        assert not verify_password(PASSWORD, broken)


def test_accounts_refuse_bad_names_roles_and_short_passwords(tmp_path: Path) -> None:
    accounts = Accounts(Store(tmp_path / "s.db"))
    for name, role, pw, message in (("", "viewer", PASSWORD, "a name must be"),
                                    ("a\nb", "viewer", PASSWORD, "a name must be"),
                                    ("bob", "root", PASSWORD, "unknown role 'root'"),
                                    ("bob", "viewer", "short", "a password must be 8-1024 characters")):
        try:
            accounts.add(name, role, pw, T0)
        except ActionError as exc:
            assert message in str(exc)
        else:
            raise AssertionError(f"{name!r} {role!r} was accepted")


def test_the_limiter_forgets_after_its_window() -> None:
    limits = LoginLimiter(2, timedelta(minutes=15))
    limits.fail(["addr:1"], T0)
    limits.fail(["addr:1"], T0 + timedelta(minutes=1))
    assert limits.blocked(["addr:1"], T0 + timedelta(minutes=2))
    assert not limits.blocked(["addr:2"], T0 + timedelta(minutes=2))
    assert not limits.blocked(["addr:1"], T0 + timedelta(minutes=16, seconds=1))


async def test_a_console_switched_off_serves_nothing(tmp_path: Path) -> None:
    room = await start_room(tmp_path, "enabled: false")
    try:
        async with aiohttp.ClientSession() as http:
            for path in ("/", "/console/login", "/console/history"):
                async with http.get(room.base + path, allow_redirects=False) as r:
                    assert r.status == 404, path
            async with http.get(room.base + "/healthz") as r:  # the API is unaffected
                assert r.status in (200, 503)
    finally:
        await room.svc.shutdown()
