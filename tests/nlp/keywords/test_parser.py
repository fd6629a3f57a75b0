"""The query grammar: structure, precedence, and the exact message of every syntax error."""

from __future__ import annotations

import pytest

from monitor.errors import ConfigError
from monitor.nlp.keywords import compile_rules, parse_query
from monitor.nlp.keywords.nodes import And, Field, Near, Not, Or, Term, render

from .helpers import BRANDS

ALIASES = {"acme": ("Acme", "Acme Corp", "艾克美"), "rival": ("Rival",)}


def parse(query: str) -> str:
    return render(parse_query(query, "acme", ALIASES))


@pytest.mark.parametrize(("query", "tree"), [
    ("a b c", "(a AND b AND c)"),
    ("a OR b c", "(a OR (b AND c))"),
    ("NOT a b", "(NOT a AND b)"),
    ("a -b", "(a AND NOT b)"),
    ("-(a OR b)", "NOT (a OR b)"),
    ("a AND NOT b OR c", "((a AND NOT b) OR c)"),
    ("a NEAR/3 b AND c", "((a NEAR/3 b) AND c)"),
    ("NOT a NEAR/3 b", "NOT (a NEAR/3 b)"),
    ("(a OR b) ONEAR/0 c", "((a OR b) ONEAR/0 c)"),
    ("{brand}", '("acme" OR "acme corp" OR "艾克美")'),
    ("{brand:rival}", '"rival"'),
    ('"Acme  Corp"', '"acme corp"'),
    ("title:recall", "title:recall"),
    ('title:(a OR "b c")', '(title:a OR title:"b c")'),
    ("title:-a", "NOT title:a"),
    ("source:Reddit kind:news", '(source:"reddit" AND kind:"news")'),
    ('author:"@J Doe"', 'author:"j doe"'),
    ("site:https://www.Reuters.com/world", 'site:"reuters.com"'),
    ("（ａ　ＯＲ　ｂ）", "(a OR b)"),  # full-width brackets and operators fold to half-width
    ("wi-fi", "wi-fi"),
    ("and or not", "(and AND or AND not)"),
])
def test_structure(query: str, tree: str) -> None:
    assert parse(query) == tree


def test_nodes_carry_columns() -> None:
    node = parse_query("broken AND  fire* NEAR/2 acme kind:news", "acme", ALIASES)
    assert isinstance(node, And)
    near, field = node.children[1], node.children[2]
    assert isinstance(near, Near) and isinstance(field, Field)
    assert isinstance(near.left, Term) and near.left.col == 12 and near.left.wildcard
    assert near.col == 18 and field.col == 30


def test_terms() -> None:
    node = parse_query('Ｄefect* 質量 "Stopped  working"', "acme", ALIASES)
    assert isinstance(node, And)
    assert [(t.text, t.pattern, t.wildcard, t.phrase) for t in node.children] == [  # type: ignore[union-attr]
        ("Ｄefect*", "defect*", True, False), ("質量", "质量", False, False),
        ('"Stopped  working"', "stopped working", False, True)]
    assert isinstance(parse_query("-a", "acme", ALIASES), Not)
    assert isinstance(parse_query("a OR b", "acme", ALIASES), Or)


def error(query: str) -> str:
    data = {"brands": BRANDS, "rules": [{"id": "acme-fire", "brand": "acme", "category": "safety", "query": query}]}
    with pytest.raises(ConfigError) as info:
        compile_rules(data)
    (problem,) = info.value.problems
    return str(problem)


