"""Edges the property tests found or mutation testing showed unpinned: the one shared
normaliser, invisible and look-alike characters, NEAR and title scope.

Every case is checked on the compiled matcher and on the reference evaluator, so the
two definitions of the language cannot drift apart on them.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.nlp.keywords.reference import ReferenceEvaluator
from monitor.nlp.keywords.text import INVISIBLE, match_text, normalize, post_text

from .helpers import post, ruleset


def both(query: str, text: str, **fields: object) -> list[tuple[str, ...]]:
    """The terms each evaluator reports (one entry per evaluator; [] = no match)."""
    rs = ruleset(query)
    p = post(text, **fields)
    ref = ReferenceEvaluator(rs.rules)
    return [tuple(t for m in rs.match(p) for t in m.terms), tuple(t for m in ref.match(p) for t in m.terms)]


def matches(query: str, text: str, **fields: object) -> bool:
    compiled, reference = both(query, text, **fields)
    assert bool(compiled) == bool(reference), (query, text, compiled, reference)
    rs = ruleset(query)
    p = post(text, **fields)
    return bool(rs.match(p))


# ---- the one normaliser ----------------------------------------------------------------------------------

def test_full_width_low_line_regression() -> None:
    """Hypothesis found it (seed 15): the matcher folded U+FF3F differently from the reference."""
    assert matches("fire", "fire\uff3f") is False  # "fire_" : '_' is a word character, so no whole word
    assert matches("fire", "fire\uff3f x") is False
    assert matches("fire", "\uff3f fire") is True
    assert normalize("fire\uff3f") == match_text("fire\uff3f") == "fire_"


@pytest.mark.parametrize("text", ["Ac\u200bme kettle", "A\u200dcme kettle", "Acme\u2060 kettle", "\ufeffAcme kettle",
                                  "A\u202ecme kettle", "Ac\u2066me\u2069 kettle", "Ac\u00adme kettle",
                                  "Ac\u061cme kettle", "A\u200ec\u200fme kettle"])
def test_invisible_characters_do_not_split_a_word(text: str) -> None:
    assert matches("acme AND kettle", text)


@pytest.mark.parametrize("text", ["A\u0441me kettle",  # Cyrillic es
                                  "\u0410\u0421\u041c\u0415 kettle",  # Cyrillic А С М Е
                                  "\u0391c\u039c\u0395 kettle",  # Greek Α, Latin c, Greek Μ, Ε
                                  "Асmе kettle",  # Cyrillic А, с, Latin m, Cyrillic е
                                  "ａｃｍｅ kettle",  # full width
                                  "\U0001d41a\U0001d41c\U0001d426\U0001d41e kettle"])  # mathematical bold
def test_look_alike_brand_names_match(text: str) -> None:
    assert matches("acme AND kettle", text)


def test_look_alike_mapping_is_applied_to_rules_too() -> None:
    assert matches("Аcme", "acme")  # a rule written with a Cyrillic A still means acme
    assert not matches("acme", "acne")


def test_nfkc_composes_and_folds_compatibility_forms() -> None:
    assert matches("café", "cafe\u0301 open")  # e + combining acute = é
    assert matches("file", "the \ufb01le")  # the "fi" ligature
    assert not matches("cafe", "café")  # accents still count


@given(st.text(max_size=40))
def test_normalize_is_match_text_plus_a_one_to_one_step(text: str) -> None:
    m, n = match_text(text), normalize(text)
    assert len(m) == len(n)
    assert normalize(n) == n  # idempotent
    assert INVISIBLE.search(n) is None
    assert unicodedata.is_normalized("NFKC", m)
    for a, b in zip(m, n, strict=True):
        assert a == b or normalize(a) == b


@given(st.text(alphabet=st.sampled_from("acme fire\uff3f_-\u200b\u0441\u0430\uff21\u3000艾克美漏電"), max_size=20))
def test_matcher_and_reference_agree_on_hostile_spellings(text: str) -> None:
    for query in ["acme", "fire", "艾克美 NEAR/1 漏电", "title:acme", "acme NEAR/0 fire"]:
        compiled, reference = both(query, text, title=text[:5] or None)
        assert compiled == reference, (query, text)


# ---- NEAR ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "text", "expected"), [
    ("艾克美 NEAR/0 漏电", "漏电艾克美", True),  # NEAR is unordered, distance 0 = adjacent
    ("艾克美 NEAR/0 漏电", "艾克美漏电", True),
    ("艾克美 NEAR/0 漏电", "漏电了艾克美", False),
    ("艾克美 ONEAR/0 漏电", "漏电艾克美", False),
    ("acme NEAR/0 fire", "fire acme", True),
    ("acme NEAR/0 fire", "fire x acme", False),
    ("acme NEAR/1 fire", "fire x acme", True),
    ("acme NEAR/1 fire", "fire x y acme", False),
    ("acme ONEAR/1 fire", "acme x fire", True),
    ("acme ONEAR/1 fire", "acme x y fire", False),
])
def test_near_distance_and_order(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


def test_title_term_inside_near_does_not_match_through_the_body() -> None:
    assert not matches("title:recall NEAR/2 acme", "acme recall", title="Earnings")
    assert not matches("acme NEAR/2 title:recall", "acme recall", title="Earnings")
    assert matches("title:recall NEAR/2 acme", "nothing", title="Acme recall")


def test_near_measures_from_the_title_occurrence_of_a_title_term() -> None:
    # 'recall' is in the title (so the term is found) and also in the body, right next to 'acme';
    # only the title occurrence counts, and it is two tokens away from 'acme'
    assert not matches("title:recall NEAR/1 acme", "acme recall", title="Recall news today")
    assert not matches("acme NEAR/1 title:recall", "acme recall", title="Recall news today")
    assert matches("title:recall NEAR/2 acme", "acme recall", title="Recall news today")
    assert not matches("title:召回 NEAR/0 艾克美", "艾克美召回", title="召回通知")


def test_title_term_at_the_end_of_the_title_works_inside_near() -> None:
    assert matches("acme NEAR/1 title:recall", "body text", title="Acme kettle recall")
    assert matches("acme NEAR/0 title:漏电", "正文", title="艾克美 acme漏电")
    assert matches("title:坏 NEAR/0 艾克美", "正文", title="艾克美坏")


def test_near_does_not_count_across_title_and_body_as_a_title_match() -> None:
    # the title's last word and the body's first word are adjacent in the searched text,
    # but a title-scoped term must lie inside the title
    assert not matches("title:kettle NEAR/0 acme", "kettle news", title="Acme")
    assert matches("kettle NEAR/0 acme", "kettle news", title="Acme")  # plain terms may span the separator


def test_title_term_does_not_match_the_body_of_a_post_without_a_title() -> None:
    assert not matches("title:坏", "艾克美坏了")
    assert not matches("title:坏", "艾克美坏了", title="")
    assert not matches("title:坏", "艾克美坏了", title="   ")
    assert matches("title:坏", "正文", title="艾克美坏了")
    assert not matches("title:坏", "坏了")  # not even the body's first character
    assert not matches("title:x", "x marks the spot")
    assert post_text("  ", "艾克美坏了") == ("艾克美坏了", 0)


def test_reported_terms_are_unique_and_in_query_order() -> None:
    compiled, reference = both("(fire OR FIRE OR fire*) AND acme AND (acme NEAR/3 fire)", "acme fire")
    assert compiled == reference == ("fire", "FIRE", "fire*", "acme")
    compiled, reference = both("acme AND (acme OR fire) AND acme", "acme fire")
    assert compiled == reference == ("acme", "fire")


def test_a_term_written_twice_in_different_scopes_is_reported_once() -> None:
    # 'fire' and 'title:fire' are two terms (two searches) with one spelling: one reported term
    compiled, reference = both("title:fire AND fire", "fire", title="Fire")
    assert compiled == reference == ("fire",)
    compiled, reference = both("(acme OR title:acme) NEAR/2 (fire OR title:fire)", "acme fire", title="Acme fire")
    assert compiled == reference == ("acme", "fire")


def test_many_requirement_groups_with_a_one_group_rule_among_them() -> None:
    """Past 16 distinct second groups each rule checks its own; a rule with one group has none to check."""
    rs = ruleset(*[f"w{i}x AND v{i}y" for i in range(20)], "fire")
    assert rs._matcher._grouped is None
    ref = ReferenceEvaluator(rs.rules)
    for text in ["fire", "w3x v3y fire", "w3x fire", "v19y w19x", "w3x v4y"]:
        p = post(text)
        assert rs.match(p) == ref.match(p), text
    assert [m.rule_id for m in rs.match(post("w3x v3y fire"))] == ["r3", "r20"]
