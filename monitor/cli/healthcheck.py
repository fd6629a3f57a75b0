"""`monitor healthcheck`: exit 0 when the local daemon's /healthz answers 200, else 1.

For container HEALTHCHECKs: it reads the port the daemon really uses (MONITOR_PORT, else
``server.port`` of the config file, else 8080) instead of a port written into the image,
and stays light (YAML and urllib only; ``python -m monitor.cli.healthcheck`` skips the
rest of the command line's imports).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

DEFAULT_PORT = 8080


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("healthcheck", help="exit 0 when the local daemon's /healthz answers 200 (for containers)")
    _arguments(p)
    p.set_defaults(func=run)


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", "-c", type=Path, default=Path("monitor.yaml"),
                   help="the daemon's monitor.yaml, for server.port (default ./monitor.yaml)")
    p.add_argument("--timeout", type=float, default=4.0, help="seconds to wait for the answer")


def configured_port(config: Path, env: Mapping[str, str]) -> int:
    if env.get("MONITOR_PORT", "").isdigit():
        return int(env["MONITOR_PORT"])
    try:
        import yaml

        data: Any = yaml.safe_load(config.read_text(encoding="utf-8"))
    except (OSError, ValueError, ImportError):
        return DEFAULT_PORT
    port = (data or {}).get("server", {}).get("port", DEFAULT_PORT) if isinstance(data, dict) else DEFAULT_PORT
    if isinstance(port, str):  # ${PORT:-8081}
        port = re.sub(r"\$\{(\w+)(?::-([^}]*))?\}", lambda m: env.get(m.group(1), m.group(2) or ""), port)
    return int(port) if str(port).isdigit() and not isinstance(port, bool) else DEFAULT_PORT


def probe(port: int, timeout: float) -> tuple[bool, str]:
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status == 200, f"{url}: {resp.status}"
    except urllib.error.HTTPError as exc:
        return False, f"{url}: {exc.code}"
    except (OSError, ValueError) as exc:
        return False, f"{url}: {exc}"


def run(args: argparse.Namespace) -> int:
    ok, detail = probe(configured_port(args.config, os.environ), args.timeout)
    print(("healthy: " if ok else "unhealthy: ") + detail, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="monitor healthcheck")
    _arguments(p)
    return run(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
