"""The compiled matcher: one pass over a post, then only the rules it could match.

Compilation gives every distinct term an id and a search plan (termplan.py), which
finder.py uses to say which terms a post contains. Every rule becomes a Python
function of the set of term ids found, and is indexed under a *trigger*: a set of
terms at least one of which must occur for the rule to match (a topic word rather
than the brand, when it can). A post costs one normalisation, one term search, and
the evaluation of the few rules whose trigger fired; rules with no trigger (only NOT
and field filters) are evaluated for every post. Term positions are worked out only
when a NEAR needs them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.models import Post, RuleMatch
from monitor.nlp.keywords.fields import field_matches
from monitor.nlp.keywords.finder import TermFinder, occurrences
from monitor.nlp.keywords.model import Rule
from monitor.nlp.keywords.nodes import And, Field, Near, Node, Not, Or, Term, positive_terms, terms
from monitor.nlp.keywords.termplan import TermPlan, plan
from monitor.nlp.keywords.text import TOKEN, match_text, post_text


class Context:
    """Per-post state handed to rule functions: the text, and term positions worked out on demand."""

    __slots__ = ("_spans", "found", "matcher", "post", "text", "title_len")

    def __init__(self, matcher: Matcher, post: Post, text: str, title_len: int, found: set[int]) -> None:
        self.matcher = matcher
        self.post = post
        self.text = text
        self.title_len = title_len
        self.found = found
        self._spans: dict[int, list[tuple[int, int]]] = {}

    def spans(self, tids: Sequence[int]) -> list[tuple[int, int]]:
        """Character spans of every occurrence of any of ``tids``."""
        out: list[tuple[int, int]] = []
        for tid in tids:
            if tid not in self.found:
                continue
            spans = self._spans.get(tid)
            if spans is None:
                spans = occurrences(self.matcher.plans[tid], self.text)
                if self.matcher.terms[tid].scope == "title":
                    spans = [s for s in spans if s[1] <= self.title_len]
                self._spans[tid] = spans
            out.extend(spans)
        return out


def near(ctx: Context, left: Sequence[int], right: Sequence[int], distance: int, ordered: bool) -> bool:
    """Some left and right occurrences, not overlapping, with at most ``distance`` tokens between.

    Occurrences never split a token (Latin terms end at word boundaries; CJK characters
    are tokens of their own), so the tokens between two occurrences are the tokens of
    the text between them. A token has at least one character, which often settles it
    without counting.
    """
    rights = ctx.spans(right)
    text = ctx.text
    count = TOKEN.findall
    for a0, a1 in ctx.spans(left):
        for b0, b1 in rights:
            if a1 <= b0:
                if b0 - a1 <= distance or len(count(text, a1, b0)) <= distance:
                    return True
            elif not ordered and b1 <= a0 and (a0 - b1 <= distance or len(count(text, b1, a0)) <= distance):
                return True
    return False


def _field(ctx: Context, name: str, value: str) -> bool:
    return field_matches(ctx.post, name, value)


def _any_field(ctx: Context, name: str, values: tuple[str, ...]) -> bool:
    return any(field_matches(ctx.post, name, v) for v in values)


_HELPERS: dict[str, Any] = {"_near": near, "_field": _field, "_any": _any_field, "__builtins__": {}}


@dataclass(slots=True)
class _Compiled:
    rule: Rule
    fn: Callable[[set[int], Context | None], bool]
    needs_context: bool  # NEAR or field filters: the function reads the post or positions
    report: tuple[tuple[int, str], ...]  # (term id, term as written) of every positive term, in query order
    repeats: bool  # the same text appears under more than one term id

    def terms(self, found: set[int]) -> tuple[str, ...]:
        """The rule's positive terms present in the post, in query order, each once."""
        if not self.repeats:
            return tuple([text for tid, text in self.report if tid in found])
        out: dict[str, None] = {}
        for tid, text in self.report:
            if tid in found:
                out.setdefault(text, None)
        return tuple(out)


