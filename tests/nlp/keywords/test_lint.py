"""`rules lint` findings: each kind, with its exact message."""

from __future__ import annotations

from pathlib import Path

from monitor.nlp.keywords.lint import lint_file

HEAD = """\
brands:
  acme: {name: Acme, aliases: [艾克美]}
rules:
"""
EXAMPLES = "examples: {match: ['x']}"


def lint(tmp_path: Path, *rules: str) -> list[str]:
    path = tmp_path / "keywords.yaml"
    body = "".join(f"  - {{id: r{i}, brand: acme, category: q, query: '{q}', {EXAMPLES}}}\n"
                   for i, q in enumerate(rules))
    path.write_text(HEAD + body, encoding="utf-8")
    return [str(f).replace(str(path), "kw") for f in lint_file(path)]


def test_a_clean_rule_has_no_findings(tmp_path: Path) -> None:
    assert lint(tmp_path, "{brand} AND (broken OR defect* OR 质量)") == []


def test_duplicates_ignore_operand_order_and_nesting(tmp_path: Path) -> None:
    assert lint(tmp_path, "{brand} AND (broken OR junk)", "(junk OR (broken)) AND {brand}",
                "{brand} AND (broken OR junk OR rust)") == [
        "kw: rule r1: line 5: error: duplicate of rule r0 (same brand, query and filters)"]


def test_rules_that_can_never_match(tmp_path: Path) -> None:
    never = "error: can never match: its conditions contradict each other"
    assert lint(tmp_path,
                "{brand} broken -broken",
                '{brand} "broken kettle" -broken',  # the phrase contains the word
                "{brand} defective -defect*",  # the word matches the wildcard
                "{brand} source:reddit source:weibo",
                "{brand} lang:zh lang:en",
                "{brand} lang:zh lang:zh-tw",  # compatible: zh-tw is a zh
                "{brand} broken -junk",
                "{brand} (broken OR junk) -broken",
                ) == [f"kw: rule r{i}: line {4 + i}: {never}" for i in range(5)]


def test_rule_filters_count_in_contradictions(tmp_path: Path) -> None:
    path = tmp_path / "keywords.yaml"
    path.write_text(HEAD + f"  - {{id: a, brand: acme, category: q, query: '{{brand}} kind:news', "
                           f"filters: {{kind: [social, forum]}}, {EXAMPLES}}}\n", encoding="utf-8")
    assert [f.code for f in lint_file(path)] == ["never-matches"]


def test_over_broad_rules(tmp_path: Path) -> None:
    assert lint(tmp_path, "{brand} (ok OR 坏 OR *ware OR de* OR ab NEAR/2 cd OR 24 OR x1?)", "NOT spam",
                "broken kettle") == [
        "kw: rule r0: line 4: warning: term 'ok' is very short and matches too many posts; use a longer word "
        'or a "phrase"',
        "kw: rule r0: line 4: warning: term '坏' is very short and matches too many posts; use a longer word "
        'or a "phrase"',
        "kw: rule r0: line 4: warning: leading wildcard '*ware' matches too much and is slow (the whole post is "
        "scanned); start the term with letters",
        "kw: rule r0: line 4: warning: wildcard 'de*' has a stem of 2 letter(s) and matches too many words; use "
        "at least 3 letters before the *",
        "kw: rule r0: line 4: warning: term 'x1?' is very short and matches too many posts; use a longer word "
        'or a "phrase"',
        "kw: rule r1: line 5: warning: has no term a post must contain, so it matches nearly every post; add a "
        "term, e.g. {brand} AND ...",
        "kw: rule r2: line 6: warning: can match posts that never mention Acme; AND the query with {brand}",
    ]


def test_lowercase_operators(tmp_path: Path) -> None:
    assert lint(tmp_path, "{brand} broken or junk", "{brand} fire near/3 kettle") == [
        "kw: rule r0: line 4: warning: 'or' is searched as a word; operators are upper-case (OR)",
        "kw: rule r1: line 5: warning: 'near/3' is searched as a word; operators are upper-case (NEAR)",
    ]


def test_rules_without_examples_and_load_problems(tmp_path: Path) -> None:
    path = tmp_path / "keywords.yaml"
    path.write_text(HEAD + "  - {id: a, brand: acme, category: q, query: '{brand} broken'}\n"
                           "  - {id: b, brand: acne, category: q, query: 'x'}\n"
                           "  - {id: c, brand: acme, category: q, query: 'x foo:y'}\n", encoding="utf-8")
    findings = lint_file(path)
    assert [(f.severity, f.code, f.rule) for f in findings] == [
        ("error", "load", "b"), ("error", "load", "c"), ("warning", "no-examples", "a")]
    assert str(findings[0]) == f"{path}: rule b: line 5: error: unknown brand 'acne' (brands: acme)"
    assert str(findings[2]) == (f"{path}: rule a: line 4: warning: no examples: add examples.match and "
                                "examples.no_match so `monitor rules test` checks the rule")


def test_a_file_that_is_not_yaml(tmp_path: Path) -> None:
    path = tmp_path / "keywords.yaml"
    path.write_text("brands: [\n", encoding="utf-8")
    (finding,) = lint_file(path)
    assert finding.severity == "error" and "YAML syntax error" in finding.message
