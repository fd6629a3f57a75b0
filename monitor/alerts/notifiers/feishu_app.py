"""``feishu_app``: a Feishu / Lark app bot posting one interactive card per incident, updated in place.

Unlike the ``feishu`` custom-bot webhook, an app bot can edit what it sent and receive button
clicks. The first notification of an incident sends a card to ``chat_id``
(``POST im/v1/messages``); every later one edits that card (``PATCH im/v1/messages/{id}``)
to show the current level, state, who acknowledged and the next deadline, and replies under
it with the alert's headline and reason. The card carries the same buttons as Slack
(``ack``, ``resolve``, ``snooze_1h``, ``false_alarm``, each with the incident id); clicks
come back to ``POST /feishu/card`` (:mod:`monitor.interact.feishu`), verified with the
app's ``verification_token``. The card's message id is kept in the store, so a restart
keeps editing the same card.

The tenant access token (``auth/v3/tenant_access_token/internal``) is cached until shortly
before it expires and fetched again when Feishu says it is invalid. Feishu answers HTTP 200
with ``code``: 0 is success; rate limits (99991400, HTTP 429) and an expired token are
worth retrying, anything else (the bot is not in the chat, no permission) is not.
Everything a person wrote is shown as ``plain_text`` so it cannot inject card markup.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal

from pydantic import Field, SecretStr, field_validator

from monitor.alerts.notifiers.base import NotifierConfig, register_notifier
from monitor.alerts.notifiers.httpbase import USER_AGENT, HttpNotifier, Reply, api_base, dumps
from monitor.alerts.notifiers.slack_app import BUTTONS, state_of
from monitor.alerts.render import build_view, fmt_time, tag_for
from monitor.models import Alert
from monitor.names import LEVELS

TEMPLATES = {"red": "red", "yellow": "orange", "blue": "blue"}
RETRYABLE = {99991400, 99991663, 99991661, 99991668, 1000004, 1000005}
TOKEN_INVALID = {99991663, 99991661, 99991668}
HINTS = {230002: "add the app bot to the chat", 230001: "the chat_id is wrong",
         99991672: "the app lacks the im:message permission", 10003: "app_id / app_secret are wrong"}


class FeishuAppConfig(NotifierConfig):
    """Feishu/Lark app bot: one interactive card per incident, updated in place, with buttons."""

    kind: Literal["feishu_app"] = "feishu_app"
    app_id: str = Field(description="the app's App ID (cli_...)")
    app_secret: SecretStr = Field(description="the app's App Secret; app_secret: ${FEISHU_APP_SECRET}")
    chat_id: str = Field(description="the group chat's chat_id (oc_...) the bot is a member of")
    verification_token: SecretStr | None = Field(default=None,
                                                 description="verifies card callbacks at POST /feishu/card")
    api_url: str = Field(default="https://open.feishu.cn/open-apis/",
                         description="Open API base (Lark: https://open.larksuite.com/open-apis/)")

    @field_validator("api_url")
    @classmethod
    def _slash(cls, v: str) -> str:
        return api_base(v)

    @property
    def url(self) -> str:
        return self.api_url


def card(alert: Alert) -> dict[str, Any]:
    """The incident's card as it stands after ``alert``."""
    resolved = alert.transition == "resolved"
    pb = alert.playbook
    due = "—"
    if not resolved and not alert.acked_by and pb is not None and getattr(pb, "ack_due", None):
        due = f"acknowledge by {fmt_time(pb.ack_due)}"
    head = f"{tag_for(alert) if resolved else alert.level.upper()} · {alert.brand_name}"
    lines = [alert.reason, f"Level: {alert.level}", f"State: {state_of(alert)}",
             f"Acknowledged by: {alert.acked_by or '—'}", f"Next deadline: {due}",
             f"Incident: {alert.incident_id}", f"Last update: {fmt_time(alert.ts)}"]
    elements: list[dict[str, Any]] = [{"tag": "div", "text": {"tag": "plain_text", "content": "\n".join(lines)}}]
    if not resolved:
        elements.append({"tag": "action", "actions": [
            {"tag": "button", "text": {"tag": "plain_text", "content": label},
             "type": "primary" if style == "primary" else ("danger" if style == "danger" else "default"),
             "value": {"action": action_id, "incident": alert.incident_id}}
            for action_id, label, style in BUTTONS]})
    return {"config": {"wide_screen_mode": True, "update_multi": True},
            "header": {"title": {"tag": "plain_text", "content": head},
                       "template": "green" if resolved else TEMPLATES.get(alert.level, "grey")},
            "elements": elements}


