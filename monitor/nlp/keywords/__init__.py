"""The keyword rule language: keywords.yaml -> a compiled matcher over posts and trends.

Public API (used by the pipeline, ``monitor check`` and ``monitor rules``)::

    rs = load_rules("keywords.yaml")      # or compile_rules(parsed_yaml, file=...)
    rs.match(post) -> list[RuleMatch]      # every matching rule, with the terms that matched
    rs.match_many(posts), rs.match_trend(trend), rs.brands_for_symbol("ACME")

Both raise ConfigError listing every problem (``keywords.yaml: rule acme-fire: column
14: NEAR/ needs a number, e.g. NEAR/5`` plus a caret line) and never touch a RuleSet
loaded earlier, so a daemon keeps its last good set when a reload fails.

The language, in brief:

* ``broken`` (Latin: whole word, any case), ``质量`` (CJK: anywhere), ``"stopped working"``
  (phrase), ``defect*`` (any ending), ``wom?n`` (one character), ``{brand}`` (the rule's
  brand's name and aliases), ``{brand:other}`` (another brand's).
* ``a AND b`` (also ``a b``), ``a OR b``, ``NOT a`` (also ``-a``), parentheses;
  NEAR/ONEAR bind tightest, then NOT, then AND, then OR.
* ``a NEAR/n b``: at most n tokens between, either order; ``a ONEAR/n b``: a first. A
  Latin word or one CJK character is a token; operands are terms or OR-groups of terms.
* Field filters: ``source:reddit``, ``kind:news``, ``lang:zh`` (zh matches zh-CN; posts
  without lang are guessed from their script), ``author:name``, ``site:reuters.com``
  (outlet or URL host, subdomains included), ``title:term`` / ``title:(...)``. Plain
  terms search the title and the text.
* Case, full-/half-width forms and traditional/simplified Chinese never matter.

See parser.py for the grammar, text.py for normalisation, matcher.py/finder.py for how
matching is made fast, and reference.py for the plain statement of what it means.
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
