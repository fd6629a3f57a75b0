"""The ``monitor`` command line. Each subcommand lives in its own module
with a ``register(subparsers)`` function that adds its parser and sets ``func``;
``func(args) -> int`` returns the exit code.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import typing
from collections.abc import Sequence

from monitor.cli.common import InputError
from monitor.cli.progress import announce_model_builds
from monitor.errors import ConfigError, MonitorError

COMMANDS = ["run", "demo", "drill", "record", "check", "rules", "sentiment", "sources", "incidents", "backtest",
            "backfill", "silence", "store", "worker"]
COMMANDS += ["brands", "init", "notifiers", "completion", "reference", "healthcheck"]
COMMANDS += ["scenario"]  # issue 17: drill scenarios
COMMANDS += ["tasks"]
COMMANDS += ["users"]


EXIT_OK, EXIT_RUNTIME, EXIT_INVALID, EXIT_USAGE = 0, 1, 2, 64
EPILOG = """exit codes:
  0   ok
  1   runtime error (a feed, store or network failure)
  2   invalid configuration or input (every problem is listed)
  3   drill --notify: some deliveries did not get through (counted in the report)
  64  usage error (unknown command or option, missing argument)
  130 interrupted

shell completion: source <(monitor completion bash)   (or zsh)"""


class Parser(argparse.ArgumentParser):
    """argparse with usage errors on exit code 64 (EX_USAGE), apart from 2 (invalid config or input)."""

    def error(self, message: str) -> typing.NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from monitor import __version__

    parser = Parser(
        prog="monitor",
        description="Brand Monitor: watch what the public says about a brand and raise crisis alerts.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"monitor (brand-monitor) {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        module = importlib.import_module(f"monitor.cli.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from monitor.logs import setup_logging

    setup_logging(args.verbose)
    announce_model_builds(sys.stderr)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"error: configuration is invalid ({len(exc.problems)} problem(s)):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_INVALID
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except MonitorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_RUNTIME
    except KeyboardInterrupt:
        logging.getLogger("monitor").warning("interrupted")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
