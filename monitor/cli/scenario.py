"""`monitor scenario compose`: lay a scripted crisis (docs/scenarios.md) over a normal day for a drill."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from monitor.cli.common import InputError, print_json
from monitor.drills.compose import compose
from monitor.drills.scenario import load_scenario
from monitor.errors import ConfigError, MonitorError
from monitor.models import format_ts


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("scenario", help="compose drill recordings from scripted crisis scenarios")
    ssub = p.add_subparsers(dest="action", metavar="ACTION")
    ssub.required = True
    c = ssub.add_parser("compose", help="lay a scenario over a recorded (or generated) normal period",
                        description="Write a recording in the event format: the baseline's events plus the "
                                    "scenario's, sorted by time, each scenario event marked with its phase "
                                    "(docs/scenarios.md). Run it with `monitor drill`.")
    c.add_argument("--baseline", required=True, help="a recorded normal period (JSONL), or 'generated'")
    c.add_argument("--inject", required=True, type=Path, help="the scenario YAML")
    c.add_argument("--at", required=True, help="when the scenario starts, e.g. 2026-03-07T02:30 (local time in "
                                              "--tz) or 2026-03-06T18:30Z")
    c.add_argument("--tz", default="UTC", help="time zone of --at when it has no offset (e.g. Asia/Shanghai)")
    c.add_argument("--seed", type=int, default=0, help="the same seed composes the same drill (default 0)")
    c.add_argument("--generate-baseline", type=float, default=48.0, metavar="HOURS",
                   help="hours of generated normal traffic with --baseline generated (default 48)")
    c.add_argument("--baseline-posts", type=int, default=2000, metavar="N",
                   help="posts in the generated baseline (default 2000)")
    c.add_argument("--out", required=True, type=Path, help="the drill recording to write (JSONL)")
    c.add_argument("--json", action="store_true", help="print what was composed as one JSON line")
    c.set_defaults(func=run_compose)


def parse_at(value: str, tz: str) -> datetime:
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"--tz {tz!r} is not a known time zone (write e.g. UTC, Europe/London, Asia/Shanghai)") \
            from None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"--at {value!r} is not a time (write e.g. 2026-03-07T02:30)") from None
    return at.replace(tzinfo=zone) if at.tzinfo is None else at


def run_compose(args: argparse.Namespace) -> int:
    at = parse_at(args.at, args.tz)
    if args.generate_baseline <= 0 or args.baseline_posts < 0:
        raise InputError("--generate-baseline must be positive and --baseline-posts not negative")
    try:
        scenario = load_scenario(args.inject)
    except ConfigError as exc:
        print(f"error: scenario is invalid ({len(exc.problems)} problem(s)):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    baseline = None if args.baseline == "generated" else Path(args.baseline)
    try:
        result = compose(scenario, at, args.out, baseline=baseline, seed=args.seed,
                         generate_hours=args.generate_baseline, baseline_posts=args.baseline_posts)
    except MonitorError as exc:
        raise InputError(str(exc)) from exc
    summary = {"out": str(args.out), "scenario": scenario.scenario, "at": format_ts(at),
               "baseline_events": result.baseline_events, "scenario_events": result.scenario_events,
               "bad_lines": result.bad_lines, "baseline_shifted_days": result.shifted_days,
               "first_event": format_ts(result.first) if result.first else None,
               "last_event": format_ts(result.last) if result.last else None, "phases": result.phases}
    if args.json:
        print_json(summary)
        return 0
    out = sys.stderr
    print(f"composed {args.out}: {result.baseline_events} baseline + {result.scenario_events} scenario events "
          f"({summary['first_event']} .. {summary['last_event']})", file=out)
    for bad in result.bad_lines:
        print(f"  skipped {bad}", file=out)
    if result.shifted_days:
        print(f"  the baseline was moved by {result.shifted_days} day(s) to cover --at", file=out)
    for ph in result.phases:
        print(f"  phase {ph['phase']:<24} starts {ph['start']}  expect {ph['expect']}", file=out)
    return 0
