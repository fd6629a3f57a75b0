"""Property tests: the compiled matcher and the reference evaluator agree on random rules and posts."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.nlp.keywords import compile_rules
from monitor.nlp.keywords.reference import ReferenceEvaluator

from .helpers import BRANDS, examples, post

LATIN = ["acme", "fire", "fires", "broken", "kettle", "ab", "recall", "recalls", "woman", "women", "x1", "corp",
         "wi-fi", "c++"]
CJK = ["艾克美", "质量", "漏电", "水壶", "坏", "克美", "对手牌", "召回"]
TRADITIONAL = {"质量": "質量", "漏电": "漏電", "水壶": "水壺", "坏": "壞", "对手牌": "對手牌", "召回": "召回"}
NOISE = ["the", "a", "acmeish", "firefly", "xacme", "kettles", "艾", "美", "量", "1", "_"]
SEPARATORS = [" ", " ", " ", "  ", ", ", "\n", "", "-", "! ", "。", "，", "\u3000", "/"]


# ---- rules -----------------------------------------------------------------------------------------------

@st.composite
def word_term(draw: Any) -> str:
    word = draw(st.sampled_from(LATIN + CJK))
    how = draw(st.sampled_from(["plain", "plain", "upper", "prefix", "qmark", "leading", "trad", "fullwidth"]))
    if how == "upper":
        return word.upper()
    if how == "prefix" and len(word) > 1:
        return word[: draw(st.integers(1, len(word) - 1))] + "*"
    if how == "qmark" and len(word) > 1:
        i = draw(st.integers(0, len(word) - 1))
        out = word[:i] + "?" + word[i + 1:]
        return out if any(c.isalnum() for c in out) else word
    if how == "leading" and len(word) > 2:
        rest = word[draw(st.integers(1, len(word) - 1)):]
        return "*" + rest if any(c.isalnum() for c in rest) else word
    if how == "trad":
        return TRADITIONAL.get(word, word)
    if how == "fullwidth":
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" and c not in "+" else c for c in word)
    return word


@st.composite
def phrase_term(draw: Any) -> str:
    words = draw(st.lists(st.sampled_from(LATIN + CJK), min_size=1, max_size=3))
    return '"' + " ".join(words) + '"'


FIELDS = st.sampled_from(["source:reddit", "source:weibo", "kind:news", "kind:social", "lang:zh", "lang:en",
                          "site:reuters.com", "author:bob", 'author:"bob"'])


@st.composite
def term(draw: Any, fields: bool = True) -> str:
    choice = draw(st.integers(0, 9))
    if choice <= 4:
        text = draw(word_term())
    elif choice <= 6:
        text = draw(phrase_term())
    elif choice == 7:
        text = draw(st.sampled_from(["{brand}", "{brand:rival}"]))
    elif choice == 8 and fields:
        return draw(FIELDS)
    else:
        text = draw(word_term())
    return ("title:" + text) if draw(st.integers(0, 6)) == 0 else text


@st.composite
def near_operand(draw: Any) -> str:
    if draw(st.booleans()):
        return draw(term(fields=False))
    parts = draw(st.lists(term(fields=False), min_size=2, max_size=3))
    return "(" + " OR ".join(parts) + ")"


def expr(depth: int) -> st.SearchStrategy[str]:
    if depth <= 0:
        return term()
    sub = expr(depth - 1)
    return st.one_of(
        term(),
        st.tuples(sub, sub).map(lambda ab: f"({ab[0]} OR {ab[1]})"),
        st.tuples(sub, sub).map(lambda ab: f"{ab[0]} AND {ab[1]}"),
        st.tuples(sub, sub).map(lambda ab: f"({ab[0]} {ab[1]})"),
        sub.map(lambda a: f"NOT {a}"),
        term().map(lambda a: f"-{a}"),
        st.tuples(near_operand(), st.sampled_from(["NEAR", "ONEAR"]), st.integers(0, 4), near_operand()).map(
            lambda t: f"{t[0]} {t[1]}/{t[2]} {t[3]}"),
    )


RULE_FILTERS = st.one_of(st.none(), st.fixed_dictionaries({}, optional={
    "lang": st.sampled_from([["zh"], ["en"], ["zh", "ja"]]),
    "kind": st.sampled_from([["news"], ["social", "forum"]]),
    "source": st.sampled_from([["reddit"], ["weibo", "reddit"]]),
    "site": st.just(["reuters.com"]),
}))


@st.composite
def rules(draw: Any) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(1, 4))):
        rule: dict[str, Any] = {"id": f"r{i}", "brand": draw(st.sampled_from(["acme", "rival"])),
                                "category": "quality", "query": draw(expr(3))}
        filters = draw(RULE_FILTERS)
        if filters:
            rule["filters"] = filters
        out.append(rule)
    return out


# ---- posts -----------------------------------------------------------------------------------------------

@st.composite
def text(draw: Any) -> str:
    words = draw(st.lists(st.sampled_from(LATIN + CJK + NOISE + ["Acme Corp", "Rival Inc", "@acme", "#acme"]),
                          max_size=12))
    out = []
    for w in words:
        style = draw(st.sampled_from(["plain", "plain", "plain", "title", "upper", "fullwidth", "trad"]))
        if style == "title":
            w = w.title()
        elif style == "upper":
            w = w.upper()
        elif style == "fullwidth":
            w = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in w)
        elif style == "trad":
            w = TRADITIONAL.get(w, w)
        out.append(w)
        out.append(draw(st.sampled_from(SEPARATORS)))
    return "".join(out)


@st.composite
def posts(draw: Any) -> Any:
    return post(
        draw(text()),
        title=draw(st.one_of(st.none(), text())),
        source=draw(st.sampled_from(["reddit", "weibo", "Reddit", "news"])),
        kind=draw(st.sampled_from(["social", "news", "forum"])),
        lang=draw(st.sampled_from([None, "zh", "zh-CN", "en", "ja"])),
        url=draw(st.sampled_from([None, "https://www.reuters.com/a", "https://uk.reuters.com/b",
                                  "https://notreuters.com/c"])),
        outlet=draw(st.sampled_from([None, "reuters.com", "bbc.co.uk"])),
        author=draw(st.sampled_from([None, "bob", "@Bob", "alice"])),
    )


@settings(max_examples=examples(400), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(rules(), st.lists(posts(), min_size=1, max_size=6))
def test_compiled_matcher_agrees_with_reference(rule_specs: list[dict[str, Any]], batch: list[Any]) -> None:
    rs = compile_rules({"brands": BRANDS, "rules": rule_specs})
    ref = ReferenceEvaluator(rs.rules)
    assert rs.match_many(batch) == [ref.match(p) for p in batch]


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.sampled_from(LATIN + CJK), min_size=1, max_size=3), posts())
def test_a_term_matches_exactly_where_its_regex_does(words: list[str], p: Any) -> None:
    """Plain OR rules exercise the automaton's boundary checks against plain regexes."""
    query = " OR ".join(f'"{w}"' for w in words)
    rs = compile_rules({"brands": BRANDS, "rules": [{"id": "r", "brand": "acme", "category": "c", "query": query}]})
    assert rs.match(p) == ReferenceEvaluator(rs.rules).match(p)


@settings(max_examples=examples(300), deadline=None)
@given(near_operand(), st.sampled_from(["NEAR", "ONEAR"]), st.integers(0, 3), near_operand(),
       st.lists(posts(), min_size=1, max_size=4))
def test_proximity_agrees(left: str, op: str, n: int, right: str, batch: list[Any]) -> None:
    """NEAR/ONEAR alone, so positive proximity matches are common, not hidden under NOTs."""
    query = f"{left} {op}/{n} {right}"
    rs = compile_rules({"brands": BRANDS, "rules": [{"id": "r", "brand": "acme", "category": "c", "query": query}]})
    ref = ReferenceEvaluator(rs.rules)
    assert rs.match_many(batch) == [ref.match(p) for p in batch]
