"""`monitor run`: the daemon."""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path

from monitor.cli.common import add_config, color_choice
from monitor.clock import Clock, SystemClock, VirtualClock
from monitor.config import default_config, load_config
from monitor.drill import first_timestamp, parse_speed
from monitor.logs import setup_logging
from monitor.service import Service

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("run", help="the daemon: sources, scheduler, HTTP /healthz /metrics",
                       description="Run the daemon. Without --config (and no ./monitor.yaml) it runs the embedded "
                                   "default: the bundled recorded feed, replayed at --speed, alerts to the terminal.")
    add_config(p)
    p.add_argument("--speed", default="3600", help="embedded default only: replay speed (virtual s per real s)")
    p.add_argument("--no-color", action="store_true", help="no colours in terminal alerts")
    p.add_argument("--log-format", choices=["json", "text"], default="json",
                   help="stderr log lines: JSON (default, for log shippers) or text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    setup_logging(max(args.verbose, 1), json_logs=args.log_format == "json")  # INFO and up, to stderr
    path = Path(args.config) if args.config else Path("monitor.yaml")
    clock: Clock
    if args.config or path.is_file():
        loaded = load_config(path)
        clock = SystemClock()
        config_path: Path | None = path
    else:
        log.warning("no --config and no ./monitor.yaml: running the embedded default (bundled recorded feed)")
        loaded = default_config(speed=parse_speed(args.speed), port=8080)
        feed = loaded.config.sources[0].path  # type: ignore[attr-defined]
        clock = VirtualClock(first_timestamp(feed), speed=parse_speed(args.speed))
        config_path = None
    service = Service(loaded, clock, config_path=config_path, color=color_choice(args))
    return asyncio.run(service.run())
