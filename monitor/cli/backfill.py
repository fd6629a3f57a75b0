"""`monitor backfill FEED`: learn the brands' baselines from history before going live."""

from __future__ import annotations

import argparse
from pathlib import Path

from monitor.cli.common import add_config, print_json
from monitor.config import load_for_cli


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("backfill", help="learn brands' baselines from a recording before going live",
                       description="Read a recording (or `monitor record` output), score the posts that match a "
                                   "rule, and teach each brand's per-platform baseline in the configured store. "
                                   "Nothing is alerted. Run it before the first `monitor run`.")
    p.add_argument("feed", type=Path, help="the recording (JSON lines in the event format)")
    add_config(p)
    p.add_argument("--keywords", "-k", type=Path, help="keyword rules to use instead of the config's")
    p.add_argument("--json", action="store_true", help="one line of JSON instead of the summary")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from monitor.backtest import backfill

    loaded = load_for_cli(args.config, args.keywords)
    out = backfill(loaded, args.feed)
    if args.json:
        print_json(out)
    else:
        print(f"backfill: {out['posts']} posts read, {out['matched']} matched a rule, {out['bad_lines']} broken "
              f"line(s) skipped; {out['series']} baseline series for {', '.join(out['brands']) or 'no brand'} "
              f"({out['first_event']} .. {out['last_event']}) in {loaded.config.store.path}")
    return 0
