"""``dingtalk``: DingTalk custom robot, markdown message, optionally signed.

Body: ``{"msgtype": "markdown", "markdown": {"title", "text"}, "at": {"isAtAll": false}}``
POSTed to ``https://oapi.dingtalk.com/robot/send?access_token=...``. With a ``secret`` (the
robot's "加签" setting) the query also carries ``timestamp`` (Unix milliseconds, from the
wall clock: DingTalk rejects times more than an hour off) and ``sign`` =
urlencode(base64(HMAC-SHA256 keyed with the secret over ``timestamp + "\\n" + secret``)).
DingTalk answers 200 with ``{"errcode": 0}``; -1 (busy), 130101 and 410100 (sending too
fast) are retryable, others (310000 security settings, 300001 bad token) are not. The
robot never @-mentions anyone, and user text is escaped so ``@所有人`` stays text.
"""

from __future__ import annotations

import base64
from typing import Any, ClassVar, Literal
from urllib.parse import quote_plus

from pydantic import Field, SecretStr

from monitor.alerts.notifiers.base import register_notifier
from monitor.alerts.notifiers.httpbase import HttpNotifier, HttpNotifierConfig, dumps, hmac_sha256
from monitor.alerts.notifiers.trim import fewer_examples_first
from monitor.alerts.render import EXAMPLES, build_view, escape_markdown, fit_parts, markdown_parts, truncate
from monitor.models import Alert

MAX_CHARS = 5000
RETRYABLE_CODES = {-1, 130101, 410100}
HINTS = {310000: "the robot's security settings refused it: signature/secret, IP allow-list, or a required "
                 "keyword (messages always contain 'Brand Monitor')",
         300001: "the access_token in url is invalid"}


class DingTalkConfig(HttpNotifierConfig):
    """Post alerts to a DingTalk group through a custom robot."""

    kind: Literal["dingtalk"] = "dingtalk"
    secret: SecretStr | None = Field(default=None, description="signing secret (SEC...) of the robot's 加签 setting")
    max_examples: int = Field(default=EXAMPLES, ge=0, le=10, description="example posts shown per alert")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The ``sign`` query value, already URL-encoded."""
    digest = hmac_sha256(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode())
    return quote_plus(base64.b64encode(digest).decode("ascii"))


def dingtalk_payload(alert: Alert, max_examples: int = EXAMPLES) -> dict[str, Any]:
    view, parts = fewer_examples_first(lambda n: (v := build_view(alert, max_examples=n), markdown_parts(v)),
                                       lambda vp: len("\n\n".join(vp[1])) <= MAX_CHARS, max_examples)
    text = fit_parts(parts[:-1], MAX_CHARS, tail=parts[-1])  # example posts went first, then trailing sections
    return {"msgtype": "markdown", "markdown": {"title": escape_markdown(truncate(view.headline, 100)), "text": text},
            "at": {"isAtAll": False}}


def signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


@register_notifier
class DingTalkNotifier(HttpNotifier[DingTalkConfig]):
    """DingTalk custom robot: markdown message, optional HMAC signature."""

    kind: ClassVar[str] = "dingtalk"

    async def send(self, alert: Alert) -> None:
        cfg = self.config
        url = cfg.url
        if cfg.secret is not None:
            url = signed_url(url, cfg.secret.get_secret_value(), int(self.wall_clock.now().timestamp() * 1000))
        reply = await self.post(dumps(dingtalk_payload(alert, cfg.max_examples)), url=url)
        self.check_code(reply, RETRYABLE_CODES, HINTS)
