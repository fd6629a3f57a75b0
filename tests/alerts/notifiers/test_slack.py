"""Slack: the Block Kit message as Slack receives it, its limits, escaping and error mapping."""

from __future__ import annotations

import dataclasses
from typing import Any

import aiohttp
import pytest

from monitor.alerts.notifiers.base import NotifierContext
from monitor.alerts.notifiers.slack import MAX_BLOCKS, SlackConfig, SlackNotifier, clip, fit_blocks
from monitor.clock import VirtualClock
from monitor.errors import NotifyError

from ..conftest import EXAMPLES, T0, red_evidence
from .fakes import HookServer, assert_slack_message


async def test_block_kit_message_as_received(hook: HookServer, make_notifier: Any, make_alert: Any) -> None:
    slack = make_notifier("slack", url=hook.url("/services/T0/B0/xyz"))
    await slack.send(make_alert("red", "escalated"))
    [req] = hook.requests
    assert (req.method, req.path) == ("POST", "/services/T0/B0/xyz")
    assert req.headers["Content-Type"] == "application/json; charset=utf-8"
    body = req.json()
    assert set(body) == {"text", "blocks"}
    assert_slack_message(body, level="red", transition="escalated", brand_name="Acme")
    blocks = body["blocks"]
    assert [b["type"] for b in blocks] == ["header", "section", "context", "divider", "section", "section", "section",
                                           "section", "divider", "section", "section", "section", "section", "section",
                                           "context"]
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": (
        "[RED] Acme — incident INC-acme-20260301-1 escalated: brand is trending on weibo_hot (#3)")}}
    assert blocks[1]["text"] == {"type": "mrkdwn", "verbatim": True, "text": (
        "The incident is now red: a new playbook applies. Owner: Chief Executive Officer. "
        "Acknowledge within 15m (by 2026-03-01 08:15 UTC).")}
    assert [f["text"] for f in blocks[1]["fields"]] == [
        "*Level*\nRED", "*Brand*\nAcme (acme)", "*Incident*\nINC-acme-20260301-1", "*Transition*\nescalated",
        "*Fired at*\n2026-03-01 08:00 UTC", "*Trigger*\nred.trending", "*Owner*\nChief Executive Officer"]
    why = [e["text"] for e in blocks[2]["elements"]]
    assert why[:3] == ["*Why*", "• Rule: the brand enters a trending list",
                       "• Observed: 1 trending entry — threshold: any — window: 60 min"]
    assert "• Negative posts by platform: weibo 9, reddit 4, twitter 2 (15 total)" in why
    assert blocks[4]["text"]["text"] == "*Example posts* (3)"
    assert blocks[5]["text"]["text"] == ("<https://weibo.com/123/w1|weibo> · 小王 · 2026-03-01 07:48 UTC · 41 reposts"
                                         " · key weibo:w1\n"
                                         ">ACME 电池 起火了!!! 我的手机充电时冒烟")
    assert blocks[9]["text"]["text"].startswith("*Playbook: Red — executives decide*\nOwner: Chief Executive Officer")
    assert blocks[10]["text"]["text"].splitlines()[:2] == [
        "*Tasks*", "• Executives: Decide the response line (apology, recall, suspension, spokesperson) — within 1h "
                   "(by 2026-03-01 09:00 UTC)"]
    assert blocks[11]["text"]["text"].splitlines()[:2] == ["*Holding statement*", ">Statement from Acme, 2026-03-01."]
    assert blocks[13]["text"]["text"].splitlines()[1] == (
        "• +3d (2026-03-04): Progress update from the CEO: findings and actions so far")
    assert blocks[-1]["elements"][0]["text"] == "Brand Monitor · notification INC-acme-20260301-1#3"
    assert body["text"] == ("[RED] Acme — incident INC-acme-20260301-1 escalated: brand is trending on weibo_hot (#3)\n"
                            "The incident is now red: a new playbook applies. Owner: Chief Executive Officer. "
                            "Acknowledge within 15m (by 2026-03-01 08:15 UTC).")


