"""`monitor sources` (placeholder until its issue lands)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("sources", help="(not built yet)")
    p.set_defaults(func=lambda args: print("monitor sources: not built yet") or 1)
