"""Generic webhook: the v1 JSON contract as received, the HMAC signature, headers, errors."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from monitor.alerts.notifiers.webhook import SCHEMA, notification_json
from monitor.errors import NotifyError

from ..conftest import T0
from .fakes import HookServer

TOP_KEYS = {"schema", "id", "incident_id", "brand", "brand_name", "category", "level", "transition", "ts",
            "escalation_step", "acked_by", "headline", "reason", "evidence", "playbook"}


async def test_notification_json_as_received(hook: HookServer, make_notifier: Any, make_alert: Any) -> None:
    await make_notifier("webhook", url=hook.url("/in")).send(make_alert("red", "escalated"))
    [req] = hook.requests
    assert req.headers["Content-Type"] == "application/json; charset=utf-8"
    assert req.headers["X-Brand-Monitor-Id"] == "INC-acme-20260301-1#3"
    assert req.headers["X-Brand-Monitor-Event"] == "escalated"
    assert "X-Brand-Monitor-Signature-256" not in req.headers
    doc = req.json()
    assert set(doc) == TOP_KEYS
    assert {k: doc[k] for k in TOP_KEYS - {"evidence", "playbook"}} == {
        "schema": "brand-monitor.notification/v1", "id": "INC-acme-20260301-1#3",
        "incident_id": "INC-acme-20260301-1", "brand": "acme", "brand_name": "Acme", "category": None,
        "level": "red", "transition": "escalated", "ts": "2026-03-01T08:00:00Z", "escalation_step": 0,
        "acked_by": None, "reason": "brand is trending on weibo_hot (#3)",
        "headline": "[RED] Acme — incident INC-acme-20260301-1 escalated: brand is trending on weibo_hot (#3)"}
    ev = doc["evidence"]
    assert {k: ev[k] for k in ("trigger", "observed", "threshold", "window_minutes", "reposts", "negative_posts")} == {
        "trigger": "red.trending", "observed": 1, "threshold": 0, "window_minutes": 60, "reposts": 63,
        "negative_posts": 15}
    assert ev["platforms"] == {"weibo": 9, "reddit": 4, "twitter": 2}
    assert ev["detail"] == {"word": "ACME 电池", "rank": 3, "source": "weibo_hot"}
    assert len(ev["examples"]) == 4  # all the evidence; display limits are the renderers' business
    assert ev["examples"][0] == {
        "source": "weibo", "id": "w1", "ts": "2026-03-01T07:48:00Z", "text": "ACME 电池 起火了!!! 我的手机充电时冒烟",
        "url": "https://weibo.com/123/w1", "author": "小王", "kind": "social", "outlet": None, "reposts": 41,
        "score": 0.97, "rules": ["acme-battery-fire"], "terms": ["电池", "起火"]}
    pb = doc["playbook"]
    assert (pb["id"], pb["level"], pb["owner"], pb["ack_deadline"], pb["ack_due"]) == (
        "red", "red", "Chief Executive Officer", "15m", "2026-03-01T08:15:00Z")
    assert pb["tasks"][1] == {"role": "PR", "task": "Holding statement out within the hour; press conference plan "
                              "ready", "deadline": "1h", "due": "2026-03-01T09:00:00Z"}
    assert pb["statement"].startswith("Statement from Acme, 2026-03-01.")
    assert pb["media_list"][0] == {"outlet": "Reuters", "contact": "newsdesk contact in the media CRM",
                                   "note": "market-moving: brief together with investor relations"}
    assert [f["after"] for f in pb["follow_up"]] == ["3d", "21d", "7w"]  # in the order they fall due
    assert pb["follow_up"][0]["due"] == "2026-03-04T08:00:00Z"


async def test_signature_is_hmac_sha256_of_the_exact_body(hook: HookServer, make_notifier: Any,
                                                          make_alert: Any) -> None:
    hook_ = make_notifier("webhook", url=hook.url(), secret="s3cret", headers={"Authorization": "Bearer t0k"})
    await hook_.send(make_alert())
    req = hook.requests[0]
    expected = "sha256=" + hmac.new(b"s3cret", req.body, hashlib.sha256).hexdigest()
    assert req.headers["X-Brand-Monitor-Signature-256"] == expected
    assert req.headers["Authorization"] == "Bearer t0k"
    tampered = req.body.replace(b'"red"', b'"blue"')
    assert "sha256=" + hmac.new(b"s3cret", tampered, hashlib.sha256).hexdigest() != expected


async def test_custom_signature_header(hook: HookServer, make_notifier: Any, make_alert: Any) -> None:
    await make_notifier("webhook", url=hook.url(), secret="k", signature_header="X-Hub-Signature-256").send(
        make_alert())
    assert hook.requests[0].headers["X-Hub-Signature-256"].startswith("sha256=")


def test_blind_spot_and_acknowledged_documents(blind_spot_alert: Any, make_alert: Any) -> None:
    doc = notification_json(blind_spot_alert)
    assert doc["schema"] == SCHEMA and doc["playbook"] is None and doc["transition"] == "blind_spot"
    assert doc["evidence"]["detail"]["silent_for_minutes"] == 45 and doc["brand"] == "*"
    ack = notification_json(make_alert("red", "acknowledged", acked_by="maria", evidence=None))
    assert ack["evidence"] is None and ack["acked_by"] == "maria"
    json.dumps(doc)  # plain JSON all the way down


def test_detail_values_become_plain_json(make_alert: Any) -> None:
    from ..conftest import red_evidence

    ev = red_evidence(detail={"trend": {"ts": T0, "word": "x"}, "also": ("yellow.reposts",), "n": object()})
    detail = notification_json(make_alert(evidence=ev))["evidence"]["detail"]
    assert detail["trend"] == {"ts": "2026-03-01T08:00:00Z", "word": "x"} and detail["also"] == ["yellow.reposts"]
    assert isinstance(detail["n"], str)


def test_headers_with_line_breaks_are_rejected() -> None:
    from pydantic import ValidationError

    from monitor.alerts.notifiers.webhook import WebhookConfig

    with pytest.raises(ValidationError, match="names need no colon and no header may contain a line break"):
        WebhookConfig.model_validate({"kind": "webhook", "url": "https://x.example", "headers": {"X-A": "1\r\nX-B: 2"}})
    with pytest.raises(ValidationError, match="url must be an http:// or https:// URL"):
        WebhookConfig.model_validate({"kind": "webhook", "url": "ftp://x.example"})


@pytest.mark.parametrize(("status", "retryable"), [(400, False), (401, False), (403, False), (404, False),
                                                   (408, True), (429, True), (500, True), (502, True), (503, True)])
async def test_status_mapping(status: int, retryable: bool, hook: HookServer, make_notifier: Any,
                              make_alert: Any) -> None:
    hook.reply(status, "nope", headers={"Retry-After": "12"})
    with pytest.raises(NotifyError) as exc:
        await make_notifier("webhook", url=hook.url()).send(make_alert())
    assert exc.value.retryable is retryable
    assert exc.value.retry_after == (12 if retryable else None)
    assert f"HTTP {status} from 127.0.0.1:{hook.port}: nope" in str(exc.value)


async def test_any_2xx_is_delivered_and_redirects_are_not_followed(hook: HookServer, make_notifier: Any,
                                                                  make_alert: Any) -> None:
    hook.reply(204, "")
    hook.reply(302, "", headers={"Location": "https://elsewhere.example/"})
    notifier = make_notifier("webhook", url=hook.url())
    await notifier.send(make_alert())
    with pytest.raises(NotifyError) as exc:
        await notifier.send(make_alert())
    assert not exc.value.retryable and "HTTP 302" in str(exc.value)
