"""`monitor rules test | lint | stats` through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.cli import main

GOOD = """\
brands:
  acme:
    name: Acme
    aliases: [Acme, 艾克美]
    ticker: ACME
rules:
  - id: acme-quality
    brand: acme
    category: quality
    query: '{brand} AND (broken OR 质量) NOT giveaway'
    examples:
      match: ["My Acme kettle is broken", "艾克美 质量太差"]
      no_match: ["Acme giveaway: broken records!"]
  - id: acme-news
    brand: acme
    category: legal
    query: '{brand} recall* kind:news'
    examples:
      match: [{text: "Acme recalls kettles", kind: news}]
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def kw(tmp_path: Path) -> Path:
    path = tmp_path / "keywords.yaml"
    path.write_text(GOOD, encoding="utf-8")
    return path


def test_rules_test_passes(capsys: pytest.CaptureFixture[str], kw: Path) -> None:
    assert run(capsys, "rules", "test", str(kw)) == (0, f"{kw}: 2 rules, 4 examples: 4 passed, 0 failed\n", "")


def test_rules_test_reads_keywords_yaml_by_default(capsys: pytest.CaptureFixture[str], kw: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(kw.parent)
    assert run(capsys, "rules", "test")[:2] == (0, "keywords.yaml: 2 rules, 4 examples: 4 passed, 0 failed\n")


def test_rules_test_reports_failures_with_rule_id_and_exits_1(capsys: pytest.CaptureFixture[str], kw: Path) -> None:
    kw.write_text(GOOD.replace('no_match: ["Acme giveaway: broken records!"]',
                               'no_match: ["Acme giveaway: broken records!", "Acme broken"]'), encoding="utf-8")
    code, out, err = run(capsys, "rules", "test", str(kw))
    assert code == 1
    assert out == (f"{kw}: rule acme-quality: line 13: examples.no_match[1] matched (terms: Acme, broken): "
                   "'Acme broken'\n")
    assert err == f"{kw}: 2 rules, 5 examples: 4 passed, 1 failed\n"


def test_rules_test_json(capsys: pytest.CaptureFixture[str], kw: Path) -> None:
    kw.write_text(GOOD.replace('"My Acme kettle is broken"', '"My Acme kettle is fine"'), encoding="utf-8")
    code, out, _ = run(capsys, "rules", "test", str(kw), "--json")
    assert code == 1
    assert json.loads(out) == {
        "file": str(kw), "rules": 2, "examples": 4, "passed": 3, "failed": 1, "without_examples": [],
        "failures": [{"rule": "acme-quality", "example": "match[0]", "line": 12, "expected": "match",
                      "text": "My Acme kettle is fine", "terms": []}]}


def test_a_broken_file_lists_every_problem_and_exits_2(capsys: pytest.CaptureFixture[str], kw: Path) -> None:
    kw.write_text(GOOD.replace("(broken OR 质量)", "(broken OR 质量").replace("brand: acme\n    category: legal",
                                                                           "brand: acne\n    category: legal"),
                  encoding="utf-8")
    code, out, err = run(capsys, "rules", "test", str(kw))
    assert (code, out) == (2, "")
    assert err == (f"error: configuration is invalid (2 problem(s)):\n"
                   f"  {kw}: rule acme-quality: column 13: '(' is never closed: add ')'\n"
                   f"    {{brand}} AND (broken OR 质量 NOT giveaway\n"
                   f"                ^\n"
                   f"  {kw}: rule acme-news: line 15: unknown brand 'acne' (brands: acme)\n")


def test_rules_lint(capsys: pytest.CaptureFixture[str], kw: Path) -> None:
    assert run(capsys, "rules", "lint", str(kw)) == (0, f"{kw}: 0 error(s), 0 warning(s)\n", "")
    kw.write_text(GOOD + "  - {id: dup, brand: acme, category: quality, query: '(质量 OR broken) {brand} -giveaway'}\n",
                  encoding="utf-8")
    code, out, _ = run(capsys, "rules", "lint", str(kw))
    assert code == 1
    assert out.splitlines() == [
        f"{kw}: rule dup: line 20: error: duplicate of rule acme-quality (same brand, query and filters)",
        f"{kw}: rule dup: line 20: warning: no examples: add examples.match and examples.no_match so "
        "`monitor rules test` checks the rule",
        f"{kw}: 1 error(s), 1 warning(s)"]
    code, out, _ = run(capsys, "rules", "lint", str(kw), "--json")
    assert code == 1
    assert [(f["severity"], f["code"], f["rule"]) for f in json.loads(out)["findings"]] == [
        ("error", "duplicate", "dup"), ("warning", "no-examples", "dup")]


def test_rules_lint_strict_fails_on_warnings(capsys: pytest.CaptureFixture[str], kw: Path) -> None:
    kw.write_text(GOOD + "  - {id: w, brand: acme, category: quality, query: '{brand} ok', examples: {match: [a]}}\n",
                  encoding="utf-8")
    assert run(capsys, "rules", "lint", str(kw))[0] == 0
    assert run(capsys, "rules", "lint", str(kw), "--strict")[0] == 1


FEED = [
    {"type": "post", "ts": "2026-03-01T08:00:00Z", "source": "reddit", "id": "1",
     "text": "Acme kettle broken, leaking", "sentiment": "negative"},
    {"type": "post", "ts": "2026-03-01T08:01:00Z", "source": "reddit", "id": "2",
     "text": "Acme kettle broken and leaking again", "sentiment": "negative"},
    {"type": "post", "ts": "2026-03-01T08:02:00Z", "source": "weibo", "id": "3", "text": "艾克美 质量 很好",
     "sentiment": {"label": "positive"}},
    {"type": "post", "ts": "2026-03-01T08:03:00Z", "source": "reddit", "id": "4", "text": "nice weather"},
    {"type": "trend", "ts": "2026-03-01T08:04:00Z", "source": "weibo_hot", "word": "艾克美水壶", "rank": 2},
]


def write_feed(tmp_path: Path) -> Path:
    path = tmp_path / "feed.jsonl"
    lines = [json.dumps(e, ensure_ascii=False) for e in FEED]
    lines.insert(2, "{not json")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_rules_stats_json(capsys: pytest.CaptureFixture[str], kw: Path, tmp_path: Path) -> None:
    feed = write_feed(tmp_path)
    code, out, err = run(capsys, "rules", "stats", str(feed), "--keywords", str(kw), "--json")
    assert code == 0
    assert err == "feed.jsonl: line 3: not valid JSON (Expecting property name enclosed in double quotes at " \
                  "column 2) (line skipped)\n"
    stats = json.loads(out)
    assert stats | {"suggestions": None} == {
        "file": str(kw), "feed": str(feed), "posts": 4, "bad_lines": 1, "trends": 1, "matched_posts": 3,
        "negative_posts": 2, "sentiment": "feed", "rules": {"acme-quality": 3, "acme-news": 0},
        "brands": {"acme": 3}, "categories": {"quality": 3}, "trend_hits": {"acme": 1},
        "never_fired": ["acme-news"], "suggestions": None}
    assert [(s["term"], s["posts"]) for s in stats["suggestions"]] == [("kettle", 2), ("leaking", 2)]


def test_rules_stats_text(capsys: pytest.CaptureFixture[str], kw: Path, tmp_path: Path) -> None:
    code, out, _ = run(capsys, "rules", "stats", str(write_feed(tmp_path)), "--keywords", str(kw),
                       "--sentiment", "none")
    assert code == 0
    assert "  acme                           3   trending 1x\n" in out
    assert "rules that never fired (1 of 2):\n  acme-news\n" in out
    assert "expansion suggestions: terms frequent in 3 matched post(s), all matched posts (no sentiment)" in out


def test_rules_stats_on_a_missing_feed(capsys: pytest.CaptureFixture[str], kw: Path, tmp_path: Path) -> None:
    code, _, err = run(capsys, "rules", "stats", str(tmp_path / "nope.jsonl"), "--keywords", str(kw))
    assert code == 1
    assert err == f"error: {tmp_path / 'nope.jsonl'}: cannot read the feed: No such file or directory\n"
