"""The RuleSet API the pipeline calls: match, match_trend, brands_for_symbol, compile_rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.models import Trend
from monitor.nlp.keywords import compile_rules, load_rules
from monitor.yamlio import parse_yaml

from .helpers import BRANDS, TS, post, ruleset

ROOT = Path(__file__).resolve().parents[3]


def trend(word: str) -> Trend:
    return Trend(ts=TS, source="weibo_hot", word=word, rank=3)


def test_match_trend_by_brand_name_and_by_rules() -> None:
    rs = ruleset("(fire OR 起火) AND (kettle OR 水壶)")
    hits = rs.match_trend(trend("ACME 电池"))
    assert [(m.rule_id, m.brand, m.category, m.terms) for m in hits] == [
        ("acme:trending", "acme", "trending", ("Acme",))]
    hits = rs.match_trend(trend("水壶起火"))
    assert [(m.rule_id, m.category) for m in hits] == [("r0", "quality")]
    assert [m.rule_id for m in rs.match_trend(trend("艾克美水壶起火"))] == ["acme:trending", "r0"]
    assert [m.rule_id for m in rs.match_trend(trend("對手牌"))] == ["rival:trending"]
    assert rs.match_trend(trend("天气预报")) == []
    assert rs.match_trend(trend("acmeology")) == []


def test_brands_for_symbol() -> None:
    rs = ruleset("a")
    assert rs.brands_for_symbol("ACME") == ["acme"]
    assert rs.brands_for_symbol("acme") == ["acme"]
    assert rs.brands_for_symbol("$ACME") == ["acme"]
    assert rs.brands_for_symbol("RIVL") == []


def test_compile_rules_takes_plain_data_or_a_located_document() -> None:
    rs = compile_rules({"brands": BRANDS, "rules": []}, file="mine.yaml")
    assert rs.file == "mine.yaml" and rs.rules == [] and set(rs.brands) == {"acme", "rival"}
    doc = parse_yaml("brands: {acme: {name: Acme}}\nrules:\n  - {id: a, brand: acme, category: c, query: 'x AND'}\n",
                     "kw.yaml")
    with pytest.raises(Exception) as info:
        compile_rules(doc)
    assert str(info.value).startswith("kw.yaml: rule a: column 3: AND needs a term on both sides")


def test_match_rule_checks_one_rule() -> None:
    rs = ruleset("fire", "kettle")
    assert rs.match_rule("r1", post("kettle fire")).rule_id == "r1"  # type: ignore[union-attr]
    assert rs.match_rule("r1", post("fire")) is None
    assert rs.rule("r0").query == "fire"


SHIPPED = [
    ("My Acme kettle is broken again, total junk", "quality"),
    ("Acme support never answers, worst service", "service"),
    ("艾克美水壶漏电，太危险了", "safety"),
    ("Acme kettle caught fire in my kitchen", "safety"),
    ("Reuters: Acme recalls 2 million kettles over fire risk", "safety"),
    ("艾克美 质量太差", "quality"),
]


@pytest.mark.parametrize(("text", "category"), SHIPPED)
def test_the_shipped_rules_catch_ordinary_complaints(text: str, category: str) -> None:
    rs = load_rules(ROOT / "keywords.yaml")
    matches = rs.match(post(text))
    assert matches, text
    assert {m.brand for m in matches} == {"acme"}
    assert category in {m.category for m in matches}
