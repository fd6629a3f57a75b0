"""`monitor worker`: a scoring worker on the event bus (scale-out; see monitor/bus/worker.py)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from monitor.cli.common import add_config
from monitor.errors import ConfigError, Problem


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("worker", help="a scoring worker on the event bus (needs bus: in the config)")
    add_config(p)
    p.add_argument("--name", default=None, help="consumer name (default: host name and process id)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from monitor.config import load_for_cli
    from monitor.logs import setup_logging

    setup_logging(max(args.verbose, 1), json_logs=True)
    loaded = load_for_cli(args.config)
    if loaded.config.bus is None:
        raise ConfigError([Problem(loaded.file, "bus", "monitor worker needs a bus: section "
                                   "(bus: {backend: redis, url: redis://host:6379/0})")])
    return asyncio.run(_work(loaded, args.name))


async def _work(loaded: object, name: str | None) -> int:
    from monitor.bus.streams import RedisBus
    from monitor.bus.worker import Worker
    from monitor.runtime import load_scorer

    cfg = loaded.config  # type: ignore[attr-defined]
    bus = RedisBus(cfg.bus)
    worker = Worker(bus, loaded.rules, load_scorer(loaded), name=name,  # type: ignore[arg-type, attr-defined]
                    reclaim_every=max(0.5, cfg.bus.claim_idle.total_seconds() / 3))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await worker.run(stop)
    finally:
        await bus.close()
    return 0