async def test_overrides_are_sent_only_when_set(hook: HookServer, make_notifier: Any, make_alert: Any) -> None:
    slack = make_notifier("slack", url=hook.url(), channel="#crisis", username="Brand Monitor",
                          icon_emoji=":rotating_light:", max_examples=1)
    await slack.send(make_alert())
    body = hook.requests[0].json()
    assert (body["channel"], body["username"], body["icon_emoji"]) == ("#crisis", "Brand Monitor", ":rotating_light:")
    assert "icon_url" not in body
    assert sum(1 for b in body["blocks"] if b.get("text", {}).get("text", "").startswith("<https://")) == 1


async def test_user_text_cannot_ping_or_fake_links(hook: HookServer, make_notifier: Any, make_alert: Any) -> None:
    evil = dataclasses.replace(EXAMPLES[0], text="<!channel> <!here> <@U123> <http://evil.example|your bank> @channel",
                               author="<@U999>", url="https://weibo.com/x|<!channel>")
    alert = make_alert(evidence=red_evidence(examples=(evil,), detail={"word": "<!everyone>", "rank": 1}),
                       reason="<!channel> trending")
    await make_notifier("slack", url=hook.url()).send(alert)
    raw = hook.requests[0].body.decode()
    body = hook.requests[0].json()
    assert_slack_message(body, level="red", transition="escalated", brand_name="Acme")
    mrkdwn = [t["text"] for b in body["blocks"] for t in ([b["text"]] if "text" in b and b["type"] != "header"
                                                          else []) + b.get("elements", []) + b.get("fields", [])]
    joined = "\n".join([body["text"], *mrkdwn])
    for bad in ("<!channel>", "<!here>", "<!everyone>", "<@U123>", "<@U999>", "<http://evil.example|"):
        assert bad not in joined, bad
    assert "&lt;http://evil.example|your bank&gt;" in joined
    assert "<https://weibo.com/x%7C%3C!channel%3E|weibo>" in joined  # the URL cannot close the link early
    assert "\\u" not in raw  # JSON sent as UTF-8, not escaped


async def test_block_kit_limits_are_kept(hook: HookServer, make_notifier: Any, make_alert: Any) -> None:
    alert = make_alert(reason="x " * 200)
    alert = dataclasses.replace(alert, playbook=dataclasses.replace(alert.playbook, statement="& " * 4000))
    await make_notifier("slack", url=hook.url()).send(alert)
    body = hook.requests[0].json()
    assert_slack_message(body, level="red", transition="escalated", brand_name="Acme")
    header = body["blocks"][0]["text"]["text"]
    assert len(header) <= 150 and header.endswith("…")
    statement = next(b["text"]["text"] for b in body["blocks"]
                     if b.get("text", {}).get("text", "").startswith("*Holding statement*"))
    assert len(statement) <= 3000 and statement.endswith("&amp;…")


def test_clip_never_cuts_an_entity_or_a_link() -> None:
    assert clip("abc", 10) == "abc"
    assert clip("a" * 6 + "&amp;b", 9) == "aaaaaa…"
    assert clip("ab <https://x.example/long|label> tail", 20) == "ab…"
    assert len(clip("y" * 5000, 3000)) == 3000


def test_fit_blocks_caps_at_50_and_keeps_the_footer() -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": str(i)}} for i in range(70)]
    fitted = fit_blocks(blocks)
    assert len(fitted) == MAX_BLOCKS
    assert fitted[-1] == blocks[-1] and fitted[-3] == blocks[47]
    assert fitted[-2]["elements"][0]["text"] == "… 21 more block(s) left out (Slack's limit)"
    assert fit_blocks(blocks[:50]) == blocks[:50]


