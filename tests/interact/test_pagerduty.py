"""Signed PagerDuty webhooks (v3) acknowledge and resolve our incident; bad signatures and replays do nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from monitor.clock import VirtualClock
from monitor.config import load_config
from monitor.models import Incident
from monitor.service import Service
from monitor.store_actions import ActionStore
from tests.support import WordScorer, write_config

from .conftest import NOW

SECRET = "pd-webhook-secret"
INC = "acme-20260301-080000"


@pytest.fixture
async def pd_daemon(tmp_path: Path) -> AsyncIterator[tuple[Service, str]]:
    cfg = write_config(tmp_path, f"""\
        store: {{path: state.db}}
        playbooks: @PLAYBOOKS@
        server: {{port: 0}}
        runtime: {{drain_timeout: 1s}}
        notifiers:
          - kind: pagerduty
            routing_key: R0UTE
            api_url: http://127.0.0.1:9/v2/enqueue
            webhook_secret: {SECRET}
        """)
    svc = Service(load_config(cfg), VirtualClock(NOW), scorer=WordScorer())  # nonces are kept by its time
    await svc.start()
    assert svc.rt is not None
    now = svc.clock.now()
    svc.rt.store.save_incident("acme", Incident(id=INC, brand="acme", category=None, level="red", status="open",
                                                opened_at=now, level_since=now, last_signal_at=now))
    try:
        yield svc, f"http://127.0.0.1:{svc.port}/pagerduty/webhook"
    finally:
        await svc.shutdown()


def event(kind: str, event_id: str, who: str = "Pat Oncall") -> bytes:
    return json.dumps({"event": {"id": event_id, "event_type": kind, "resource_type": "incident",
                                 "occurred_at": "2026-03-01T08:05:00Z",
                                 "agent": {"id": "PUSER", "summary": who, "type": "user_reference"},
                                 "data": {"id": "Q0PD", "type": "incident", "incident_key": INC,
                                          "status": kind.split(".")[1]}}}).encode()


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    sig = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-PagerDuty-Signature": f"v1=00ff,v1={sig}", "Content-Type": "application/json"}


async def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as http, http.post(url, data=body, headers=headers) as r:
        return r.status


async def test_acknowledge_then_resolve_from_pagerduty(pd_daemon: tuple[Service, str]) -> None:
    svc, url = pd_daemon
    assert svc.rt is not None
    assert await post(url, b := event("incident.acknowledged", "E1"), signed(b)) == 200
    found = svc.rt.store.get_incident(INC)
    assert found is not None and found[1].acked_by == "Pat Oncall"
    svc.clock.set(NOW + timedelta(minutes=5))  # type: ignore[attr-defined]  (the virtual clock: Sam acts later)
    assert await post(url, b := event("incident.resolved", "E2", "Sam"), signed(b)) == 200
    found = svc.rt.store.get_incident(INC)
    assert found is not None and (found[1].status, found[1].resolved_by) == ("resolved", "Sam")
    log = [(e["actor"], e["channel"], e["action"]) for e in ActionStore(svc.rt.store).audit_log(INC)]
    assert log == [("Pat Oncall", "pagerduty", "ack"), ("Sam", "pagerduty", "resolve")]


async def test_bad_signature_and_replay_are_refused(pd_daemon: tuple[Service, str]) -> None:
    svc, url = pd_daemon
    assert svc.rt is not None
    b = event("incident.acknowledged", "E9")
    assert await post(url, b, signed(b, "wrong")) == 401
    assert await post(url, b, {"Content-Type": "application/json"}) == 401
    found = svc.rt.store.get_incident(INC)
    assert found is not None and found[1].acked_at is None
    assert await post(url, b, signed(b)) == 200
    assert await post(url, b, signed(b)) == 401  # the same event again
    assert len(ActionStore(svc.rt.store).audit_log(INC)) == 1
