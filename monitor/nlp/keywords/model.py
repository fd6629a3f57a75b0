"""Brands and rules as loaded from keywords.yaml (plain, picklable records)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from monitor.models import Post
from monitor.nlp.keywords.nodes import Node

FILTER_KEYS = ("lang", "kind", "source", "site", "author")
"""Keys allowed under a rule's ``filters:`` (each a list of accepted values)."""

EXAMPLE_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Brand:
    """A watched brand: what it is called (in every language) and its stock ticker."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    ticker: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """Name first, then aliases, without repeats: what ``{brand}`` expands to."""
        seen: dict[str, None] = {self.name: None}
        for alias in self.aliases:
            seen.setdefault(alias, None)
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class Example:
    """One ``examples`` entry: a post that must (or must not) match its rule."""

    post: Post
    expect: bool  # True for examples.match, False for examples.no_match
    index: int
    line: int | None = None

    @property
    def label(self) -> str:
        return f"{'match' if self.expect else 'no_match'}[{self.index}]"


@dataclass(frozen=True, slots=True)
class Rule:
    """A brand x topic rule. ``node`` is the parsed query (with ``{brand}`` expanded)."""

    id: str
    brand: str
    category: str
    query: str
    node: Node
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    examples: tuple[Example, ...] = ()
    line: int | None = None
    description: str = ""


def example_post(value: Any, rule_id: str, n: int) -> Post:
    """Build the Post for an example: a string is its text, a mapping holds post fields."""
    if isinstance(value, str):
        return Post(ts=EXAMPLE_EPOCH, source="example", id=f"{rule_id}#{n}", text=value)
    data = dict(value)
    return Post(
        ts=EXAMPLE_EPOCH,
        source=str(data.pop("source", "example")),
        id=str(data.pop("id", f"{rule_id}#{n}")),
        text=str(data.pop("text", "")),
        title=data.pop("title", None),
        author=data.pop("author", None),
        url=data.pop("url", None),
        lang=data.pop("lang", None),
        kind=str(data.pop("kind", "social")),
        outlet=data.pop("outlet", None),
        reposts=int(data.pop("reposts", 0)),
        likes=int(data.pop("likes", 0)),
        replies=int(data.pop("replies", 0)),
        extra=data,
    )
