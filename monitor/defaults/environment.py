"""What a container's environment says about the server and the data directory."""

from __future__ import annotations

from typing import Any

from monitor.errors import Problem
from monitor.yamlio import Located

ENVIRONMENT = {
    "MONITOR_HOST": "`server.host`, over the file's value (the container image sets 0.0.0.0)",
    "MONITOR_PORT": "`server.port`, over the file's value",
    "MONITOR_API_TOKEN": "`server.api_token` when the file sets none (required when the host is not loopback)",
    "MONITOR_DATA_DIR": "the directory a relative `store.path` goes into (the container image sets /data)",
}
"""Settings the environment gives a container: host and port win over the file (a container binds all
interfaces whatever the file says); the token fills in when the file has none."""


def environment_overrides(data: dict[str, Any], env: Any, doc: Located, problems: list[Problem]) -> dict[str, Any]:
    """``data`` with MONITOR_HOST, MONITOR_PORT and MONITOR_API_TOKEN applied to its server section."""
    server = data.get("server")
    if server is not None and not isinstance(server, dict):
        return data  # reported by validation
    server = dict(server or {})
    if env.get("MONITOR_HOST"):
        server["host"] = env["MONITOR_HOST"]
    if env.get("MONITOR_PORT"):
        port = env["MONITOR_PORT"]
        if port.isdigit():
            server["port"] = int(port)
        else:
            problems.append(Problem(doc.file, "environment", f"MONITOR_PORT must be a port number, got {port!r}"))
    if env.get("MONITOR_API_TOKEN") and not server.get("api_token"):
        server["api_token"] = env["MONITOR_API_TOKEN"]
    return {**data, "server": server} if server or "server" in data else data
