"""Options and helpers shared by several subcommands."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from monitor.errors import MonitorError


def add_config(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", "-c", metavar="FILE",
                   help="monitor.yaml (default: ./monitor.yaml if present, else the embedded default)")


def print_json(data: Any) -> None:
    """One line of JSON on stdout: the machine-readable contract of --json outputs."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def color_choice(args: argparse.Namespace) -> bool | None:
    if getattr(args, "no_color", False):
        return False
    if getattr(args, "color", False):
        return True
    return None


class InputError(MonitorError):
    """A command's input (a file, a value) is wrong: exit code 2, like an invalid configuration."""
