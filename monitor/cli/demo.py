"""`monitor demo` (placeholder until its issue lands)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("demo", help="(not built yet)")
    p.set_defaults(func=lambda args: print("monitor demo: not built yet") or 1)
