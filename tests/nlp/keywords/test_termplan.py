"""How terms are searched: plan kinds, spellings, and the fallbacks for many spellings."""

from __future__ import annotations

import pytest

from monitor.nlp.keywords.nodes import Term
from monitor.nlp.keywords.termplan import ANCHORED, LITERAL, MAX_SPELLINGS, PREFIX, SCAN, WORD, plan
from monitor.nlp.keywords.text import normalize, variants

from .helpers import hits


def term(text: str, wildcard: bool = False, scope: str = "any") -> Term:
    return Term(text, normalize(text), wildcard=wildcard, scope=scope)


@pytest.mark.parametrize(("t", "kind", "keys"), [
    (term("broken"), WORD, ("broken",)),
    (term("broken", scope="title"), LITERAL, ("broken",)),
    (term("acme corp"), LITERAL, ("acme corp",)),
    (term("c++"), LITERAL, ("c++", "c+＋", "c＋+", "c＋＋")),
    (term("defect*", wildcard=True), PREFIX, ("defect",)),
    (term("wom?n", wildcard=True), ANCHORED, ("wom",)),
    (term("*ware", wildcard=True), SCAN, ("ware",)),
])
def test_plans(t: Term, kind: int, keys: tuple[str, ...]) -> None:
    p = plan(t)
    assert (p.kind, p.keys) == (kind, keys)


def test_variants() -> None:
    assert variants("质") == ("质", "質")
    assert {"质量", "質量"} <= set(plan(term("质量")).keys)  # (and compatibility ideographs that look the same)
    assert variants("a") == ("a",)
    assert set(variants("干")) >= {"干", "乾", "幹"}


def test_a_phrase_with_too_many_spellings_is_anchored_on_a_piece() -> None:
    phrase = "质量问题发现后这个产品还会继续卖吗"
    p = plan(term(phrase))
    assert p.kind == ANCHORED and 1 < len(p.keys) <= MAX_SPELLINGS
    assert all(len(k) < len(phrase) for k in p.keys)
    traditional = "質量問題發現後這個產品還會繼續賣嗎"
    assert hits(f'"{phrase}"', f"艾克美{traditional}？")
    assert hits(f'"{traditional}"', f"艾克美{phrase}")
    assert not hits(f'"{phrase}"', "质量问题发现后这个产品还会继续")
