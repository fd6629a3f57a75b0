"""Running rule examples (what `monitor rules test` reports)."""

from __future__ import annotations

from monitor.nlp.keywords import compile_rules
from monitor.nlp.keywords.examples import run_examples

from .helpers import BRANDS


def test_examples_pass_and_fail_with_a_readable_description() -> None:
    rs = compile_rules({"brands": BRANDS, "rules": [
        {"id": "acme-news", "brand": "acme", "category": "legal", "query": "{brand} recall* kind:news",
         "examples": {"match": [{"text": "Acme recalls kettles", "kind": "news", "url": "https://x.com/a"},
                                "Acme recalls kettles"],
                      "no_match": ["Acme news", {"text": "Acme recall", "kind": "news"}]}},
    ]})
    results = run_examples(rs)
    assert [(r.example.label, r.passed) for r in results] == [
        ("match[0]", True), ("match[1]", False), ("no_match[0]", True), ("no_match[1]", False)]
    assert results[1].describe("kw.yaml") == (
        "kw.yaml: rule acme-news: examples.match[1] did not match: 'Acme recalls kettles'")
    assert results[3].describe("kw.yaml") == (
        "kw.yaml: rule acme-news: examples.no_match[1] matched (terms: Acme, recall*): 'Acme recall' [kind=news]")


def test_an_example_only_checks_its_own_rule() -> None:
    rs = compile_rules({"brands": BRANDS, "rules": [
        {"id": "a", "brand": "acme", "category": "c", "query": "fire", "examples": {"no_match": ["kettle"]}},
        {"id": "b", "brand": "acme", "category": "c", "query": "kettle"},
    ]})
    assert [r.passed for r in run_examples(rs)] == [True]
