"""A local stand-in for Slack: the Web API methods the slack_app notifier calls, and a Socket
Mode websocket (``apps.connections.open`` names it) that can push interactive envelopes."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    headers: dict[str, str]


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.errors: list[tuple[int, dict[str, Any], dict[str, str]]] = []  # scripted answers, in order
        self.acks: list[str] = []  # envelope ids acknowledged over Socket Mode
        self._ts = 1000
        self._ws: web.WebSocketResponse | None = None
        self.connected = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def posts(self) -> list[Call]:
        return [c for c in self.calls if c.method == "chat.postMessage"]

    def updates(self) -> list[Call]:
        return [c for c in self.calls if c.method == "chat.update"]

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            args = await request.json()
        else:
            args = dict(await request.post())
        self.calls.append(Call(method, args, dict(request.headers)))
        if self.errors:
            status, body, headers = self.errors.pop(0)
            return web.json_response(body, status=status, headers=headers)
        if request.headers.get("Authorization", "") not in ("Bearer xoxb-test", "Bearer xapp-test"):
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if method == "apps.connections.open":
            return web.json_response({"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"})
        if method in ("chat.postMessage", "chat.update"):
            if method == "chat.postMessage":
                self._ts += 1
            ts = args.get("ts") or f"{self._ts}.000100"
            return web.json_response({"ok": True, "channel": "C0CRISIS", "ts": ts})
        if method == "auth.test":
            return web.json_response({"ok": True, "user_id": "UBOT"})
        return web.json_response({"ok": False, "error": "unknown_method"})

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        self.connected.set()
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                data = json.loads(msg.data)
                if "envelope_id" in data:
                    self.acks.append(data["envelope_id"])
        return ws

    async def push_interaction(self, envelope_id: str, payload: dict[str, Any]) -> None:
        assert self._ws is not None, "no Socket Mode client connected"
        await self._ws.send_str(json.dumps({"envelope_id": envelope_id, "type": "interactive",
                                            "accepts_response_payload": False, "payload": payload}))

    async def __aenter__(self) -> FakeSlack:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()


def block_actions(action_id: str, incident_id: str, user: str = "alice", uid: str = "U0ALICE") -> dict[str, Any]:
    """What Slack sends when someone clicks one of our buttons."""
    return {"type": "block_actions", "user": {"id": uid, "username": user, "name": user, "team_id": "T0"},
            "api_app_id": "A0", "container": {"type": "message", "message_ts": "1001.000100"},
            "channel": {"id": "C0CRISIS", "name": "crisis"},
            "actions": [{"action_id": action_id, "block_id": f"incident:{incident_id}", "value": incident_id,
                         "type": "button", "action_ts": "1700000000.1"}]}
