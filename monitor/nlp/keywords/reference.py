"""A straightforward evaluator: every rule, every term, one regular expression each.

It states what the language means in the plainest code we could write, so the
property tests can check the compiled matcher against it, and the benchmark uses it
as the naive baseline. Do not optimise it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from monitor.models import Post, RuleMatch
from monitor.nlp.keywords.fields import field_matches
from monitor.nlp.keywords.model import Rule
from monitor.nlp.keywords.nodes import And, Field, Near, Node, Not, Or, Term, positive_terms
from monitor.nlp.keywords.text import CJK_CLASS, LATIN_CLASS, is_latin, post_text, token_spans


def term_regex(term: Term) -> re.Pattern[str]:
    """Whole-word for Latin edges, substring for CJK edges."""
    chars = term.pattern
    latin_script = any(is_latin(c) for c in chars if not (term.wildcard and c in "*?"))
    wild_class = LATIN_CLASS if latin_script else CJK_CLASS
    parts = []
    for c in chars:
        if term.wildcard and c == "*":
            parts.append(wild_class + "*")
        elif term.wildcard and c == "?":
            parts.append(wild_class)
        else:
            parts.append(re.escape(c))

    def latin_edge(c: str) -> bool:
        return (term.wildcard and c in "*?" and latin_script) or is_latin(c)

    before = f"(?<!{LATIN_CLASS})" if latin_edge(chars[0]) else ""
    after = f"(?!{LATIN_CLASS})" if latin_edge(chars[-1]) else ""
    return re.compile(before + "".join(parts) + after)


def all_occurrences(regex: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    """Spans of every match, overlapping ones included (``finditer`` alone skips those)."""
    out = []
    pos = 0
    while (m := regex.search(text, pos)) is not None:
        out.append(m.span())
        pos = m.start() + 1
    return out


class ReferenceEvaluator:
    """Evaluates each rule on its own; ``match`` returns what RuleSet.match must return."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = list(rules)
        self._regex: dict[Term, re.Pattern[str]] = {}

    def _pattern(self, term: Term) -> re.Pattern[str]:
        regex = self._regex.get(term)
        if regex is None:
            regex = self._regex[term] = term_regex(term)
        return regex

    def _find(self, term: Term, text: str, title_len: int) -> list[tuple[int, int]]:
        spans = all_occurrences(self._pattern(term), text)
        if term.scope == "title":
            spans = [s for s in spans if s[1] <= title_len]
        return spans

    def _occurs(self, term: Term, text: str, title_len: int) -> bool:
        if term.scope == "title":
            return bool(self._pattern(term).search(text[:title_len]))
        return self._pattern(term).search(text) is not None

    def _spans(self, node: Node, text: str, title_len: int) -> list[tuple[int, int]]:
        if isinstance(node, Term):
            return self._find(node, text, title_len)
        assert isinstance(node, Or)  # the parser only allows terms and OR-groups under NEAR
        return [s for c in node.children for s in self._spans(c, text, title_len)]

    def eval(self, node: Node, post: Post, text: str, title_len: int) -> bool:
        if isinstance(node, Term):
            return self._occurs(node, text, title_len)
        if isinstance(node, Field):
            return field_matches(post, node.name, node.value)
        if isinstance(node, Not):
            return not self.eval(node.child, post, text, title_len)
        if isinstance(node, And):
            return all(self.eval(c, post, text, title_len) for c in node.children)
        if isinstance(node, Or):
            return any(self.eval(c, post, text, title_len) for c in node.children)
        assert isinstance(node, Near)
        tokens = token_spans(text)

        def between(a: int, b: int) -> int:
            return sum(1 for start, end in tokens if a <= start and end <= b)

        for l_start, l_end in self._spans(node.left, text, title_len):
            for r_start, r_end in self._spans(node.right, text, title_len):
                if l_end <= r_start and between(l_end, r_start) <= node.distance:
                    return True
                if not node.ordered and r_end <= l_start and between(r_end, l_start) <= node.distance:
                    return True
        return False

    def matches(self, rule: Rule, post: Post, normalized: tuple[str, int] | None = None) -> RuleMatch | None:
        text, title_len = normalized or post_text(post.title, post.text)
        for name, values in rule.filters.items():
            if not any(field_matches(post, name, v) for v in values):
                return None
        if not self.eval(rule.node, post, text, title_len):
            return None
        found: list[str] = []
        for term in positive_terms(rule.node):
            if term.text not in found and self._occurs(term, text, title_len):
                found.append(term.text)
        return RuleMatch(rule.id, rule.brand, rule.category, tuple(found))

    def match(self, post: Post) -> list[RuleMatch]:
        normalized = post_text(post.title, post.text)
        return [m for rule in self.rules if (m := self.matches(rule, post, normalized)) is not None]
