"""Per-person tokens with roles, stored hashed; the shared token stays an admin; actors audited."""

from __future__ import annotations

from monitor.store_actions import hash_token

from .conftest import INCIDENTS, TOKEN, Daemon


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_roles_decide_and_the_person_is_the_actor(daemon: Daemon) -> None:
    now = daemon.svc.clock.now()
    viewer = daemon.actions.add_token("vic", "viewer", now)
    responder = daemon.actions.add_token("rita", "responder", now)
    admin = daemon.actions.add_token("ada", "admin", now)
    rows = daemon.store.query("SELECT token_hash FROM api_tokens")
    assert {r[0] for r in rows} == {hash_token(t) for t in (viewer, responder, admin)}  # only hashes kept
    assert not any(t in str(rows) for t in (viewer, responder, admin))
    blue = INCIDENTS["blue"]

    async with daemon.http.post(daemon.base + f"/incidents/{blue}/ack", json={}, headers=_auth(viewer)) as r:
        assert r.status == 403 and "vic is a viewer" in (await r.json())["error"]
    async with daemon.http.post(daemon.base + f"/incidents/{blue}/ack", json={"by": "someone-else"},
                                headers=_auth(responder)) as r:
        assert r.status == 200 and (await r.json())["acked_by"] == "rita"  # a person cannot pose as another
    async with daemon.http.post(daemon.base + "/-/reload", json={}, headers=_auth(responder)) as r:
        assert r.status == 403
    daemon.tick()
    async with daemon.http.post(daemon.base + "/-/reload", json={}, headers=_auth(admin)) as r:
        assert r.status in (200, 409)
    daemon.tick()
    async with daemon.http.post(daemon.base + f"/incidents/{INCIDENTS['yellow']}/resolve", json={"by": "lee"},
                                headers=_auth(TOKEN)) as r:
        assert r.status == 200  # the shared token is an admin and names nobody: 'by' is kept
    daemon.actions.revoke_tokens("rita", now)
    async with daemon.http.post(daemon.base + f"/incidents/{INCIDENTS['red']}/ack", json={},
                                headers=_auth(responder)) as r:
        assert r.status == 401
    log = [(e["actor"], e["channel"], e["action"], e["incident_id"]) for e in daemon.actions.audit_log()]
    assert log == [("rita", "api", "ack", blue), ("ada", "api", "reload", None),
                   ("lee", "api", "resolve", INCIDENTS["yellow"])]
