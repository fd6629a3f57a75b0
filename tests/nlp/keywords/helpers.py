"""Helpers shared by the keyword-rule tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import settings

from monitor.models import Post
from monitor.nlp.keywords import RuleSet, compile_rules

BRANDS: dict[str, Any] = {
    "acme": {"name": "Acme", "aliases": ["Acme", "Acme Corp", "@acme", "#acme", "艾克美"], "ticker": "ACME"},
    "rival": {"name": "Rival", "aliases": ["Rival Inc", "对手牌"]},
}
TS = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def post(text: str, **fields: Any) -> Post:
    fields.setdefault("source", "reddit")
    fields.setdefault("id", "p1")
    return Post(ts=TS, text=text, **fields)


def ruleset(*queries: str, **rule_fields: Any) -> RuleSet:
    """A RuleSet with one acme rule per query (ids r0, r1, ...)."""
    rules = [{"id": f"r{i}", "brand": "acme", "category": "quality", "query": q, **rule_fields}
             for i, q in enumerate(queries)]
    return compile_rules({"brands": BRANDS, "rules": rules})


def hits(query: str, text: str, **fields: Any) -> bool:
    return bool(ruleset(query).match(post(text, **fields)))


def examples(n: int) -> int:
    """``n`` property-test examples under the ci profile (100 by default), scaled with the active profile."""
    return max(1, n * settings.default.max_examples // 100)
