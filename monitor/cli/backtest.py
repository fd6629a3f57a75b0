"""`monitor backtest FEED`: replay a recording under one or more engine settings and compare."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from monitor.cli.common import add_config, print_json
from monitor.config import load_for_cli


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("backtest", help="replay a recording under one or more settings: incidents, "
                                        "notifications/day, time to detect",
                       description="Replay a recorded feed through the pipeline once per setting (fresh state, no "
                                   "notifications sent) and print, per setting and brand: incidents, notifications "
                                   "per day, hours in each level, and the minutes from each marked burst's start to "
                                   "the brand's first notification. Posts mark a burst with the extra field "
                                   "\"burst\": \"NAME\". A --set key given twice is two settings (every "
                                   "combination is run).")
    p.add_argument("feed", type=Path, help="the recording (JSON lines in the event format)")
    add_config(p)
    p.add_argument("--keywords", "-k", type=Path, help="keyword rules to use instead of the config's")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="an engine setting, e.g. engine.detection=fixed or engine.baseline.p_value=1e-5")
    p.add_argument("--json", action="store_true", help="one line of JSON instead of the table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from monitor.backtest import run_backtest, table

    loaded = load_for_cli(args.config, args.keywords)
    results = run_backtest(loaded, args.feed, args.sets)
    if args.json:
        print_json({"feed": str(args.feed), "results": results})
    else:
        print(table(results))
        sys.stdout.flush()
    return 0