@pytest.mark.parametrize(("query", "message"), [
    ("{brand} AND NEAR/ fire",
     "keywords.yaml: rule acme-fire: column 13: NEAR/ needs a number, e.g. NEAR/5\n"
     "    {brand} AND NEAR/ fire\n"
     "                ^"),
    ("a NEAR b", "keywords.yaml: rule acme-fire: column 3: NEAR/ needs a number, e.g. NEAR/5\n"
                 "    a NEAR b\n      ^"),
    ("a ONEAR/x b", "keywords.yaml: rule acme-fire: column 3: ONEAR/ needs a number, e.g. ONEAR/5\n"
                    "    a ONEAR/x b\n      ^"),
    ("a NEAR/3", "keywords.yaml: rule acme-fire: column 3: NEAR/3 needs a term on both sides\n"
                 "    a NEAR/3\n      ^"),
    ("NEAR/3 a", "keywords.yaml: rule acme-fire: column 1: NEAR/3 needs a term on both sides\n"
                 "    NEAR/3 a\n    ^"),
    ("a NEAR/3 NOT b", "keywords.yaml: rule acme-fire: column 3: NEAR/3 needs a term on both sides\n"
                       "    a NEAR/3 NOT b\n      ^"),
    ("(a AND b) NEAR/3 c",
     "keywords.yaml: rule acme-fire: column 11: NEAR/3 can only join words, phrases or OR-groups of them\n"
     "    (a AND b) NEAR/3 c\n              ^"),
    ("a NEAR/3 source:x",
     "keywords.yaml: rule acme-fire: column 3: NEAR/3 can only join words, phrases or OR-groups of them\n"
     "    a NEAR/3 source:x\n      ^"),
    ("a NEAR/3 b NEAR/2 c",
     "keywords.yaml: rule acme-fire: column 12: NEAR/ cannot be chained; join pairs with AND, "
     "e.g. (a NEAR/3 b) AND (b NEAR/2 c)\n    a NEAR/3 b NEAR/2 c\n               ^"),
    ("a AND", "keywords.yaml: rule acme-fire: column 3: AND needs a term on both sides\n    a AND\n      ^"),
    ("AND a", "keywords.yaml: rule acme-fire: column 1: AND needs a term on both sides\n    AND a\n    ^"),
    ("a AND OR b", "keywords.yaml: rule acme-fire: column 3: AND needs a term on both sides\n"
                   "    a AND OR b\n      ^"),
    ("a OR", "keywords.yaml: rule acme-fire: column 3: OR needs a term on both sides\n    a OR\n      ^"),
    ("(OR a)", "keywords.yaml: rule acme-fire: column 2: OR needs a term on both sides\n    (OR a)\n     ^"),
    ("a NOT", "keywords.yaml: rule acme-fire: column 3: NOT needs a term after it\n    a NOT\n      ^"),
    ("a - b", "keywords.yaml: rule acme-fire: column 3: '-' needs a term right after it, e.g. -giveaway\n"
              "    a - b\n      ^"),
    ("(a OR b", "keywords.yaml: rule acme-fire: column 1: '(' is never closed: add ')'\n    (a OR b\n    ^"),
    ("a (", "keywords.yaml: rule acme-fire: column 3: '(' is never closed: add ')'\n    a (\n      ^"),
    ("a OR b)", "keywords.yaml: rule acme-fire: column 7: unexpected ')': there is no '(' to close\n"
                "    a OR b)\n          ^"),
    ("a () b", "keywords.yaml: rule acme-fire: column 3: empty parentheses\n    a () b\n      ^"),
    ('acme "fire', 'keywords.yaml: rule acme-fire: column 6: unterminated phrase: add the closing "\n'
                   '    acme "fire\n         ^'),
    ('acme ""', 'keywords.yaml: rule acme-fire: column 6: empty phrase\n    acme ""\n         ^'),
    ("acme !!", "keywords.yaml: rule acme-fire: column 6: '!!' has no letters or digits to search for\n"
                "    acme !!\n         ^"),
    ("acme *", "keywords.yaml: rule acme-fire: column 6: wildcard '*' needs letters to anchor it, e.g. defect*\n"
               "    acme *\n         ^"),
    ("", "keywords.yaml: rule acme-fire: column 1: empty query\n    \n    ^"),
    ("acme foo:bar",
     "keywords.yaml: rule acme-fire: column 6: unknown field 'foo:' (fields: author, kind, lang, site, source, "
     'title); to search for the text, quote it: "foo:bar"\n    acme foo:bar\n         ^'),
    ("acme source:", "keywords.yaml: rule acme-fire: column 6: source: needs a value, e.g. source:reddit\n"
                     "    acme source:\n         ^"),
    ("acme kind:blog", "keywords.yaml: rule acme-fire: column 6: kind:blog is not a kind "
                       "(social, news, forum, review, video)\n    acme kind:blog\n         ^"),
    ("acme title:", "keywords.yaml: rule acme-fire: column 6: title: needs a term, e.g. title:recall\n"
                    "    acme title:\n         ^"),
    ("{brnd} fire", "keywords.yaml: rule acme-fire: column 1: unknown placeholder {brnd}: write {brand} or "
                    "{brand:<id>}\n    {brnd} fire\n    ^"),
    ("{brand:acne} fire", "keywords.yaml: rule acme-fire: column 1: unknown brand 'acne' in {brand:acne} "
                          "(brands: acme, rival)\n    {brand:acne} fire\n    ^"),
    ("{brand fire", "keywords.yaml: rule acme-fire: column 1: unclosed '{': write {brand} or {brand:<id>}\n"
                    "    {brand fire\n    ^"),
    ("fire}", "keywords.yaml: rule acme-fire: column 5: unexpected '}' without a '{'\n    fire}\n        ^"),
    # the caret counts wide characters twice so it stays under the problem
    ("艾克美 AND", "keywords.yaml: rule acme-fire: column 5: AND needs a term on both sides\n"
                 "    艾克美 AND\n           ^"),
])
def test_syntax_errors(query: str, message: str) -> None:
    assert error(query) == message
