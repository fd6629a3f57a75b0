"""``feishu``: Feishu / Lark custom bot with an interactive card, optionally signed.

Body: ``{"msg_type": "interactive", "card": {"header": {...}, "elements": [...]}}``; with a
``secret`` (the bot's "signature verification" setting) also ``timestamp`` (Unix seconds,
as a string) and ``sign`` = base64(HMAC-SHA256 keyed with ``timestamp + "\\n" + secret``
over an empty message). The timestamp must be within an hour of Feishu's clock, so it
comes from the wall clock even in a drill. Feishu answers HTTP 200 with ``{"code": 0}``
on success; a non-zero code is an error: 11232 (rate limited) is retryable, others
(19021 bad signature, 19022 IP not allowed, 19024 keyword missing, 9499 bad request) are
not. lark_md text is escaped so ``<at id=all></at>`` and links from posts stay inert.
"""

from __future__ import annotations

import base64
from typing import Any, ClassVar, Literal

from pydantic import Field, SecretStr

from monitor.alerts.notifiers.base import register_notifier
from monitor.alerts.notifiers.httpbase import HttpNotifier, HttpNotifierConfig, dumps, hmac_sha256
from monitor.alerts.notifiers.trim import fewer_examples_first
from monitor.alerts.render import EXAMPLES, MARKDOWN, AlertView, build_view, escape_markdown, sections
from monitor.models import Alert

MAX_BYTES = 20_000  # Feishu's documented limit on a bot request body (20 KB)
CARD_BYTES = MAX_BYTES - 256  # room for msg_type, timestamp and sign around the card
TEMPLATES = {"RED": "red", "YELLOW": "orange", "BLUE": "blue", "ALL CLEAR": "green", "RECOVERED": "green",
             "BLIND SPOT": "grey"}
RETRYABLE_CODES = {11232}
HINTS = {19021: "signature mismatch or clock skew: check secret and the server clock",
         19022: "this machine's IP is not on the bot's allow-list",
         19024: "the bot requires a keyword: add one the messages contain, e.g. 'Brand Monitor'"}


class FeishuConfig(HttpNotifierConfig):
    """Post alerts to a Feishu / Lark group through a custom bot."""

    kind: Literal["feishu"] = "feishu"
    secret: SecretStr | None = Field(default=None, description="signing secret of the bot's signature check")
    max_examples: int = Field(default=EXAMPLES, ge=0, le=10, description="example posts shown per alert")


def feishu_sign(secret: str, timestamp: int) -> str:
    return base64.b64encode(hmac_sha256(f"{timestamp}\n{secret}".encode(), b"")).decode("ascii")


def _md(text: str) -> dict[str, Any]:
    return {"tag": "lark_md", "content": text}


def feishu_card(view: AlertView, fit: bool = True) -> dict[str, Any]:
    esc = escape_markdown
    elements: list[dict[str, Any]] = [
        {"tag": "div", "text": _md(esc(view.notice))},
        {"tag": "div", "fields": [{"is_short": True, "text": _md(f"**{esc(k)}**\n{esc(v)}")} for k, v in view.facts]},
        {"tag": "hr"},
        *({"tag": "div", "text": _md(s.render())} for s in sections(view, MARKDOWN)),
        {"tag": "note", "elements": [{"tag": "plain_text", "content": esc(view.footer)}]},
    ]
    card = {"config": {"wide_screen_mode": True},
            "header": {"title": {"tag": "plain_text", "content": esc(view.headline)},
                       "template": TEMPLATES.get(view.tag, "grey")},
            "elements": elements}
    return fit_card(card) if fit else card


def fit_card(card: dict[str, Any]) -> dict[str, Any]:
    """Trailing sections dropped (the closing note kept) until the card is within CARD_BYTES."""
    elements = card["elements"]
    while len(dumps(card)) > CARD_BYTES and len(elements) > 4:
        del elements[-2]
    return card


def feishu_payload(alert: Alert, config: FeishuConfig, timestamp: int) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    if config.secret is not None:
        payload = {"timestamp": str(timestamp), "sign": feishu_sign(config.secret.get_secret_value(), timestamp)}
    card = fewer_examples_first(lambda n: feishu_card(build_view(alert, max_examples=n), fit=False),
                                lambda c: len(dumps(c)) <= CARD_BYTES, config.max_examples)
    payload.update(msg_type="interactive", card=fit_card(card))
    return payload


@register_notifier
class FeishuNotifier(HttpNotifier[FeishuConfig]):
    """Feishu / Lark custom bot: interactive card, optional signature."""

    kind: ClassVar[str] = "feishu"

    async def send(self, alert: Alert) -> None:
        timestamp = int(self.wall_clock.now().timestamp())
        reply = await self.post(dumps(feishu_payload(alert, self.config, timestamp)))
        self.check_code(reply, RETRYABLE_CODES, HINTS)
