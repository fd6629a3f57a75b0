"""``slack``: Slack incoming webhook with Block Kit and a plain-text fallback.

Layout: a header (the headline), a section with the notice and the key facts as fields,
a context block with the why, one section per example post, then the playbook (owner
and deadline, tasks, holding statement, media list, 3-7-21 follow-up) and a footer.
Every mrkdwn string is escaped (``& < >``) and marked ``verbatim`` so user text cannot
ping ``<!channel>`` or fake a ``<url|label>`` link; Block Kit limits (50 blocks, 3000
characters per text, 150 per header, 10 fields, 10 context elements) are respected by
cutting cleanly, never mid-entity.

Delivery is at least once. The outbox records each send before it starts; a send that a
crash (or a timeout after Slack already posted) cuts off is sent again at the next start,
and an incoming webhook offers no idempotency key, so each crash can show at most one
message twice in the channel (only one send per channel is ever in flight). Nothing is lost.

Slack answers ``200 ok``; ``400 invalid_payload``, ``403 action_prohibited``,
``404 no_service`` / ``channel_not_found`` and ``410 channel_is_archived`` cannot be
fixed by retrying; 429 (with ``Retry-After``) and 5xx can.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from monitor.alerts.notifiers.base import register_notifier
from monitor.alerts.notifiers.httpbase import HttpNotifier, HttpNotifierConfig, dumps
from monitor.alerts.render import (
    EXAMPLES,
    SLACK,
    AlertView,
    ExampleView,
    build_view,
    escape_slack,
    example_source,
    relabel_key,
    sections,
    truncate,
)
from monitor.models import Alert

MAX_BLOCKS = 50
MAX_TEXT = 3000
MAX_HEADER = 150
MAX_FIELD = 2000
MAX_ELEMENTS = 10

HINTS = {
    "invalid_payload": "Slack could not read the message; please report this as a bug",
    "no_service": "the webhook URL was revoked or is wrong; create a new incoming webhook",
    "no_team": "the workspace of this webhook no longer exists",
    "channel_not_found": "the webhook's channel was deleted or the channel override is wrong",
    "channel_is_archived": "the webhook's channel is archived; unarchive it or use another webhook",
    "action_prohibited": "a workspace admin restricts posting with this webhook",
    "invalid_token": "the webhook URL's token is invalid; create a new incoming webhook",
    "user_not_found": "the channel override names a user that does not exist",
}


class SlackConfig(HttpNotifierConfig):
    """Post alerts to a Slack channel through an incoming webhook."""

    kind: Literal["slack"] = "slack"
    channel: str | None = Field(default=None, description="channel override (legacy webhooks only), e.g. #crisis")
    username: str | None = Field(default=None, description="sender name override")
    icon_emoji: str | None = Field(default=None, description="sender icon override, e.g. :rotating_light:")
    icon_url: str | None = Field(default=None, description="sender icon image URL override")
    max_examples: int = Field(default=EXAMPLES, ge=0, le=10, description="example posts shown per alert")


def clip(text: str, limit: int) -> str:
    """Cut escaped mrkdwn to ``limit`` characters without splitting ``&amp;`` or ``<url|label>``."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp, semi = cut.rfind("&"), cut.rfind(";")
    if amp > semi:
        cut = cut[:amp]
    lt, gt = cut.rfind("<"), cut.rfind(">")
    if lt > gt:
        cut = cut[:lt]
    return cut.rstrip() + "…"


def _mrkdwn(text: str, limit: int = MAX_TEXT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, limit), "verbatim": True}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}


def fit_blocks(blocks: list[dict[str, Any]], limit: int = MAX_BLOCKS) -> list[dict[str, Any]]:
    """At most ``limit`` blocks: keep the head, say how many were left out, keep the footer."""
    if len(blocks) <= limit:
        return blocks
    dropped = len(blocks) - limit + 1
    note = {"type": "context", "elements": [_mrkdwn(f"… {dropped} more block(s) left out (Slack's limit)")]}
    return [*blocks[: limit - 2], note, blocks[-1]]


def _example(e: ExampleView) -> str:
    src = example_source(e, escape_slack, SLACK.link)  # a post's URL never hides behind a trusted outlet
    meta = " · ".join(p for p in (src, escape_slack(e.author), e.when, e.reach, relabel_key(e, escape_slack)) if p)
    return f"{meta}\n>{escape_slack(e.text)}"


def slack_blocks(view: AlertView) -> list[dict[str, Any]]:
    secs = {s.key: s for s in sections(view, SLACK)}
    fields = [_mrkdwn(f"*{escape_slack(k)}*\n{escape_slack(v)}", MAX_FIELD) for k, v in view.facts][:10]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(view.headline, MAX_HEADER)}},
        {"type": "section", "text": _mrkdwn(escape_slack(view.notice)), "fields": fields},
    ]
    why = secs.get("why")
    if why:
        room = MAX_ELEMENTS - 1  # the title takes one element
        lines = list(why.lines)
        if len(lines) > room:  # the overflow shares the last element
            lines = [*lines[: room - 1], "\n".join(lines[room - 1:])]
        blocks.append({"type": "context", "elements": [_mrkdwn(why.title), *(_mrkdwn(line) for line in lines)]})
    if view.examples:
        blocks += [{"type": "divider"}, _section(f"*Example posts* ({len(view.examples)})")]
        blocks += [_section(_example(e)) for e in view.examples]
    if view.playbook is not None:
        blocks.append({"type": "divider"})
        for key in ("playbook", "tasks", "statement", "media", "follow_up"):
            s = secs.get(key)
            if s is None:
                continue
            lines = [f">{line}" for line in s.lines] if key == "statement" else list(s.lines)
            blocks.append(_section("\n".join([s.title, *lines])))
    blocks.append({"type": "context", "elements": [_mrkdwn(escape_slack(view.footer))]})
    return fit_blocks(blocks)


def slack_payload(alert: Alert, config: SlackConfig) -> dict[str, Any]:
    """The JSON body POSTed to the webhook."""
    view = build_view(alert, max_examples=config.max_examples)
    payload: dict[str, Any] = {
        "text": clip(f"{escape_slack(view.headline)}\n{escape_slack(view.notice)}", MAX_TEXT),
        "blocks": slack_blocks(view),
    }
    for key in ("channel", "username", "icon_emoji", "icon_url"):
        value = getattr(config, key)
        if value:
            payload[key] = value
    return payload


@register_notifier
class SlackNotifier(HttpNotifier[SlackConfig]):
    """Slack incoming webhook: Block Kit message with a plain-text fallback."""

    kind: ClassVar[str] = "slack"

    async def send(self, alert: Alert) -> None:
        reply = await self.post(dumps(slack_payload(alert, self.config)))
        if 200 <= reply.status < 300:
            return
        code = reply.text.strip().split()[0] if reply.text.strip() else ""
        raise self.status_error(reply, HINTS.get(code, ""))
