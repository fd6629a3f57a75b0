"""``slack_app``: a Slack app (bot token) that keeps one thread per incident, with buttons.

The first notification of an incident posts a root message (``chat.postMessage``) that
shows the current level, state, who acknowledged and the next deadline; every later one
edits the root (``chat.update``) and goes into its thread, escalations also broadcast to
the channel. The root and every level alert carry the buttons Acknowledge, Resolve,
Snooze 1 h and Not a crisis (action ids ``ack``, ``resolve``, ``snooze_1h``,
``false_alarm``; the value is the incident id). Clicks come back to
``POST /slack/interactivity`` (signed with ``signing_secret``) or over Socket Mode
(``socket_mode: true`` with an ``app_token``; see :mod:`monitor.interact.slack`).

The thread's ``ts`` is kept in the store (``chat_threads``), so a restart keeps threading.
Slack's Web API is reached through the official SDK (``slack_sdk``'s async client, with
``base_url = api_url``). Rate limits: a ``ratelimited`` answer becomes a retryable
:class:`NotifyError` carrying ``Retry-After``, and the outbox waits at least that long —
one retry policy for every notifier rather than the SDK sleeping inside a delivery.
The order (update the root, then reply) makes a retried delivery repeat nothing but an
idempotent edit.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from monitor.alerts.notifiers.base import Notifier, NotifierConfig, NotifierContext, register_notifier
from monitor.alerts.notifiers.httpbase import USER_AGENT, api_base
from monitor.alerts.notifiers.slack import MAX_HEADER, _mrkdwn, fit_blocks, slack_blocks
from monitor.alerts.render import EXAMPLES, build_view, escape_slack, fmt_time, tag_for, truncate
from monitor.clock import Clock, SystemClock
from monitor.errors import NotifyError
from monitor.httpclient import TRANSPORT_ERRORS, SessionSlot, retry_after_header, retryable_status
from monitor.models import Alert
from monitor.names import LEVELS

BUTTONS = (("ack", "Acknowledge", "primary"), ("resolve", "Resolve", None), ("snooze_1h", "Snooze 1 h", None),
           ("false_alarm", "Not a crisis", "danger"))
BROADCAST = ("escalated", "overdue")  # escalations also show in the channel
FATAL_HINTS = {
    "invalid_auth": "the bot token is wrong; copy the Bot User OAuth Token (xoxb-...)",
    "token_revoked": "the bot token was revoked; reinstall the app",
    "not_in_channel": "invite the app to the channel (/invite @Brand Monitor)",
    "channel_not_found": "the channel id is wrong or the app cannot see it",
    "is_archived": "the channel is archived",
    "missing_scope": "the app lacks chat:write; reinstall it from the manifest",
}


class SlackAppConfig(NotifierConfig):
    """Post alerts as a Slack app: a thread per incident, root message kept current, buttons."""

    kind: Literal["slack_app"] = "slack_app"
    token: str = Field(description="bot token (xoxb-...); token: ${SLACK_BOT_TOKEN}")
    channel: str = Field(description="channel id (C0123...) or name the app is a member of")
    signing_secret: str = Field(default="", description="app signing secret: verifies POST /slack/interactivity")
    socket_mode: bool = Field(default=False, description="receive button clicks over Socket Mode (no inbound port)")
    app_token: str = Field(default="", description="app-level token (xapp-...) for Socket Mode")
    api_url: str = Field(default="https://slack.com/api/", description="Slack Web API base URL (tests, proxies)")
    max_examples: int = Field(default=EXAMPLES, ge=0, le=10, description="example posts shown per alert")

    @field_validator("api_url")
    @classmethod
    def _slash(cls, v: str) -> str:
        return api_base(v)

    @model_validator(mode="after")
    def _way_back(self) -> SlackAppConfig:
        if self.socket_mode and not self.app_token:
            raise ValueError("socket_mode needs app_token (an app-level token, xapp-..., with connections:write)")
        return self


def buttons(incident_id: str) -> dict[str, Any]:
    elements = []
    for action_id, label, style in BUTTONS:
        b: dict[str, Any] = {"type": "button", "action_id": action_id, "value": incident_id,
                             "text": {"type": "plain_text", "text": label}}
        if style:
            b["style"] = style
        elements.append(b)
    return {"type": "actions", "block_id": f"incident:{incident_id}"[:255], "elements": elements}


def state_of(alert: Alert) -> str:
    if alert.transition == "resolved":
        return "resolved"
    return f"acknowledged by {alert.acked_by}" if alert.acked_by else "open, unacknowledged"


def root_blocks(alert: Alert) -> tuple[str, list[dict[str, Any]]]:
    """The root message: what the incident is now (level, state, owner, next deadline) and the buttons."""
    state = state_of(alert)
    pb = alert.playbook
    due = "—"
    if alert.transition != "resolved" and not alert.acked_by and pb is not None and getattr(pb, "ack_due", None):
        due = f"acknowledge by {fmt_time(pb.ack_due)}"
    head = f"{tag_for(alert) if alert.transition == 'resolved' else alert.level.upper()} · {alert.brand_name}"
    fields = [("Level", alert.level), ("State", state), ("Acknowledged by", alert.acked_by or "—"),
              ("Next deadline", due), ("Incident", alert.incident_id), ("Last update", fmt_time(alert.ts))]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(head, MAX_HEADER)}},
        {"type": "section", "text": _mrkdwn(escape_slack(alert.reason)),
         "fields": [_mrkdwn(f"*{k}*\n{escape_slack(v)}") for k, v in fields]},
    ]
    if alert.transition != "resolved":
        blocks.append(buttons(alert.incident_id))
    return f"{head}: {state}", blocks


def reply_blocks(alert: Alert, max_examples: int) -> tuple[str, list[dict[str, Any]]]:
    view = build_view(alert, max_examples=max_examples)
    blocks = slack_blocks(view)
    if alert.level in LEVELS and alert.transition != "resolved":
        blocks = [*fit_blocks(blocks, 49), buttons(alert.incident_id)]
    return f"{view.headline}\n{view.notice}", blocks


@register_notifier
class SlackAppNotifier(Notifier[SlackAppConfig]):
    """Slack app: one thread per incident, the root kept current, action buttons."""

    kind: ClassVar[str] = "slack_app"

    wall_clock: Clock = SystemClock()  # Retry-After dates are real time, also in a drill
    _client: AsyncWebClient | None = None
    _slot: SessionSlot | None = None

    def __init__(self, config: SlackAppConfig, ctx: NotifierContext) -> None:
        super().__init__(config, ctx)
        self._threads: dict[str, tuple[str, str]] = {}  # without a store (tests, dry runs)

    @property
    def client(self) -> AsyncWebClient:
        if self._client is None:
            self._slot = SessionSlot(self.ctx.session, USER_AGENT)
            self._client = AsyncWebClient(token=self.config.token, base_url=self.config.api_url,
                                          session=self._slot.get(),
                                          timeout=int(max(1, self.config.timeout.total_seconds())))
        return self._client

    # -- thread references ------------------------------------------------------------------
    def _actions(self) -> Any:
        store = getattr(self.ctx, "store", None)
        if store is None:
            return None
        from monitor.store_actions import ActionStore

        return ActionStore(store)

    def thread(self, incident_id: str) -> tuple[str, str] | None:
        actions = self._actions()
        return actions.thread(incident_id, self.name) if actions else self._threads.get(incident_id)

    def _save_thread(self, incident_id: str, channel: str, ts: str) -> None:
        actions = self._actions()
        if actions:
            actions.save_thread(incident_id, self.name, channel, ts)
        else:
            self._threads[incident_id] = (channel, ts)

    # -- calls --------------------------------------------------------------------------------
    async def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        try:
            resp = await getattr(self.client, method)(**kwargs)
            return dict(resp.data) if isinstance(resp.data, dict) else {}
        except SlackApiError as exc:
            raise self._api_error(method, exc) from None
        except TimeoutError:
            raise NotifyError(f"slack_app notifier '{self.name}': {method}: no answer in time",
                              retryable=True) from None
        except (*TRANSPORT_ERRORS, SlackClientError) as exc:
            raise NotifyError(f"slack_app notifier '{self.name}': {method}: cannot reach Slack: "
                              f"{type(exc).__name__}: {exc}".replace(self.config.token, "<token>"),
                              retryable=True) from None

    def _api_error(self, method: str, exc: SlackApiError) -> NotifyError:
        status = exc.response.status_code
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        code = str(data.get("error") or f"HTTP {status}")
        headers = {k: str(v[0] if isinstance(v, list) else v) for k, v in (exc.response.headers or {}).items()}
        retry = retryable_status(status) or code in ("ratelimited", "internal_error", "fatal_error",
                                                     "service_unavailable", "request_timeout")
        hint = FATAL_HINTS.get(code, "")
        return NotifyError(f"slack_app notifier '{self.name}': {method}: {code}" + (f" ({hint})" if hint else ""),
                           retryable=retry,
                           retry_after=retry_after_header(headers, self.wall_clock.now()) if retry else None)

    async def say(self, incident_id: str, text: str) -> None:
        """A line in the incident's thread (who clicked what); nothing when there is no thread yet."""
        ref = self.thread(incident_id)
        if ref is not None:
            await self._call("chat_postMessage", channel=ref[0], thread_ts=ref[1], text=escape_slack(text))

    async def send(self, alert: Alert) -> None:
        text, blocks = reply_blocks(alert, self.config.max_examples)
        if alert.level not in LEVELS:  # system alerts (blind spots) have no thread
            await self._call("chat_postMessage", channel=self.config.channel, text=text, blocks=blocks)
            return
        root_text, root = root_blocks(alert)
        ref = self.thread(alert.incident_id)
        if ref is None:
            data = await self._call("chat_postMessage", channel=self.config.channel, text=root_text, blocks=root)
            ref = (str(data.get("channel") or self.config.channel), str(data.get("ts") or ""))
            if not ref[1]:
                raise NotifyError(f"slack_app notifier '{self.name}': chat.postMessage answered without a ts",
                                  retryable=True)
            self._save_thread(alert.incident_id, *ref)
        else:
            await self._call("chat_update", channel=ref[0], ts=ref[1], text=root_text, blocks=root)
        await self._call("chat_postMessage", channel=ref[0], thread_ts=ref[1], text=text, blocks=blocks,
                         reply_broadcast=alert.transition in BROADCAST)

    async def close(self) -> None:
        if self._slot is not None:
            await self._slot.close()
        self._slot = None
        self._client = None
