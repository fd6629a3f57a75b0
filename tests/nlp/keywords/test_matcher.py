"""Every feature of the rule language, on hand-written rules and posts."""

from __future__ import annotations

import pickle

import pytest

from .helpers import hits, post, ruleset


@pytest.mark.parametrize(("query", "text", "expected"), [
    # case-insensitive, whole words for Latin
    ("broken", "It is BROKEN.", True),
    ("broken", "unbroken record", False),
    ("fire", "firefly", False),
    ("fire", "fire!", True),
    ("acme", "acme's kettle", True),
    # CJK as substrings, no word boundaries
    ("质量", "艾克美质量太差", True),
    ("质量", "品质很好", False),
    ("acme", "ACME电池", True),
    # full-width and half-width forms match each other, both ways
    ("acme", "ＡＣＭＥ　ｋｅｔｔｌｅ", True),
    ("ｂｒｏｋｅｎ", "broken", True),
    # traditional and simplified Chinese match each other, both ways
    ("质量", "艾克美質量太差", True),
    ("漏電", "水壶漏电", True),
    # phrases: exact word order, any whitespace between words
    ('"stopped working"', "it stopped\n  working today", True),
    ('"stopped working"', "working stopped", False),
    ('"stopped working"', "stopped, working", False),
    ('"艾克美 水壶"', "艾克美水壶", True),
    ('"acme 电池"', "ACME电池起火", True),
    # wildcards
    ("defect*", "defective unit", True),
    ("defect*", "defect", True),
    ("defect*", "nodefects", False),
    ("wom?n", "women and men", True),
    ("wom?n", "womn", False),
    ("wom?n", "womaan", False),
    ("*ware", "malware", True),
    ("艾?美", "艾克美", True),
    # boolean operators and precedence
    ("broken AND kettle", "kettle is broken", True),
    ("broken kettle", "kettle is broken", True),
    ("broken AND kettle", "kettle is fine", False),
    ("broken OR junk", "total junk", True),
    ("broken NOT giveaway", "broken giveaway", False),
    ("broken -giveaway", "broken giveaway", False),
    ("broken -giveaway", "broken kettle", True),
    ("a OR b AND c", "a", True),  # AND binds tighter than OR
    ("(a OR b) AND c", "a", False),
    ("NOT a AND b", "b", True),  # NOT binds tighter than AND
    ("NOT a AND b", "a b", False),
    ("-(a OR b) c", "c b", False),
    # lower-case operators are ordinary words
    ("fast and cheap", "fast and cheap", True),
    ("fast and cheap", "fast cheap", False),
    # quoting a word with operator characters searches for it literally
    ('"wi-fi"', "acme wi-fi dropped", True),
    ("wi-fi", "acme wi-fi dropped", True),
    ('"c++"', "written in c++ sadly", True),
])
def test_terms_and_operators(query: str, text: str, expected: bool) -> None:
    assert hits(query, text) is expected


@pytest.mark.parametrize(("query", "text", "expected"), [
    ("acme NEAR/2 fire", "acme kettle caught fire", True),
    ("acme NEAR/1 fire", "acme kettle caught fire", False),
    ("acme NEAR/2 fire", "fire in my acme", True),  # either order
    ("acme ONEAR/2 fire", "fire in my acme", False),  # ONEAR: left first
    ("acme ONEAR/2 fire", "acme kettle caught fire", True),
    ("acme NEAR/0 fire", "acme fire", True),
    ("acme NEAR/0 fire", "acme, fire", True),  # punctuation is not a token
    ("艾克美 NEAR/2 漏电", "艾克美水壶漏电", True),  # each CJK character is one token
    ("艾克美 NEAR/1 漏电", "艾克美水壶漏电", False),
    ("acme NEAR/1 漏电", "acme 水壶漏电", False),
    ("acme NEAR/2 漏电", "acme 水壶漏电", True),
    ('"acme corp" NEAR/1 recall*', "Acme Corp will recall", True),
    ("(acme OR 艾克美) NEAR/3 (fire OR 起火)", "艾克美起火", True),
    ("acme NEAR/3 acme", "acme", False),  # two occurrences needed
    ("acme NEAR/3 acme", "acme and acme", True),
    ("艾克美 NEAR/3 克美", "艾克美", False),  # overlapping mentions are one mention
    ("defect* NEAR/1 acme", "defective acme", True),
    ("{brand} NEAR/3 fire", "Acme Corp kettle on fire", True),
])
def test_near(query: str, text: str, expected: bool) -> None:
    assert hits(query, text) is expected


