"""The keyword rule language: keywords.yaml -> a compiled matcher over posts and trends.

Public API (used by the pipeline, ``monitor check`` and ``monitor rules``)::

    rs = load_rules("keywords.yaml")      # or compile_rules(parsed_yaml, file=...)
    rs.match(post) -> list[RuleMatch]
    rs.match_many(posts), rs.match_trend(trend), rs.brands_for_symbol("ACME")

See parser.py for the grammar and text.py for how text is normalised.
"""

from monitor.nlp.keywords.model import Brand, Example, Rule
from monitor.nlp.keywords.parser import QueryError, parse_query
from monitor.nlp.keywords.ruleset import RuleSet, compile_rules, load_rules
from monitor.nlp.keywords.text import normalize

__all__ = [
    "Brand",
    "Example",
    "QueryError",
    "Rule",
    "RuleSet",
    "compile_rules",
    "load_rules",
    "normalize",
    "parse_query",
]
