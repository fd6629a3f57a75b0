"""Microsoft Teams: Adaptive Card (Workflows) and MessageCard (legacy connector) as received."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from monitor.alerts.notifiers.httpbase import dumps
from monitor.alerts.render import ZWSP
from monitor.errors import NotifyError

from ..conftest import EXAMPLES, red_evidence
from .fakes import HookServer


async def test_adaptive_card_as_received(hook: HookServer, make_notifier: Any, make_alert: Any) -> None:
    hook.reply(202, "")
    await make_notifier("teams", url=hook.url("/workflows/abc")).send(make_alert("red", "escalated"))
    body = hook.requests[0].json()
    assert body["type"] == "message"
    [att] = body["attachments"]
    assert att["contentType"] == "application/vnd.microsoft.card.adaptive" and att["contentUrl"] is None
    card = att["content"]
    assert (card["type"], card["version"], card["$schema"]) == (
        "AdaptiveCard", "1.4", "http://adaptivecards.io/schemas/adaptive-card.json")
    assert card["msteams"] == {"width": "Full"}
    head, notice, facts, *secs, footer = card["body"]
    assert head == {"type": "TextBlock", "weight": "Bolder", "size": "Medium", "wrap": True, "color": "attention",
                    "text": "[RED] Acme — incident INC-acme-20260301-1 escalated: brand is trending on weibo_hot (#3)"}
    assert notice["text"].startswith("The incident is now red")
    assert facts["type"] == "FactSet" and facts["facts"][0] == {"title": "Level", "value": "RED"}
    assert [s["text"].split("\n", 1)[0] for s in secs] == [
        "**Why**", "**Example posts**", "**Playbook: Red — executives decide**", "**Tasks**", "**Holding statement**",
        "**Brief first**", "**Follow-up plan (3-7-21)**"]
    assert secs[1]["text"].splitlines()[2] == ("- [weibo](https://weibo.com/123/w1) · 小王 · 2026-03-01 07:48 UTC · "
                                               "41 reposts · key weibo:w1: “ACME 电池 起火了!!! 我的手机充电时冒烟”")
    assert secs[4]["text"].split("\n\n")[1] == "Statement from Acme, 2026-03-01."
    assert footer["isSubtle"] and footer["text"] == "Brand Monitor · notification INC-acme-20260301-1#3"


async def test_message_card_for_legacy_connectors(hook: HookServer, make_notifier: Any, make_alert: Any) -> None:
    hook.reply(200, "1")
    await make_notifier("teams", url=hook.url(), format="messagecard").send(make_alert("yellow", "opened"))
    body = hook.requests[0].json()
    assert (body["@type"], body["@context"], body["themeColor"]) == (
        "MessageCard", "https://schema.org/extensions", "F9A825")
    assert body["title"] == body["summary"] == ("[YELLOW] Acme — incident INC-acme-20260301-1 opened: brand is "
                                                "trending on weibo_hot (#3)")
    assert body["sections"][0]["facts"][0] == {"name": "Level", "value": "YELLOW"}
    assert body["sections"][-1] == {"text": "Brand Monitor · notification INC-acme-20260301-1#3"}


async def test_mentions_and_links_from_posts_stay_inert(hook: HookServer, make_notifier: Any,
                                                        make_alert: Any) -> None:
    evil = dataclasses.replace(EXAMPLES[0], text="<at>General</at> [login](https://evil.example) @everyone")
    await make_notifier("teams", url=hook.url()).send(make_alert(evidence=red_evidence(examples=(evil,))))
    raw = hook.requests[0].body.decode()
    assert "<at>" not in raw and "](https://evil" not in raw and "@everyone" not in raw
    assert f"<{ZWSP}at>General<{ZWSP}/at>" in raw


async def test_card_stays_under_the_payload_limit(hook: HookServer, make_notifier: Any, make_alert: Any) -> None:
    alert = make_alert()
    alert = dataclasses.replace(alert, playbook=dataclasses.replace(alert.playbook, statement="很长的声明。" * 6000))
    await make_notifier("teams", url=hook.url()).send(alert)
    req = hook.requests[0]
    assert len(req.body) <= 27_000
    body = req.json()["attachments"][0]["content"]["body"]
    assert body[-1]["text"] == "Brand Monitor · notification INC-acme-20260301-1#3"
    assert len(dumps(req.json())) == len(req.body)


@pytest.mark.parametrize(("status", "text", "retryable"), [
    (200, "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429 with "
          "ContextId tcid=0", True),
    (200, "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 413 with "
          "ContextId tcid=0", False),
    (400, "Bad payload received by generic incoming webhook.", False),
    (404, "", False),
    (502, "", True),
])
async def test_error_mapping(status: int, text: str, retryable: bool, hook: HookServer, make_notifier: Any,
                             make_alert: Any) -> None:
    hook.reply(status, text)
    with pytest.raises(NotifyError) as exc:
        await make_notifier("teams", url=hook.url()).send(make_alert())
    assert exc.value.retryable is retryable and str(exc.value).startswith("teams notifier 'teams': HTTP ")
