"""A local stand-in for Feishu's Open API: tenant token, send, edit (PATCH) and reply to messages."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web


@dataclass
class Call:
    method: str
    path: str
    body: dict[str, Any]
    headers: dict[str, str]

    def card(self) -> dict[str, Any]:
        return json.loads(self.body["content"])  # type: ignore[no-any-return]


class FakeFeishu:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.codes: list[int] = []  # scripted non-zero codes for the next message calls
        self.tokens_issued = 0
        self._n = 0
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/open-apis/"

    def messages(self) -> list[Call]:
        return [c for c in self.calls if "/im/v1/" in c.path]

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(Call(request.method, request.path_qs, body, dict(request.headers)))
        if request.path.endswith("/tenant_access_token/internal"):
            if body != {"app_id": "cli_test", "app_secret": "app-secret"}:
                return web.json_response({"code": 10003, "msg": "invalid app"})
            self.tokens_issued += 1
            return web.json_response({"code": 0, "tenant_access_token": f"t-{self.tokens_issued}", "expire": 7200})
        if request.headers.get("Authorization") != f"Bearer t-{self.tokens_issued}":
            return web.json_response({"code": 99991663, "msg": "tenant access token invalid"})
        if self.codes:
            return web.json_response({"code": self.codes.pop(0), "msg": "scripted"})
        if request.method == "POST":
            self._n += 1
            return web.json_response({"code": 0, "data": {"message_id": f"om_{self._n}"}})
        return web.json_response({"code": 0, "data": {}})

    async def __aenter__(self) -> FakeFeishu:
        app = web.Application()
        app.router.add_route("*", "/open-apis/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
