"""keywords.yaml validation: every problem, with file, rule id and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.nlp.keywords import load_rules

GOOD = """\
brands:
  acme:
    name: Acme
    aliases: [Acme, "Acme Corp", "@acme", 艾克美]
    ticker: ACME
rules:
  - id: acme-quality
    brand: acme
    category: quality
    query: '{brand} AND (defect* OR broken) NOT giveaway'
    filters: {lang: [en, zh], kind: [social, news]}
    examples:
      match: ["My Acme blender is broken again", {text: "Acme recall: defective", kind: news, lang: en}]
      no_match: ["Acme giveaway: broken records!"]
"""


def write(tmp_path: Path, text: str, name: str = "keywords.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_rules(path)
    return [str(p).replace(str(path), "keywords.yaml") for p in info.value.problems]


def test_a_good_file_loads(tmp_path: Path) -> None:
    rs = load_rules(write(tmp_path, GOOD))
    assert rs.file == str(tmp_path / "keywords.yaml")
    (brand,) = rs.brands.values()
    assert (brand.id, brand.name, brand.aliases, brand.ticker) == ("acme", "Acme", ("Acme", "Acme Corp", "@acme",
                                                                                   "艾克美"), "ACME")
    (rule,) = rs.rules
    assert (rule.id, rule.brand, rule.category, rule.line) == ("acme-quality", "acme", "quality", 7)
    assert rule.query == "{brand} AND (defect* OR broken) NOT giveaway"
    assert rule.filters == {"lang": ("en", "zh"), "kind": ("social", "news")}
    assert [(e.label, e.expect, e.post.kind, e.line) for e in rule.examples] == [
        ("match[0]", True, "social", 13), ("match[1]", True, "news", 13), ("no_match[0]", False, "social", 14)]


def test_every_problem_is_listed_with_its_line(tmp_path: Path) -> None:
    text = """\
brands:
  acme:
    name: Acme
    colour: red
  Bad Id: {name: X}
  beta: {aliases: [B]}
rules:
  - id: one
    brand: acm
    category: quality
    query: 'a'
  - id: one
    brand: acme
    category: quality
    query: 'b'
  - brand: acme
    category: quality
    query: 'c'
  - id: two
    brand: acme
    category: Quality Issues
    query: 'a AND'
    colour: red
  - id: three
    brand: acme
    category: quality
    query: 42
    filters: {lang: zh, kind: [blog], mood: [sad]}
    examples: {match: "not a list", maybe: []}
  - id: four
    brand: acme
    category: quality
    query: '(a'
    examples:
      match: [{text: hi, colour: red}, {kind: news}, 7]
  - id: five
    brand: acme
    query: 'a'
  - just a string
"""
    assert problems(tmp_path, text) == [
        "keywords.yaml: brand acme: line 4: unknown field 'colour' (fields: name, aliases, ticker, description)",
        "keywords.yaml: brand Bad Id: line 5: brand id 'Bad Id' must be lower-case letters, digits, '-', '_' or '.'",
        "keywords.yaml: brand beta: line 6: missing required field 'name' (the brand as people write it)",
        "keywords.yaml: rule one: line 9: unknown brand 'acm' (brands: acme, beta)",
        "keywords.yaml: rule one: line 12: duplicate rule id 'one' (first defined at line 8)",
        "keywords.yaml: line 16 (rules[2]): missing required field 'id'",
        "keywords.yaml: rule two: line 23: unknown field 'colour' (fields: id, brand, category, query, filters, "
        "examples, description)",
        "keywords.yaml: rule two: line 21: category 'Quality Issues' must be lower-case letters, digits, '-' or '_' "
        "(e.g. supply-chain)",
        "keywords.yaml: rule three: line 27: 'query' must be a string (quote it in YAML)",
        "keywords.yaml: rule three: line 28: unknown kind 'blog' (kinds: social, news, forum, review, video)",
        "keywords.yaml: rule three: line 28: unknown filter 'mood' (filters: lang, kind, source, site, author)",
        "keywords.yaml: rule three: line 29: examples.match must be a list of texts or post objects",
        "keywords.yaml: rule three: line 29: unknown examples key 'maybe' (use match or no_match)",
        "keywords.yaml: rule four: line 35: unknown post field 'colour' in example (fields: text, title, author, url, "
        "lang, kind, outlet, source, id, reposts, likes, replies)",
        "keywords.yaml: rule four: line 35: an example post needs a 'text' string",
        "keywords.yaml: rule four: line 35: an example is a text or a post object such as {text: ..., kind: news}",
        "keywords.yaml: rule five: line 36: missing required field 'category' (e.g. quality, service, safety)",
        "keywords.yaml: line 39 (rules[7]): a rule must be a mapping with id, brand, category and query",
    ]


def test_query_errors_and_yaml_problems_are_reported_together(tmp_path: Path) -> None:
    text = GOOD + """\
  - id: acme-fire
    brand: acme
    category: safety
    query: '{brand} NEAR/ fire'
  - id: acme-x
    brand: nobody
    category: safety
    query: 'x'
"""
    assert problems(tmp_path, text) == [
        "keywords.yaml: rule acme-fire: column 9: NEAR/ needs a number, e.g. NEAR/5\n"
        "    {brand} NEAR/ fire\n"
        "            ^",
        "keywords.yaml: rule acme-x: line 20: unknown brand 'nobody' (brands: acme)",
    ]


@pytest.mark.parametrize(("text", "message"), [
    ("", "keywords.yaml: brands: no brands defined: add a 'brands:' mapping (id -> name, aliases, ticker)"),
    ("- a\n- b\n", "keywords.yaml: line 1: a keywords file must be a mapping with 'brands' and 'rules'"),
    ("brands: {acme: {name: A}}\nrules: {a: 1}\n",
     "keywords.yaml: line 2 (rules): 'rules' must be a list of rules (- id: ..., brand: ..., category: ..., "
     "query: ...)"),
    ("brands: {acme: {name: A}}\nrule: []\n",
     "keywords.yaml: line 2 (rule): unknown top-level field 'rule' (expected brands and rules)"),
    ("brands: [acme]\n", "keywords.yaml: line 1 (brands): 'brands' must be a mapping of brand id -> "
                         "{name, aliases, ticker}"),
    ("brands: {acme: {name: A, aliases: [1, '']}}\n",
     "keywords.yaml: brand acme: line 1: 'aliases' must be a list of non-empty strings"),
    ("brands:\n  acme: {name: A}\nrules: [{id: x, brand: acme, category: c, query: a, filters: [lang]}]\n",
     "keywords.yaml: rule x: line 3: 'filters' must be a mapping such as {lang: [zh], kind: [news]} "
     "(keys: lang, kind, source, site, author)"),
    ("brands: {acme: {name: A}\n", "keywords.yaml: line 2, column 1: YAML syntax error: expected ',' or '}', "
                                   "but got '<stream end>'"),
])
def test_file_level_problems(tmp_path: Path, text: str, message: str) -> None:
    assert problems(tmp_path, text) == [message]


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_rules(tmp_path / "nope.yaml")
    assert str(info.value) == f"{tmp_path / 'nope.yaml'}: file not found"


def test_a_bad_reload_leaves_the_loaded_set_alone(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    rs = load_rules(path)
    path.write_text(GOOD.replace("NOT giveaway", "NOT"), encoding="utf-8")
    with pytest.raises(ConfigError):
        load_rules(path)
    from .helpers import post

    assert [m.rule_id for m in rs.match(post("Acme broken", lang="en"))] == ["acme-quality"]
