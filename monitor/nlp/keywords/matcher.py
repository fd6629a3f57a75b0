"""The compiled matcher: one Aho-Corasick pass over a post, then only the rules it could match.

Compilation gives every distinct term an id, puts each term's literal text (or, for
wildcards, its longest literal piece) into one automaton, and turns every rule into a
Python function of the set of term ids found. For each rule it also picks a
*trigger*: a set of terms at least one of which must occur for the rule to match
(a topic word rather than the brand, when it can). A post costs one normalisation,
one automaton pass, and the evaluation of the few rules whose trigger fired; rules
with no trigger (only NOT and field filters) are evaluated for every post.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import ahocorasick

from monitor.models import Post, RuleMatch
from monitor.nlp.keywords.fields import field_matches
from monitor.nlp.keywords.model import Rule
from monitor.nlp.keywords.nodes import And, Field, Near, Node, Not, Or, Term, near_terms, positive_terms, terms
from monitor.nlp.keywords.text import CJK_CLASS, LATIN_CLASS, is_latin, post_text, token_spans

_ASCII_WORD = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")  # text is case-folded


def wildcard_regex(term: Term) -> re.Pattern[str]:
    """All (overlapping) occurrences of a wildcard term: ``(?=(...))`` so group 1 is the span."""
    latin = any(is_latin(c) for c in term.pattern if c not in "*?")
    cls = LATIN_CLASS if latin else CJK_CLASS
    body = "".join(f"{cls}*" if c == "*" else cls if c == "?" else re.escape(c) for c in term.pattern)
    first, last = term.pattern[0], term.pattern[-1]
    head = "(?<!" + LATIN_CLASS + ")" if (first in "*?" and latin) or is_latin(first) else ""
    tail = "(?!" + LATIN_CLASS + ")" if (last in "*?" and latin) or is_latin(last) else ""
    return re.compile(f"(?=({head}{body}{tail}))")


def _anchor(term: Term) -> str:
    if not term.wildcard:
        return term.pattern
    return max(re.split(r"[*?]+", term.pattern), key=len)


class Context:
    """Per-post state handed to rule functions: occurrences and a lazy token map for NEAR."""

    __slots__ = ("_tokens", "occ", "post", "text")

    def __init__(self, post: Post, text: str, occ: dict[int, list[tuple[int, int]]]) -> None:
        self.post = post
        self.text = text
        self.occ = occ
        self._tokens: tuple[list[int], list[int]] | None = None

    def token_occ(self, tids: Sequence[int]) -> list[tuple[int, int]]:
        """Occurrences of any of ``tids`` as (first token, last token)."""
        if self._tokens is None:
            self._tokens = token_spans(self.text)
        starts, ends = self._tokens
        out = []
        for tid in tids:
            for a, b in self.occ.get(tid, ()):
                out.append((bisect_right(ends, a), bisect_left(starts, b) - 1))
        return out


def near(ctx: Context, left: Sequence[int], right: Sequence[int], distance: int, ordered: bool) -> bool:
    """Some left and right occurrences, not overlapping, with at most ``distance`` tokens between."""
    rights = ctx.token_occ(right)
    for a0, a1 in ctx.token_occ(left):
        for b0, b1 in rights:
            if a1 < b0:
                if b0 - a1 - 1 <= distance:
                    return True
            elif not ordered and b1 < a0 and a0 - b1 - 1 <= distance:
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
    fn: Callable[[set[int], Context], bool]
    report: tuple[tuple[frozenset[int], str], ...]


class Matcher:
    """All rules of a set, compiled into one automaton plus one function per rule."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self._tids: dict[tuple[str, bool, str], int] = {}
        self._terms: list[Term] = []
        self._need_occ: set[int] = set()
        for rule in rules:
            for term in near_terms(rule.node):
                self._need_occ.add(self._tid(term))
            for term in terms(rule.node):
                self._tid(term)
        self._compiled = [self._compile(rule) for rule in rules]
        self._brand_tids = {self._tids[t.key] for r in rules for t in terms(r.node) if t.brand is not None}
        triggers: list[list[int]] = [[] for _ in self._terms]
        always: list[int] = []
        for index, rule in enumerate(rules):
            trig = self._trigger(rule.node)
            if trig is None:
                always.append(index)
            else:
                for tid in trig:
                    triggers[tid].append(index)
        self._triggers = [tuple(t) for t in triggers]
        self._always = tuple(always)
        self._wild: dict[int, re.Pattern[str]] = {}
        self._automaton = self._build_automaton()

    # -- compilation
    def _tid(self, term: Term) -> int:
        tid = self._tids.get(term.key)
        if tid is None:
            tid = self._tids[term.key] = len(self._terms)
            self._terms.append(term)
        return tid

    def _build_automaton(self) -> Any:
        entries: dict[str, list[tuple[int, int, bool, bool, bool, bool]]] = {}
        for tid, term in enumerate(self._terms):
            anchor = _anchor(term)
            if term.wildcard:
                self._wild[tid] = wildcard_regex(term)
                entries.setdefault(anchor, []).append((tid, -1, False, False, False, False))
                continue
            entries.setdefault(anchor, []).append(
                (tid, len(anchor), is_latin(anchor[0]), is_latin(anchor[-1]), term.scope == "title",
                 tid in self._need_occ))
        automaton = ahocorasick.Automaton()
        for key, value in entries.items():
            automaton.add_word(key, tuple(value))
        if entries:
            automaton.make_automaton()
        return automaton if entries else None

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
        fn = eval(f"lambda F, C: {' and '.join(parts)}", dict(_HELPERS))
        report: dict[str, set[int]] = {}
        for term in positive_terms(rule.node):
            report.setdefault(term.text, set()).add(self._tids[term.key])
        return _Compiled(rule, fn, tuple((frozenset(tids), text) for text, tids in report.items()))

    def _trigger(self, node: Node) -> frozenset[int] | None:
        if isinstance(node, Term):
            return frozenset((self._tids[node.key],))
        if isinstance(node, Or):
            parts = [self._trigger(c) for c in node.children]
            if any(p is None for p in parts):
                return None
            return frozenset().union(*parts)  # type: ignore[arg-type]
        if isinstance(node, And):
            options = [p for p in (self._trigger(c) for c in node.children) if p is not None]
            return min(options, key=self._cost) if options else None
        if isinstance(node, Near):
            options = [p for p in (self._trigger(node.left), self._trigger(node.right)) if p is not None]
            return min(options, key=self._cost) if options else None
        return None  # Field, Not: a rule can match without any term of theirs

    def _cost(self, trig: frozenset[int]) -> tuple[bool, int]:
        """Brand names occur in most posts we see; a topic word is the better trigger."""
        return (trig <= self._brand_tids, len(trig))

    # -- matching
    def find(self, text: str, title_len: int) -> tuple[set[int], dict[int, list[tuple[int, int]]]]:
        """Term ids present in normalised ``text`` (and the spans of those NEAR needs)."""
        found: set[int] = set()
        occ: dict[int, list[tuple[int, int]]] = {}
        if self._automaton is None or not text:
            return found, occ
        n = len(text)
        pending: set[int] = set()
        ascii_word = _ASCII_WORD
        for end, entries in self._automaton.iter(text):
            for tid, length, lcheck, rcheck, title_only, keep in entries:
                if length < 0:
                    pending.add(tid)
                    continue
                if tid in found and not keep:
                    continue
                start = end - length + 1
                if lcheck and start:
                    c = text[start - 1]
                    if c in ascii_word or (c > "\x7f" and is_latin(c)):
                        continue
                if rcheck and end + 1 < n:
                    c = text[end + 1]
                    if c in ascii_word or (c > "\x7f" and is_latin(c)):
                        continue
                if title_only and end >= title_len:
                    continue
                found.add(tid)
                if keep:
                    occ.setdefault(tid, []).append((start, end + 1))
        for tid in pending:
            title_only = self._terms[tid].scope == "title"
            keep = tid in self._need_occ
            for m in self._wild[tid].finditer(text):
                start, stop = m.span(1)
                if title_only and stop > title_len:
                    continue
                found.add(tid)
                if not keep:
                    break
                occ.setdefault(tid, []).append((start, stop))
        return found, occ

    def match(self, post: Post, only: set[str] | None = None) -> list[RuleMatch]:
        """Every rule that matches ``post`` (``only``: restrict to these rule ids), in file order."""
        text, title_len = post_text(post.title, post.text)
        found, occ = self.find(text, title_len)
        candidates: set[int] = set(self._always)
        triggers = self._triggers
        for tid in found:
            candidates.update(triggers[tid])
        if not candidates:
            return []
        ctx = Context(post, text, occ)
        out: list[RuleMatch] = []
        compiled = self._compiled
        for index in sorted(candidates):
            c = compiled[index]
            if only is not None and c.rule.id not in only:
                continue
            if c.fn(found, ctx):
                rule = c.rule
                out.append(RuleMatch(rule.id, rule.brand, rule.category,
                                     tuple(term for tids, term in c.report if not tids.isdisjoint(found))))
        return out
