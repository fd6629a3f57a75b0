"""Ways back from the team's tools: chat buttons, paging webhooks, e-mail links, silences, audit.

Each channel is one module with a ``routes(service)`` function; :func:`routes` collects
them for :mod:`monitor.http_api`, and :func:`open_paths` names the routes that
authenticate by signature (Slack, PagerDuty, Feishu, e-mail links) rather than by the
API's bearer token, so the API's token and content-type rules do not apply there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from monitor.service import Service

SIGNED_PATHS = {"/slack/interactivity"}
SIGNED_PREFIXES = ("/pagerduty/", "/feishu/", "/act/")
SELF_CHECKED_PREFIXES = ("/console/",)  # the web console: its own session, CSRF, Host and Origin checks


def open_paths(path: str) -> bool:
    return path in SIGNED_PATHS or path.startswith(SIGNED_PREFIXES + SELF_CHECKED_PREFIXES)


def routes(service: Service) -> list[web.RouteDef]:
    from monitor.interact import api, email_links, feishu, pagerduty, slack

    return [*slack.routes(service), *pagerduty.routes(service), *feishu.routes(service),
            *email_links.routes(service), *api.routes(service)]