@register_notifier
class FeishuAppNotifier(HttpNotifier[FeishuAppConfig]):
    """Feishu/Lark app bot: an interactive card per incident, edited in place, with buttons."""

    kind: ClassVar[str] = "feishu_app"

    _token: tuple[str, datetime] | None = None
    _cards: dict[str, str] | None = None  # without a store

    async def _request(self, method: str, path: str, body: dict[str, Any], auth: bool = True) -> dict[str, Any]:
        headers = {"User-Agent": USER_AGENT, "Content-Type": "application/json; charset=utf-8"}
        if auth:
            headers["Authorization"] = f"Bearer {await self._tenant_token()}"
        url = self.config.api_url + path
        if method == "POST":
            reply = await self.post(dumps(body), headers, url=url)
        else:
            reply = await self._patch(url, dumps(body), headers)
        return self._check(reply)

    async def _patch(self, url: str, body: bytes, headers: dict[str, str]) -> Reply:
        import aiohttp

        try:
            async with self._session().patch(url, data=body, headers=headers, allow_redirects=False,
                                             timeout=aiohttp.ClientTimeout(self.config.timeout.total_seconds())
                                             ) as resp:
                return Reply(resp.status, await resp.text(errors="replace"), dict(resp.headers))
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise self.error(f"cannot reach {self.host}: {type(exc).__name__}", retryable=True) from None

    def _check(self, reply: Reply) -> dict[str, Any]:
        if reply.status == 429 or reply.status >= 500:
            raise self.error(f"HTTP {reply.status} from {self.host}", retryable=True,
                             retry_after=self.retry_after(reply))
        data = reply.json()
        if not isinstance(data, dict):
            raise self.error(f"unexpected answer from {self.host} (HTTP {reply.status})", retryable=True)
        code = data.get("code", 0)
        if code in (0, None):
            return data
        if code in TOKEN_INVALID:
            self._token = None
        hint = HINTS.get(code, "")
        raise self.error(f"error {code} from {self.host}: {data.get('msg', '')}" + (f" ({hint})" if hint else ""),
                         retryable=code in RETRYABLE)

    async def _tenant_token(self) -> str:
        now = self.wall_clock.now()
        if self._token is not None and self._token[1] > now:
            return self._token[0]
        data = await self._request("POST", "auth/v3/tenant_access_token/internal",
                                   {"app_id": self.config.app_id,
                                    "app_secret": self.config.app_secret.get_secret_value()}, auth=False)
        token = str(data.get("tenant_access_token") or "")
        if not token:
            raise self.error("Feishu gave no tenant_access_token", retryable=True)
        life = max(60, int(data.get("expire") or 7200) - 300)
        self._token = (token, now + timedelta(seconds=life))
        return token

    def card_of(self, incident_id: str) -> str | None:
        if self.ctx.store is not None:
            from monitor.store_actions import ActionStore

            ref = ActionStore(self.ctx.store).thread(incident_id, self.name)
            return ref[1] if ref else None
        return (self._cards or {}).get(incident_id)

    def _save_card(self, incident_id: str, message_id: str) -> None:
        if self.ctx.store is not None:
            from monitor.store_actions import ActionStore

            ActionStore(self.ctx.store).save_thread(incident_id, self.name, self.config.chat_id, message_id)
        else:
            self._cards = {**(self._cards or {}), incident_id: message_id}

    async def send(self, alert: Alert) -> None:
        content = json.dumps(card(alert), ensure_ascii=False)
        if alert.level not in LEVELS:
            view = build_view(alert, max_examples=0)
            await self._request("POST", "im/v1/messages?receive_id_type=chat_id",
                                {"receive_id": self.config.chat_id, "msg_type": "text",
                                 "content": json.dumps({"text": f"{view.headline}\n{alert.reason}"},
                                                       ensure_ascii=False)})
            return
        message_id = self.card_of(alert.incident_id)
        if message_id is None:
            data = await self._request("POST", "im/v1/messages?receive_id_type=chat_id",
                                       {"receive_id": self.config.chat_id, "msg_type": "interactive",
                                        "content": content})
            message_id = str((data.get("data") or {}).get("message_id") or "")
            if not message_id:
                raise self.error("Feishu answered without a message_id", retryable=True)
            self._save_card(alert.incident_id, message_id)
            return
        await self._request("PATCH", f"im/v1/messages/{message_id}", {"content": content})
        view = build_view(alert, max_examples=0)
        await self._request("POST", f"im/v1/messages/{message_id}/reply",
                            {"msg_type": "text", "content": json.dumps({"text": f"{view.headline}\n{alert.reason}"},
                                                                        ensure_ascii=False)})
