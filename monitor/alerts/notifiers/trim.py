"""Fitting a message into a channel's size limit: example posts go first.

The playbook, the holding statement and the follow-up plan are what the team acts on;
example posts only illustrate the why. So a body over the limit first loses example posts,
one at a time, and only then trailing sections (each notifier's own fitting).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def fewer_examples_first(build: Callable[[int], T], fits: Callable[[T], bool], max_examples: int) -> T:
    """``build(n)`` with the most example posts ``n <= max_examples`` that ``fits``; else ``build(0)``."""
    for n in range(max_examples, 0, -1):
        body = build(n)
        if fits(body):
            return body
    return build(0)