@pytest.mark.parametrize(("query", "fields", "expected"), [
    ("acme source:reddit", {"source": "Reddit"}, True),
    ("acme source:reddit", {"source": "weibo"}, False),
    ("acme kind:news", {"kind": "news"}, True),
    ("acme kind:news", {"kind": "social"}, False),
    ("acme lang:zh", {"lang": "zh-CN"}, True),
    ("acme lang:zh", {"lang": "en"}, False),
    ("acme author:jdoe", {"author": "@JDoe"}, True),
    ('acme author:"j doe"', {"author": "J Doe"}, True),
    ("acme site:reuters.com", {"url": "https://uk.reuters.com/business/x"}, True),
    ("acme site:reuters.com", {"outlet": "reuters.com"}, True),
    ("acme site:reuters.com", {"url": "https://notreuters.com/x"}, False),
    ("acme site:https://www.reuters.com/", {"url": "https://reuters.com/x"}, True),
    ("acme -source:twitter", {"source": "twitter"}, False),
    ("title:recall", {"title": "Acme recalls kettles"}, False),
    ("title:recall*", {"title": "Acme recalls kettles"}, True),
    ("title:recall*", {"title": "Earnings"}, False),  # the text has 'recall', the title does not
    ("title:(fire OR recall) acme", {"title": "Recall"}, True),
    ('title:"acme corp"', {"title": "ACME CORP news"}, True),
    ("recall", {"title": "Recall"}, True),  # plain terms search the title too
])
def test_field_filters(query: str, fields: dict[str, str], expected: bool) -> None:
    assert hits(query, "acme recall news", **fields) is expected


def test_lang_is_guessed_from_the_script_when_a_post_has_none() -> None:
    assert hits("{brand} lang:zh", "艾克美漏电")
    assert hits("{brand} lang:ja", "艾克美のケトル")
    assert not hits("{brand} lang:zh", "Acme kettle")


def test_brand_placeholder_expands_to_name_and_aliases() -> None:
    rs = ruleset("{brand} AND broken")
    for text in ["acme broken", "ACME CORP broken", "@acme broken", "#acme broken", "艾克美 broken"]:
        assert rs.match(post(text)), text
    assert not rs.match(post("#acmefail broken"))
    assert hits("{brand:rival} AND 垃圾", "对手牌垃圾")


def test_rule_filters_restrict_the_posts() -> None:
    rs = ruleset("{brand} recall", filters={"kind": ["news"], "lang": ["en", "de"]})
    assert rs.match(post("Acme recall", kind="news", lang="en"))
    assert not rs.match(post("Acme recall", kind="social", lang="en"))
    assert not rs.match(post("Acme recall", kind="news", lang="zh"))


def test_a_match_reports_the_terms_that_made_it_match() -> None:
    rs = ruleset("{brand} AND (defect* OR broken OR junk OR 质量) NOT giveaway")
    (m,) = rs.match(post("My Acme kettle is broken again, total junk"))
    assert (m.rule_id, m.brand, m.category, m.terms) == ("r0", "acme", "quality", ("Acme", "broken", "junk"))
    (m,) = rs.match(post("艾克美質量太差, defective"))
    assert m.terms == ("艾克美", "defect*", "质量")


def test_rules_without_a_positive_term_are_still_evaluated() -> None:
    rs = ruleset("NOT acme", "source:weibo", "kind:news -acme")
    assert [m.rule_id for m in rs.match(post("hello", source="weibo"))] == ["r0", "r1"]
    assert [m.rule_id for m in rs.match(post("", kind="news"))] == ["r0", "r2"]


def test_match_many_and_order() -> None:
    rs = ruleset("fire", "{brand}", "kettle")
    assert rs.match_many([post("acme kettle fire"), post("nothing")]) == [
        [m for m in rs.match(post("acme kettle fire"))], []]
    assert [m.rule_id for m in rs.match(post("acme kettle fire"))] == ["r0", "r1", "r2"]


def test_a_ruleset_survives_pickling() -> None:
    rs = ruleset("{brand} NEAR/3 fire", "defect*")
    again = pickle.loads(pickle.dumps(rs))
    p = post("Acme kettle fire, defective")
    assert again.match(p) == rs.match(p) != []
    assert again.file == rs.file and list(again.brands) == ["acme", "rival"]


def test_many_distinct_requirement_groups_take_the_per_rule_path() -> None:
    from monitor.nlp.keywords.reference import ReferenceEvaluator

    queries = [f"{{brand}} AND w{i}x AND (v{i}y OR v{i + 1}y)" for i in range(20)]
    rs = ruleset(*queries)
    assert rs._matcher._grouped is None  # more than 16 distinct second groups
    ref = ReferenceEvaluator(rs.rules)
    for text in ["acme w3x v4y", "acme w3x v5y", "w3x v3y", "acme w3x w4x v4y v5y", "acme w19x v20y"]:
        assert rs.match(post(text)) == ref.match(post(text)), text
    assert [m.rule_id for m in rs.match(post("acme w3x w4x v4y v5y"))] == ["r3", "r4"]


def test_a_term_shared_by_rules_gets_one_id_and_is_searched_once() -> None:
    rs = ruleset("{brand} AND fire", "{brand} AND smoke", "fire NEAR/2 smoke", "title:fire", "Fire")
    m = rs._matcher
    keys = [t.key for t in m.terms]
    assert len(keys) == len(set(keys)) == len(m.plans)  # one id, one search plan per distinct term
    # the five acme aliases, fire, smoke and the title-scoped fire ("Fire" is the same term as "fire")
    assert len(keys) == 8
    matched = rs.match(post("Acme kettle: fire and smoke", title="fire"))
    assert [r.rule_id for r in matched] == ["r0", "r1", "r2", "r3", "r4"]
