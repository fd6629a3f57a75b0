"""`monitor rules test|lint|stats`: tooling for keywords.yaml.

``test`` runs every rule's examples, ``lint`` finds rules that are duplicated, can
never match or match far too much, ``stats`` replays a recording through the rules
and suggests terms to add. Exit codes: 0 fine, 1 failures/errors found, 2 the file
does not load.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from typing import Any

DEFAULT_FILE = "keywords.yaml"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("rules", help="keyword-rule tooling: test, lint, stats",
                       description="Check and measure the keyword rules in keywords.yaml.")
    rsub = p.add_subparsers(dest="rules_command", metavar="ACTION")
    rsub.required = True

    t = rsub.add_parser("test", help="run every rule's examples; non-zero exit on a failure")
    t.add_argument("file", nargs="?", default=DEFAULT_FILE, help="keywords file (default ./keywords.yaml)")
    t.add_argument("--json", action="store_true", help="print the results as one JSON object")
    t.set_defaults(func=cmd_test)

    lint = rsub.add_parser("lint", help="find duplicate, impossible and over-broad rules")
    lint.add_argument("file", nargs="?", default=DEFAULT_FILE, help="keywords file (default ./keywords.yaml)")
    lint.add_argument("--json", action="store_true", help="print the findings as one JSON object")
    lint.add_argument("--strict", action="store_true", help="exit non-zero on warnings too")
    lint.set_defaults(func=cmd_lint)

    st = rsub.add_parser("stats", help="hits per rule and brand over a recorded feed, and terms to add")
    st.add_argument("feed", help="recorded feed (JSONL events)")
    st.add_argument("--keywords", default=DEFAULT_FILE, help="keywords file (default ./keywords.yaml)")
    st.add_argument("--sentiment", choices=["auto", "feed", "model", "none"], default="auto",
                    help="which matched posts count as negative for suggestions: labels in the feed "
                         "('sentiment' or 'label' fields), the sentiment model, or all of them (none); "
                         "auto: feed labels if present, else the model, else all")
    st.add_argument("--top", type=int, default=20, help="how many rules and suggestions to list")
    st.add_argument("--json", action="store_true", help="print the statistics as one JSON object")
    st.set_defaults(func=cmd_stats)


def _emit_json(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def cmd_test(args: argparse.Namespace) -> int:
    from monitor.nlp.keywords import load_rules
    from monitor.nlp.keywords.examples import run_examples

    rs = load_rules(args.file)
    results = run_examples(rs)
    failures = [r for r in results if not r.passed]
    untested = [r.id for r in rs.rules if not r.examples]
    if args.json:
        _emit_json({
            "file": rs.file, "rules": len(rs.rules), "examples": len(results),
            "passed": len(results) - len(failures), "failed": len(failures),
            "failures": [{"rule": f.rule.id, "example": f.example.label, "line": f.example.line,
                          "expected": "match" if f.example.expect else "no_match",
                          "text": f.example.post.text, "terms": list(f.terms)} for f in failures],
            "without_examples": untested,
        })
    else:
        for f in failures:
            print(f.describe(rs.file))
        summary = (f"{rs.file}: {len(rs.rules)} rules, {len(results)} examples: "
                   f"{len(results) - len(failures)} passed, {len(failures)} failed")
        if untested:
            summary += f"; {len(untested)} rule(s) without examples"
        print(summary, file=sys.stderr if failures else sys.stdout)
    return 1 if failures else 0


def cmd_lint(args: argparse.Namespace) -> int:
    from monitor.nlp.keywords.lint import lint_file

    findings = lint_file(args.file)
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    if args.json:
        _emit_json({"file": args.file, "errors": errors, "warnings": warnings,
                    "findings": [f.as_dict() for f in findings]})
    else:
        for f in findings:
            print(f)
        print(f"{args.file}: {errors} error(s), {warnings} warning(s)")
    return 1 if errors or (args.strict and warnings) else 0


def cmd_stats(args: argparse.Namespace) -> int:
    from monitor.feed import BadLine, read_feed
    from monitor.models import Post, Trend
    from monitor.nlp.keywords import load_rules
    from monitor.nlp.keywords.stats import rule_stats

    rs = load_rules(args.keywords)
    posts: list[Post] = []
    trends: list[Trend] = []
    bad: list[BadLine] = []
    try:
        for _, item in read_feed(args.feed):
            if isinstance(item, BadLine):
                bad.append(item)
            elif isinstance(item, Post):
                posts.append(item)
            elif isinstance(item, Trend):
                trends.append(item)
    except OSError as exc:
        from monitor.errors import MonitorError

        raise MonitorError(f"{args.feed}: cannot read the feed: {exc.strerror or exc}") from None
    for b in bad:
        print(b, file=sys.stderr)
    matches = rs.match_many(posts)
    source, negative = _negatives(args.sentiment, posts, matches)
    st = rule_stats(rs, posts, matches, negative, top=args.top)
    trend_hits: dict[str, int] = {}
    for trend in trends:
        for brand in {m.brand for m in rs.match_trend(trend)}:
            trend_hits[brand] = trend_hits.get(brand, 0) + 1
    if args.json:
        _emit_json({
            "file": rs.file, "feed": args.feed, "posts": st.posts, "bad_lines": len(bad), "trends": len(trends),
            "matched_posts": st.matched_posts, "negative_posts": st.negative_posts, "sentiment": source,
            "rules": {r.id: st.rules[r.id] for r in rs.rules}, "brands": dict(st.brands),
            "categories": dict(st.categories), "trend_hits": trend_hits, "never_fired": st.never_fired,
            "suggestions": [{"term": s.term, "posts": s.posts, "lift": s.lift, "example": s.example}
                            for s in st.suggestions],
        })
        return 0
    print(f"{rs.file} over {args.feed}: {st.posts} posts ({len(bad)} bad line(s) skipped), {len(trends)} trend(s); "
          f"{st.matched_posts} matched a rule")
    print("\nhits per brand (posts):")
    for brand in rs.brands:
        print(f"  {brand:<24} {st.brands[brand]:>7}" + (f"   trending {trend_hits[brand]}x"
                                                          if brand in trend_hits else ""))
    print("\nhits per category: " + ", ".join(f"{c} {n}" for c, n in st.categories.most_common()))
    print(f"\nhits per rule (top {args.top}):")
    for rule_id, n in st.rules.most_common(args.top):
        print(f"  {rule_id:<40} {n:>7}  {rs.rule(rule_id).category}")
    print(f"\nrules that never fired ({len(st.never_fired)} of {len(rs.rules)}):")
    if st.never_fired:
        print(textwrap.fill(", ".join(st.never_fired), width=110, initial_indent="  ", subsequent_indent="  ",
                            break_on_hyphens=False))
    label = {"feed": "negative by the feed's labels", "model": "negative by the sentiment model",
             "none": "all matched posts (no sentiment)"}[source]
    print(f"\nexpansion suggestions: terms frequent in {st.negative_posts} matched post(s), {label}, "
          "that no rule names:")
    if not st.suggestions:
        print("  (none)")
    for sug in st.suggestions:
        print(f"  {_pad(sug.term, 20)} {sug.posts:>5} post(s)  lift {sug.lift:<5}  e.g. {sug.example[:70]!r}")
    return 0


def _pad(text: str, width: int) -> str:
    """Left-justify counting wide (CJK) characters as two columns."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - used)


