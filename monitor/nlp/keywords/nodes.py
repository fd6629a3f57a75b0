"""The parsed form of a rule query: a small immutable tree.

Both evaluators (the compiled matcher and the reference evaluator) and the linter walk
this tree; nothing here knows how matching is done.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

FIELDS = ("author", "kind", "lang", "site", "source", "title")
"""Field filters a query may use (``title:`` scopes terms, the others test the post)."""

Scope = str  # "any" (title and text) or "title"


@dataclass(frozen=True, slots=True)
class Term:
    """A word, phrase, wildcard pattern or brand alias.

    ``pattern`` is the normalised text searched for; in a ``wildcard`` term ``*`` means
    zero or more and ``?`` exactly one word character of the term's script. ``text`` is
    how the rule wrote it (what a match reports). ``brand`` is set for terms that came
    from ``{brand}``.
    """

    text: str
    pattern: str
    wildcard: bool = False
    phrase: bool = False
    scope: Scope = "any"
    brand: str | None = None
    col: int = 0

    @property
    def key(self) -> tuple[str, bool, str]:
        """Identity for matching: two terms with the same key find the same occurrences."""
        return (self.pattern, self.wildcard, self.scope)


@dataclass(frozen=True, slots=True)
class Field:
    """A post-level filter such as ``source:reddit`` (value already lower-cased)."""

    name: str
    value: str
    col: int = 0


@dataclass(frozen=True, slots=True)
class Not:
    child: Node
    col: int = 0


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Near:
    """``left NEAR/n right`` (``ordered``: ONEAR, left first). Operands are terms or OR-groups of terms."""

    left: Node
    right: Node
    distance: int
    ordered: bool = False
    col: int = 0


Node = Term | Field | Not | And | Or | Near


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents first."""
    yield node
    if isinstance(node, Not):
        yield from walk(node.child)
    elif isinstance(node, And | Or):
        for child in node.children:
            yield from walk(child)
    elif isinstance(node, Near):
        yield from walk(node.left)
        yield from walk(node.right)


def terms(node: Node) -> list[Term]:
    """All term leaves, in query order."""
    return [n for n in walk(node) if isinstance(n, Term)]


def positive_terms(node: Node, negated: bool = False) -> list[Term]:
    """Terms that count *for* a match (not under an odd number of NOTs), in query order."""
    if isinstance(node, Term):
        return [] if negated else [node]
    if isinstance(node, Not):
        return positive_terms(node.child, not negated)
    if isinstance(node, And | Or):
        return [t for c in node.children for t in positive_terms(c, negated)]
    if isinstance(node, Near):
        return positive_terms(node.left, negated) + positive_terms(node.right, negated)
    return []


def render(node: Node) -> str:
    """Canonical query text for a tree (used by lint to spot duplicates, and by tests)."""
    if isinstance(node, Term):
        prefix = "title:" if node.scope == "title" else ""
        if node.brand is not None:
            return f'{prefix}"{node.pattern}"'
        return prefix + (f'"{node.pattern}"' if node.phrase else node.pattern)
    if isinstance(node, Field):
        return f'{node.name}:"{node.value}"'
    if isinstance(node, Not):
        return f"NOT {render(node.child)}"
    if isinstance(node, Near):
        op = "ONEAR" if node.ordered else "NEAR"
        return f"({render(node.left)} {op}/{node.distance} {render(node.right)})"
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(render(c) for c in node.children) + ")"
