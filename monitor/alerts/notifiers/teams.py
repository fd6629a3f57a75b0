"""``teams``: Microsoft Teams incoming webhook (Workflows) with an Adaptive Card, or a
legacy connector MessageCard.

Workflows ("Post to a channel when a webhook request is received") take
``{"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
"content": <AdaptiveCard 1.4>}]}`` and answer 202; legacy Office 365 connectors take a
MessageCard and answer 200 ``1`` — or 200 with "Webhook message delivery failed ... HTTP
error NNN" in the body, which is mapped like status NNN. Text goes through the chat
Markdown escaping (``<at>``, ``@``, ``[x](y)`` neutralised). Cards stay under Teams' 28 KB
payload limit by dropping trailing sections.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import Field

from monitor.alerts.notifiers.base import register_notifier
from monitor.alerts.notifiers.httpbase import HttpNotifier, HttpNotifierConfig, Reply, dumps
from monitor.alerts.render import EXAMPLES, MARKDOWN, AlertView, Section, build_view, escape_markdown, sections
from monitor.models import Alert

MAX_BYTES = 27_000
ADAPTIVE_COLORS = {"RED": "attention", "BLIND SPOT": "attention", "YELLOW": "warning", "BLUE": "accent",
                   "ALL CLEAR": "good", "RECOVERED": "good"}
_LEGACY_FAIL = re.compile(r"returned HTTP error (\d{3})")


class TeamsConfig(HttpNotifierConfig):
    """Post alerts to a Microsoft Teams channel."""

    kind: Literal["teams"] = "teams"
    format: Literal["adaptive", "messagecard"] = Field(
        default="adaptive", description="adaptive (Workflows webhook) or messagecard (legacy connector)")
    max_examples: int = Field(default=EXAMPLES, ge=0, le=10, description="example posts shown per alert")


def _section_text(s: Section) -> str:
    sep = "\n" if s.lines and all(line.startswith(MARKDOWN.bullet) for line in s.lines) else "\n\n"
    return s.title + "\n\n" + sep.join(s.lines) if s.lines else s.title


def _fit(items: list[Any], build: Any) -> dict[str, Any]:
    """Drop trailing body items (keeping the last, the footer) until the payload fits."""
    payload = build(items)
    while len(dumps(payload)) > MAX_BYTES and len(items) > 4:
        items = [*items[:-2], items[-1]]
        payload = build(items)
    return payload


def adaptive_payload(view: AlertView) -> dict[str, Any]:
    esc = escape_markdown
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": esc(view.headline), "weight": "Bolder", "size": "Medium", "wrap": True,
         "color": ADAPTIVE_COLORS.get(view.tag, "default")},
        {"type": "TextBlock", "text": esc(view.notice), "wrap": True},
        {"type": "FactSet", "facts": [{"title": esc(k), "value": esc(v)} for k, v in view.facts]},
        *({"type": "TextBlock", "text": _section_text(s), "wrap": True, "separator": True}
          for s in sections(view, MARKDOWN)),
        {"type": "TextBlock", "text": esc(view.footer), "isSubtle": True, "size": "Small", "wrap": True},
    ]

    def build(items: list[dict[str, Any]]) -> dict[str, Any]:
        card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                "version": "1.4", "msteams": {"width": "Full"}, "body": items}
        return {"type": "message", "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}

    return _fit(body, build)


def messagecard_payload(view: AlertView) -> dict[str, Any]:
    esc = escape_markdown
    items: list[dict[str, Any]] = [
        {"facts": [{"name": esc(k), "value": esc(v)} for k, v in view.facts]},
        *({"text": _section_text(s)} for s in sections(view, MARKDOWN)),
        {"text": esc(view.footer)},
    ]

    def build(secs: list[dict[str, Any]]) -> dict[str, Any]:
        return {"@type": "MessageCard", "@context": "https://schema.org/extensions",
                "themeColor": view.color.lstrip("#"), "summary": esc(view.headline), "title": esc(view.headline),
                "text": esc(view.notice), "sections": secs}

    return _fit(items, build)


def teams_payload(alert: Alert, config: TeamsConfig) -> dict[str, Any]:
    view = build_view(alert, max_examples=config.max_examples)
    return adaptive_payload(view) if config.format == "adaptive" else messagecard_payload(view)


@register_notifier
class TeamsNotifier(HttpNotifier[TeamsConfig]):
    """Microsoft Teams webhook: Adaptive Card (Workflows) or MessageCard (legacy connector)."""

    kind: ClassVar[str] = "teams"

    async def send(self, alert: Alert) -> None:
        reply = await self.post(dumps(teams_payload(alert, self.config)))
        if not 200 <= reply.status < 300:
            raise self.status_error(reply)
        failed = _LEGACY_FAIL.search(reply.text) if "fail" in reply.text.lower() else None
        if failed:  # legacy connectors report Teams' own failure inside a 200
            raise self.status_error(Reply(int(failed.group(1)), reply.text, reply.headers))
