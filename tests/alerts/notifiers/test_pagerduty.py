"""The pagerduty notifier against a local Events API v2: trigger, acknowledge, resolve, one dedup key."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from monitor.errors import NotifyError

from .fakes import HookServer


async def test_one_dedup_key_from_trigger_to_resolve(hook: HookServer, make_notifier: Any, make_alert: Any) -> None:
    hook.default.status, hook.default.body = 202, '{"status":"success","dedup_key":"x"}'
    pd = make_notifier("pagerduty", routing_key="R0UTE", api_url=hook.url("/v2/enqueue"),
                       console_url="https://monitor.acme.example/")
    sequence = [make_alert("yellow", "opened"), make_alert("red", "escalated"),
                dataclasses.replace(make_alert("red", "acknowledged"), acked_by="alice"),
                make_alert("red", "resolved")]
    for alert in sequence:
        await pd.send(alert)
    events = [r.json() for r in hook.requests]
    assert [r.path for r in hook.requests] == ["/v2/enqueue"] * 4
    assert [e["event_action"] for e in events] == ["trigger", "trigger", "acknowledge", "resolve"]
    assert {e["dedup_key"] for e in events} == {sequence[0].incident_id}
    assert {e["routing_key"] for e in events} == {"R0UTE"}
    assert [e["payload"]["severity"] for e in events[:2]] == ["error", "critical"]
    assert events[1]["payload"]["source"] == "brand-monitor" and events[1]["payload"]["component"] == "acme"
    assert events[1]["links"] == [{"href": "https://monitor.acme.example/incidents",
                                   "text": f"Incident {sequence[0].incident_id} in Brand Monitor"}]
    assert events[2] == {"routing_key": "R0UTE", "event_action": "acknowledge",
                         "dedup_key": sequence[0].incident_id}


@pytest.mark.parametrize(("status", "retryable"), [(400, False), (429, True), (500, True)])
async def test_failures_map_to_retry_or_not(hook: HookServer, make_notifier: Any, make_alert: Any, status: int,
                                            retryable: bool) -> None:
    hook.reply(status, {"status": "invalid event", "message": "Event object is invalid"})
    pd = make_notifier("pagerduty", routing_key="R0UTE", api_url=hook.url("/v2/enqueue"))
    with pytest.raises(NotifyError) as exc:
        await pd.send(make_alert("red", "opened"))
    assert exc.value.retryable is retryable
    if status == 400:
        assert "check routing_key" in str(exc.value)
