"""`monitor record --out FEED.jsonl`: live sources to the event format."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from monitor.cli.common import add_config
from monitor.clock import SystemClock
from monitor.config import load_for_cli
from monitor.durations import parse_duration
from monitor.errors import MonitorError
from monitor.record import record


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("record", help="run the configured live sources and write a replayable recording")
    p.add_argument("--out", "-o", type=Path, required=True, help="JSONL file to append events to")
    add_config(p)
    p.add_argument("--duration", default=None, help="stop after this long (e.g. 1h, 30m); default: until Ctrl-C")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    loaded = load_for_cli(args.config)
    try:
        duration = parse_duration(args.duration) if args.duration else None
    except ValueError as exc:
        raise MonitorError(f"--duration: {exc}") from None

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        return await record(loaded, args.out, SystemClock(), duration, stop)

    n = asyncio.run(main())
    print(f"recorded {n} event(s) to {args.out}", file=sys.stderr)
    return 0