def _feed_label(post: Any) -> str | None:
    value = post.extra.get("sentiment", post.extra.get("label"))
    if isinstance(value, dict):
        value = value.get("label")
    return value.lower() if isinstance(value, str) else None


def _negatives(mode: str, posts: list[Any], matches: list[list[Any]]) -> tuple[str, list[bool] | None]:
    """Which posts count as negative, and how that was decided."""
    labels = [_feed_label(p) for p in posts]
    if mode == "feed" or (mode == "auto" and any(labels)):
        return "feed", [label == "negative" for label in labels]
    if mode in ("model", "auto"):
        from monitor.errors import MonitorError

        try:
            from monitor.nlp.sentiment import SentimentConfig, load_scorer

            scorer = load_scorer(SentimentConfig())
            matched = [i for i, m in enumerate(matches) if m]
            scores = scorer.score([posts[i].text for i in matched], [posts[i].lang for i in matched])
        except (MonitorError, ImportError, OSError) as exc:
            if mode == "model":
                raise MonitorError(f"sentiment model unavailable: {exc}") from None
            print(f"note: sentiment model unavailable ({exc}); counting every matched post", file=sys.stderr)
            return "none", None
        negative = [False] * len(posts)
        for i, s in zip(matched, scores, strict=True):
            negative[i] = s.label == "negative"
        return "model", negative
    return "none", None