class Matcher:
    """All rules of a set, compiled into one term finder plus one function per rule."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self._tids: dict[tuple[str, bool, str], int] = {}
        self.terms: list[Term] = []
        for rule in rules:
            for term in terms(rule.node):
                self._tid(term)
        self.plans: list[TermPlan] = [plan(t) for t in self.terms]
        self._compiled = [self._compile(rule) for rule in rules]
        self._brand_tids = {self._tids[t.key] for r in rules for t in terms(r.node) if t.brand is not None}
        # Each rule is indexed under its cheapest requirement group (a set of terms of which
        # one must occur; a topic word rather than a brand name when it can) and, when it has
        # one, checks a second group (typically the brand) before its function is called.
        first: list[list[int]] = [[] for _ in self.terms]
        always: list[int] = []
        interned: dict[frozenset[int], frozenset[int]] = {}
        self._second: list[frozenset[int] | None] = []
        for index, rule in enumerate(rules):
            groups = sorted(set(self._groups(rule.node)), key=self._cost)
            if not groups:
                always.append(index)
            for tid in groups[0] if groups else ():
                first[tid].append(index)
            self._second.append(interned.setdefault(groups[1], groups[1]) if len(groups) > 1 else None)
        self._first = {tid: tuple(r) for tid, r in enumerate(first) if r}
        self._trigger_tids = frozenset(self._first)
        self._always = frozenset(always)
        # Rules sharing a second group (one per brand, usually) are filtered together, with
        # set operations, rather than one by one; too many distinct groups and it isn't worth it.
        by_group: dict[frozenset[int], set[int]] = {}
        for index, group in enumerate(self._second):
            if group is not None:
                by_group.setdefault(group, set()).add(index)
        self._grouped = [(g, frozenset(r)) for g, r in by_group.items()] if len(by_group) <= 16 else None
        self._ungrouped = frozenset(i for i, g in enumerate(self._second) if g is None)
        self._finder = TermFinder(self.terms, self.plans)
        self._results: dict[tuple[int, tuple[str, ...]], RuleMatch] = {}

    # -- compilation
    def _tid(self, term: Term) -> int:
        tid = self._tids.get(term.key)
        if tid is None:
            tid = self._tids[term.key] = len(self.terms)
            self.terms.append(term)
        return tid

    def _expr(self, node: Node) -> str:
        if isinstance(node, Term):
            return f"({self._tids[node.key]} in F)"
        if isinstance(node, Field):
            return f"_field(C, {node.name!r}, {node.value!r})"
        if isinstance(node, Not):
            return f"(not {self._expr(node.child)})"
        if isinstance(node, And | Or):
            op = " and " if isinstance(node, And) else " or "
            return "(" + op.join(self._expr(c) for c in node.children) + ")"
        assert isinstance(node, Near)
        left = tuple(sorted({self._tids[t.key] for t in terms(node.left)}))
        right = tuple(sorted({self._tids[t.key] for t in terms(node.right)}))
        return (f"({self._expr(node.left)} and {self._expr(node.right)} and "
                f"_near(C, {left!r}, {right!r}, {node.distance}, {node.ordered}))")

    def _compile(self, rule: Rule) -> _Compiled:
        parts = [f"_any(C, {name!r}, {values!r})" for name, values in rule.filters.items()]
        parts.append(self._expr(rule.node))
        source = " and ".join(parts)
        fn = eval(f"lambda F, C: {source}", dict(_HELPERS))
        needs_context = "C" in source  # only _field, _any and _near calls pass the context C
        report: dict[tuple[int, str], None] = {}
        for term in positive_terms(rule.node):
            report.setdefault((self._tids[term.key], term.text), None)
        repeats = len({text for _, text in report}) < len(report)
        return _Compiled(rule, fn, needs_context, tuple(report), repeats)

    def _groups(self, node: Node) -> list[frozenset[int]]:
        """Requirement groups: sets of term ids, each of which must meet the post for ``node`` to match."""
        if isinstance(node, Term):
            return [frozenset((self._tids[node.key],))]
        if isinstance(node, Or):
            parts = [self._groups(c) for c in node.children]
            if not all(parts):
                return []
            return [frozenset().union(*(min(p, key=self._cost) for p in parts))]
        if isinstance(node, And):
            return [g for c in node.children for g in self._groups(c)]
        if isinstance(node, Near):
            return self._groups(node.left) + self._groups(node.right)
        return []  # Field, Not: a rule can match without any term of theirs

    def _cost(self, trig: frozenset[int]) -> tuple[bool, int]:
        """Brand names occur in most posts we see; a topic word is the better trigger."""
        return (trig <= self._brand_tids, len(trig))

    # -- matching
    def match(self, post: Post, only: set[str] | None = None) -> list[RuleMatch]:
        """Every rule that matches ``post`` (``only``: restrict to these rule ids), in file order."""
        if post.title:
            text, title_len = post_text(post.title, post.text, match_text)
        else:
            text, title_len = match_text(post.text), 0
        found = self._finder.find(text, title_len)
        candidates: set[int] = set()
        first = self._first
        for tid in self._trigger_tids.intersection(found):
            candidates.update(first[tid])
        if self._always:
            candidates.update(self._always)
        if not candidates:
            return []
        second: list[frozenset[int] | None] | None = self._second
        if self._grouped is not None:
            keep = candidates.intersection(self._ungrouped)
            for group, members in self._grouped:
                hit = candidates.intersection(members)
                if hit and not group.isdisjoint(found):
                    keep.update(hit)
            candidates, second = keep, None
        ctx: Context | None = None
        out: list[RuleMatch] = []
        compiled = self._compiled
        for index in sorted(candidates):
            if second is not None and (group := second[index]) is not None and group.isdisjoint(found):
                continue
            c = compiled[index]
            if only is not None and c.rule.id not in only:
                continue
            if c.needs_context and ctx is None:
                ctx = Context(self, post, text, title_len, found)
            if c.fn(found, ctx):
                out.append(self._result(index, c.terms(found)))
        return out

    def _result(self, index: int, terms: tuple[str, ...]) -> RuleMatch:
        """RuleMatch objects are immutable, so equal ones are shared rather than built again."""
        key = (index, terms)
        hit = self._results.get(key)
        if hit is None:
            if len(self._results) > 20_000:
                self._results.clear()
            rule = self._compiled[index].rule
            hit = self._results[key] = RuleMatch(rule.id, rule.brand, rule.category, terms)
        return hit
