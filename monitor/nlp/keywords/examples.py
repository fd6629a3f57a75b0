"""Running each rule's ``examples`` (``monitor rules test``)."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.nlp.keywords.model import Example, Rule
from monitor.nlp.keywords.ruleset import RuleSet


@dataclass(frozen=True, slots=True)
class ExampleResult:
    rule: Rule
    example: Example
    matched: bool
    terms: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return self.matched == self.example.expect

    def describe(self, file: str) -> str:
        """``file: rule id: line N: examples.match[0] did not match: "text"``."""
        ex = self.example
        line = f": line {ex.line}" if ex.line is not None else ""
        what = (f"matched (terms: {', '.join(self.terms)})" if self.matched else "did not match")
        fields = [f"{k}={v}" for k, v in (("title", ex.post.title), ("kind", ex.post.kind if ex.post.kind != "social"
                  else None), ("source", ex.post.source if ex.post.source != "example" else None),
                  ("lang", ex.post.lang), ("url", ex.post.url), ("outlet", ex.post.outlet),
                  ("author", ex.post.author)) if v]
        extra = f" [{', '.join(fields)}]" if fields else ""
        return f"{file}: rule {self.rule.id}{line}: examples.{ex.label} {what}: {ex.post.text!r}{extra}"


def run_examples(rs: RuleSet) -> list[ExampleResult]:
    """Every example of every rule, evaluated against its own rule only."""
    out: list[ExampleResult] = []
    for rule in rs.rules:
        for ex in rule.examples:
            m = rs.match_rule(rule.id, ex.post)
            out.append(ExampleResult(rule, ex, m is not None, m.terms if m else ()))
    return out
