"""``wecom``: WeCom (企业微信) group robot, markdown message.

Body: ``{"msgtype": "markdown", "markdown": {"content": ...}}`` POSTed to
``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...``; the content may be at most
4096 bytes of UTF-8, so example posts are dropped first, then trailing sections (the footer is
kept) until it fits: the playbook and statement matter more than illustrations.
The headline is coloured with WeCom's ``<font color="warning|info|comment">``; user text is
escaped so ``<@userid>`` and ``@all`` from a post stay text. WeCom answers 200 with
``{"errcode": 0}``; -1 (busy) and 45009 (rate limited) are retryable, others (93000
invalid webhook key, 40058 bad content) are not.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from monitor.alerts.notifiers.base import register_notifier
from monitor.alerts.notifiers.httpbase import HttpNotifier, HttpNotifierConfig, dumps
from monitor.alerts.notifiers.trim import fewer_examples_first
from monitor.alerts.render import EXAMPLES, build_view, escape_markdown, fit_parts, markdown_parts, utf8_len
from monitor.models import Alert

MAX_BYTES = 4096
RETRYABLE_CODES = {-1, 45009}
HINTS = {93000: "the webhook key in url is invalid or the robot was removed from the group"}
FONT = {"RED": "warning", "YELLOW": "warning", "BLIND SPOT": "warning", "ALL CLEAR": "info", "RECOVERED": "info",
        "BLUE": "comment"}


class WeComConfig(HttpNotifierConfig):
    """Post alerts to a WeCom group through a group robot."""

    kind: Literal["wecom"] = "wecom"
    max_examples: int = Field(default=EXAMPLES, ge=0, le=10, description="example posts shown per alert")


def _parts(alert: Alert, max_examples: int) -> list[str]:
    view = build_view(alert, max_examples=max_examples)
    parts = markdown_parts(view)
    parts[0] = f'<font color="{FONT.get(view.tag, "comment")}">**{escape_markdown(view.headline)}**</font>'
    return parts


def wecom_payload(alert: Alert, max_examples: int = EXAMPLES) -> dict[str, Any]:
    parts = fewer_examples_first(lambda n: _parts(alert, n), lambda p: utf8_len("\n\n".join(p)) <= MAX_BYTES,
                                 max_examples)
    content = fit_parts(parts[:-1], MAX_BYTES, tail=parts[-1], measure=utf8_len)
    return {"msgtype": "markdown", "markdown": {"content": content}}


@register_notifier
class WeComNotifier(HttpNotifier[WeComConfig]):
    """WeCom group robot: markdown message within WeCom's 4096-byte limit."""

    kind: ClassVar[str] = "wecom"

    async def send(self, alert: Alert) -> None:
        reply = await self.post(dumps(wecom_payload(alert, self.config.max_examples)))
        self.check_code(reply, RETRYABLE_CODES, HINTS)
