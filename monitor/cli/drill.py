"""`monitor drill FEED.jsonl`: replay a recording through the real pipeline on a virtual clock."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from pathlib import Path
from typing import Any

from monitor.cli.common import InputError, add_config, color_choice, print_json
from monitor.cli.progress import LineProgress
from monitor.config import load_for_cli
from monitor.drill import parse_speed, run_drill
from monitor.errors import MonitorError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("drill", help="replay a recorded feed through the pipeline (crisis drill)",
                       description="Replay a recorded JSONL feed through the same pipeline on a virtual clock and "
                                   "write DIR/report.json and DIR/report.html. Notifiers are dry (terminal) unless "
                                   "--notify. A drill killed midway continues where it stopped when run again "
                                   "with the same --report/--state (use --fresh to start over).")
    p.add_argument("feed", type=Path, help="the recording (the event format: one JSON object per line)")
    add_config(p)
    p.add_argument("--keywords", "-k", type=Path, help="keyword rules to use instead of the config's")
    p.add_argument("--speed", default=None, help="virtual seconds per real second, or 'max' (default; with --live: 1)")
    p.add_argument("--report", type=Path, default=Path("drill-report"), help="report directory")
    p.add_argument("--notify", action="store_true", help="deliver to the configured notifiers, not just the terminal")
    p.add_argument("--live", action="store_true", help="a drill with people: play on a scaled wall clock (--speed "
                   "drill seconds per real second, default 1), every message marked DRILL; people respond with "
                   "the usual buttons, links and `monitor incidents ack drill-...`")
    p.add_argument("--drill-id", help="name of this drill in the history (default: drill-FEED-TIME)")
    p.add_argument("--fresh", action="store_true", help="forget the state of an earlier run of this drill")
    p.add_argument("--state", type=Path, help="state database (default REPORT/drill-state.db)")
    p.add_argument("--no-color", action="store_true", help="no colours in terminal alerts")
    p.add_argument("--json", action="store_true",
                   help="print the report (report.json's content) as one JSON line on stdout; alerts go to stderr")
    p.set_defaults(func=run)


def _live(args: argparse.Namespace, loaded: Any, speed: float) -> int:
    from monitor.drills.runner import run_live_drill

    report = asyncio.run(run_live_drill(loaded, args.feed, report_dir=args.report, speed=speed, notify=args.notify,
                                        drill_id=args.drill_id, color=color_choice(args)))
    if args.json:
        print_json(report)
        return 0
    card = report["scorecard"]
    acks = card["acknowledgements"]
    print(f"\nlive drill {card['drill_id']}: {report['summary']['incidents']} incident(s); acknowledgements "
          f"{acks['on_time']} on time, {acks['late']} late, {acks['missed']} missed; {card['escalations']} "
          f"escalation(s); report in {args.report / 'report.html'}", file=sys.stderr)
    return 0


def _lines(feed: Path) -> int:
    with feed.open("rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


def run(args: argparse.Namespace) -> int:
    if not args.feed.is_file():
        raise InputError(f"{args.feed}: recording not found")
    try:
        speed = parse_speed(args.speed or ("1" if args.live else "max"))
    except MonitorError as exc:
        raise InputError(str(exc)) from exc
    loaded = load_for_cli(args.config, args.keywords)
    if args.live:
        if speed is None:
            raise InputError("--live needs a speed people can follow, e.g. --speed 60 (a drill minute a second)")
        return _live(args, loaded, speed)
    progress = LineProgress(sys.stderr, _lines(args.feed)) if sys.stderr.isatty() else None
    redirect: Any = contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext()
    try:
        with redirect:
            report = asyncio.run(run_drill(loaded, args.feed, report_dir=args.report, speed=speed,
                                           notify=args.notify, fresh=args.fresh, state=args.state,
                                           color=color_choice(args), progress=progress, drill_id=args.drill_id))
    finally:
        if progress is not None:
            progress.close()
    if args.json:
        print_json(report)
        return 0
    r, s = report["run"], report["summary"]
    out = sys.stderr
    print(f"\ndrill: {r['events']} events read ({r['duplicates']} duplicates), {r['matched']} matched a rule, "
          f"{r['negative']} negative, {r['trends']} trend and {r['quotes']} quote events; "
          f"{len(r['bad_lines'])} broken line(s) skipped", file=out)
    for bad in r["bad_lines"]:
        print(f"  {bad}", file=out)
    print(f"drill: {s['incidents']} incident(s), {s['notifications']} notification(s) "
          f"{s['by_transition']}; {r['wall_seconds']} s wall time", file=out)
    print(f"drill: report written to {args.report / 'report.json'} and {args.report / 'report.html'}", file=out)
    d = report.get("deliveries") or {}
    if args.notify:
        print(f"drill: deliveries: {d.get('sent', 0)} sent, {d.get('pending', 0)} still pending, "
              f"{d.get('failed', 0)} failed", file=out)
    if args.notify and d.get("undelivered"):
        for name, counts in d.get("per_notifier", {}).items():
            if counts["pending"] or counts["failed"]:
                print(f"  {name}: {counts['pending']} pending, {counts['failed']} failed", file=out)
        print(f"drill: {d['undelivered']} notification deliveries did not get through; run the same drill again "
              "to retry the pending ones (exit status 3)", file=out)
        return 3
    return 0
