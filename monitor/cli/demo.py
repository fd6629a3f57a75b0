"""`monitor demo`: the daemon on the embedded default, fast, until the bundled crisis is over."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from monitor.cli.common import color_choice
from monitor.clock import VirtualClock
from monitor.config import BUNDLED_FEED, default_config
from monitor.drill import first_timestamp, parse_speed
from monitor.service import Service
from monitor.store import Store


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("demo", help="run the daemon on the bundled 48-hour recording, alerts to the terminal",
                       description="Run the daemon on the embedded default — SQLite, the bundled recorded feed, the "
                                   "offline sentiment model, alerts to the terminal — and exit once the recorded "
                                   "crisis has been resolved.")
    p.add_argument("--speed", default="20000", help="virtual seconds per real second, or 'max' (default 20000)")
    p.add_argument("--feed", type=Path, default=BUNDLED_FEED, help="recording to replay (default: the bundled one)")
    p.add_argument("--state", type=Path, help="directory for the SQLite state (default: a fresh temporary one)")
    p.add_argument("--no-color", action="store_true", help="no colours")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    speed = parse_speed(args.speed)
    with tempfile.TemporaryDirectory(prefix="brand-monitor-demo-") as tmp:
        state = args.state or Path(tmp)
        loaded = default_config(feed=args.feed, state_dir=state, speed=speed)
        clock = VirtualClock(first_timestamp(args.feed), speed=speed)
        print(f"Brand Monitor demo: replaying {args.feed.name} for brand(s) "
              f"{', '.join(b.name for b in loaded.rules.brands.values())} "
              f"({'as fast as possible' if speed is None else f'{speed:g}x real time'}); alerts follow.\n"
              "Loading the sentiment model (the very first run builds its fast path once: under a minute)...",
              file=sys.stderr)
        service = Service(loaded, clock, exit_when_done=True, color=color_choice(args))
        code = asyncio.run(service.run())
        store = Store(loaded.config.store.path)
        notes = store.notifications()
        store.close()
    print("\nDemo finished: " + (", ".join(f"{n['level']} {n['transition']}" for n in notes) or "no notifications"),
          file=sys.stderr)
    return code
