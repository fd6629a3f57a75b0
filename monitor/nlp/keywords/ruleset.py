"""RuleSet: the compiled keywords.yaml, and the two ways to get one.

``load_rules`` / ``compile_rules`` either return a complete RuleSet or raise
ConfigError listing every problem; they never touch a RuleSet built earlier, so a
daemon that reloads a broken file keeps its last good set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from monitor.errors import ConfigError
from monitor.models import Post, RuleMatch, Trend
from monitor.nlp.keywords.loader import load_document
from monitor.nlp.keywords.matcher import Matcher
from monitor.nlp.keywords.model import Brand, Rule
from monitor.nlp.keywords.nodes import Or, Term
from monitor.nlp.keywords.text import normalize
from monitor.yamlio import Located, load_yaml


class RuleSet:
    """Brands and rules of one keywords file, compiled once into a :class:`Matcher`.

    Picklable: pickling keeps the parsed rules and rebuilds the automaton on load,
    which takes milliseconds.
    """

    def __init__(self, file: str, brands: Mapping[str, Brand], rules: Sequence[Rule]) -> None:
        self.file = file
        self.brands: dict[str, Brand] = dict(brands)
        self.rules: list[Rule] = list(rules)
        self._by_id = {r.id: r for r in self.rules}
        self._matcher = Matcher(self.rules)
        self._aliases = Matcher([_alias_rule(b) for b in self.brands.values() if _alias_rule(b) is not None])
        self._tickers: dict[str, list[str]] = {}
        for brand in self.brands.values():
            if brand.ticker:
                self._tickers.setdefault(brand.ticker.upper().lstrip("$"), []).append(brand.id)

    def __reduce__(self) -> tuple[Any, ...]:
        return (RuleSet, (self.file, self.brands, self.rules))

    def __len__(self) -> int:
        return len(self.rules)

    def __repr__(self) -> str:
        return f"RuleSet({self.file!r}, {len(self.brands)} brands, {len(self.rules)} rules)"

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id (KeyError if there is none)."""
        return self._by_id[rule_id]

    def match(self, post: Post) -> list[RuleMatch]:
        """Every rule that matches ``post``, in file order, each with the terms that matched."""
        return self._matcher.match(post)

    def match_many(self, posts: Sequence[Post]) -> list[list[RuleMatch]]:
        match = self._matcher.match
        return [match(p) for p in posts]

    def match_rule(self, rule_id: str, post: Post) -> RuleMatch | None:
        """Does this one rule match ``post``? (``rules test`` uses it for examples.)"""
        found = self._matcher.match(post, only={rule_id})
        return found[0] if found else None

    def match_trend(self, trend: Trend) -> list[RuleMatch]:
        """Brands a trending word is about: by name/alias (``<brand>:trending``), then by their rules."""
        post = Post(ts=trend.ts, source=trend.source, id=trend.key, text=trend.word)
        hits = self._aliases.match(post)
        seen = {m.rule_id for m in hits}
        hits.extend(m for m in self._matcher.match(post) if m.rule_id not in seen)
        return hits

    def brands_for_symbol(self, symbol: str) -> list[str]:
        """Brand ids whose ticker is ``symbol`` (case-insensitive, a leading ``$`` ignored)."""
        return list(self._tickers.get(symbol.strip().upper().lstrip("$"), ()))


def _alias_rule(brand: Brand) -> Rule | None:
    seen: dict[str, Term] = {}
    for name in brand.names:
        pattern = normalize(name)
        if pattern and any(c.isalnum() for c in pattern):
            seen.setdefault(pattern, Term(name, pattern, phrase=True, brand=brand.id))
    if not seen:
        return None
    terms = tuple(seen.values())
    node = terms[0] if len(terms) == 1 else Or(terms)
    return Rule(f"{brand.id}:trending", brand.id, "trending", "{brand}", node)


def compile_rules(data: Mapping[str, Any] | Located, file: str = "keywords.yaml") -> RuleSet:
    """A RuleSet from already-parsed YAML; raises ConfigError listing every problem.

    Pass the :class:`~monitor.yamlio.Located` from ``load_yaml`` to get line numbers
    in the messages (its own file name is used then).
    """
    doc = data if isinstance(data, Located) else Located(data=data, file=file)
    brands, rules, problems = load_document(doc)
    if problems:
        raise ConfigError(problems)
    return RuleSet(doc.file, brands, rules)


def load_rules(path: str | Path) -> RuleSet:
    """Read and compile a keywords file; raises ConfigError listing every problem."""
    return compile_rules(load_yaml(path))
