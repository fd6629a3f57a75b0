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