@pytest.mark.parametrize(("status", "body", "retryable", "hint"), [
    (400, "invalid_payload", False, "Slack could not read the message"),
    (403, "action_prohibited", False, "a workspace admin restricts posting"),
    (404, "no_service", False, "the webhook URL was revoked or is wrong"),
    (404, "channel_not_found", False, "channel was deleted"),
    (410, "channel_is_archived", False, "the webhook's channel is archived"),
    (500, "rollup_error", True, ""),
    (503, "", True, ""),
])
async def test_error_answers_map_to_retry_or_not(status: int, body: str, retryable: bool, hint: str,
                                                 hook: HookServer, make_notifier: Any, make_alert: Any) -> None:
    hook.reply(status, body)
    with pytest.raises(NotifyError) as exc:
        await make_notifier("slack", name="crisis-room", url=hook.url()).send(make_alert())
    assert exc.value.retryable is retryable
    assert str(exc.value).startswith(f"slack notifier 'crisis-room': HTTP {status} from 127.0.0.1:{hook.port}")
    assert hint in str(exc.value)
    assert exc.value.retry_after is None


async def test_rate_limit_is_retryable_after_the_given_delay(hook: HookServer, make_notifier: Any,
                                                             make_alert: Any) -> None:
    hook.reply(429, "rate_limited", headers={"Retry-After": "30"})
    slack = make_notifier("slack", url=hook.url())
    with pytest.raises(NotifyError) as exc:
        await slack.send(make_alert())
    assert exc.value.retryable and exc.value.retry_after == 30
    await slack.send(make_alert())  # the next try goes through
    assert len(hook.requests) == 2


async def test_a_slow_slack_is_a_retryable_timeout(hook: HookServer, make_notifier: Any, make_alert: Any) -> None:
    hook.reply(200, "ok", delay=2)
    with pytest.raises(NotifyError) as exc:
        await make_notifier("slack", url=hook.url(), timeout="0.3s").send(make_alert())
    assert exc.value.retryable and "no answer from" in str(exc.value)


async def test_uses_the_shared_session_and_never_closes_it(hook: HookServer, make_alert: Any) -> None:
    async with aiohttp.ClientSession() as session:
        slack = SlackNotifier(SlackConfig(kind="slack", url=hook.url()),
                              NotifierContext(clock=VirtualClock(T0), session=session))
        await slack.send(make_alert())
        await slack.close()
        assert not session.closed
        await slack.send(make_alert())
    assert len(hook.requests) == 2


async def test_blind_spot_message(hook: HookServer, make_notifier: Any, blind_spot_alert: Any) -> None:
    await make_notifier("slack", url=hook.url()).send(blind_spot_alert)
    body = hook.requests[0].json()
    assert_slack_message(body, level="system", transition="blind_spot", brand_name="all brands")
    assert body["blocks"][0]["text"]["text"] == "[BLIND SPOT] no posts from weibo_hot for 45m — silence is not calm"
    assert not any(b["type"] == "divider" for b in body["blocks"])  # no examples, no playbook


async def test_a_long_why_fits_the_context_block(hook: HookServer, make_notifier: Any, make_alert: Any) -> None:
    detail = {"trend": {"word": "ACME 电池", "rank": 3, "source": "weibo_hot"}, "outlet": "reuters.com",
              "quote": {"symbol": "ACME", "price": 93.8, "prev_close": 100.0}, "also": ["yellow.news"]}
    alert = make_alert("red", "overdue", reason="red: not acknowledged within 15m",
                       evidence=red_evidence(detail=detail))
    await make_notifier("slack", url=hook.url()).send(alert)
    body = hook.requests[0].json()
    assert_slack_message(body, level="red", transition="overdue", brand_name="Acme")
    elements = [e["text"] for e in body["blocks"][2]["elements"]]
    assert len(elements) == 10 and elements[0] == "*Why*"
    assert elements[1] == "• not acknowledged within 15m"
    assert elements[-1].splitlines() == ["• Reposts of negative posts: 63",
                                         "• Top rules: acme-battery-fire (8), acme-quality (5), acme-service (2)",
                                         "• Top terms: battery, 电池, 起火, swelled"]
