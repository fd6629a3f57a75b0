"""`monitor brands list | add NAME`: the brands of a keywords file, and a new brand's rules from templates."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from monitor.cli.common import print_json
from monitor.defaults.templates import LANGS, NewBrand, checked_rules, problem, slug
from monitor.nlp.keywords.ruleset import compile_rules, load_rules
from monitor.yamlio import parse_yaml

HEADER = ("# Keyword rules: brands and the queries that find talk about them (see `monitor rules --help`).\n"
          "# Check changes with `monitor rules test` and `monitor rules lint`.\n\nbrands:\n\nrules:\n")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("brands", help="list brands; add a brand's rule set from the shipped templates")
    bsub = p.add_subparsers(dest="action", metavar="ACTION")
    ls = bsub.add_parser("list", help="the brands of a keywords file")
    ls.add_argument("--keywords", "-k", type=Path, default=Path("keywords.yaml"), help="default ./keywords.yaml")
    ls.add_argument("--json", action="store_true", help="one JSON line")
    ls.set_defaults(func=list_brands)
    add = bsub.add_parser(
        "add", help="add a brand with rules made from the shipped rule templates",
        description="Add a brand to a keywords file with the shipped rules (safety, quality, service, legal, ...) "
                    "rewritten for it, in English and/or Chinese. The result is compiled and every rule example "
                    "run before anything is written; examples that no longer hold for the new name are dropped "
                    "and listed.")
    add.add_argument("name", help="the brand's display name, e.g. 'KettleCo'")
    add.add_argument("--id", help="brand id used in alerts and reports (default: from the name, e.g. kettleco)")
    add.add_argument("--alias", action="append", default=[], metavar="ALIAS",
                     help="another name the public uses (repeatable), e.g. --alias 'Kettle Co' --alias 壶宝")
    add.add_argument("--lang", default=",".join(LANGS), help="rule languages, comma-separated: en, zh (default both)")
    add.add_argument("--ticker", help="stock symbol for the market source")
    add.add_argument("--keywords", "-k", type=Path, default=Path("keywords.yaml"),
                     help="the file to add to (created when missing; default ./keywords.yaml)")
    add.add_argument("--stdout", action="store_true", help="print the brand's rules instead of writing the file")
    add.set_defaults(func=add_brand)
    p.set_defaults(func=list_brands, keywords=Path("keywords.yaml"), json=False)


def list_brands(args: argparse.Namespace) -> int:
    rs = load_rules(args.keywords)
    counts = {b: sum(1 for r in rs.rules if r.brand == b) for b in rs.brands}
    rows = [{"id": b.id, "name": b.name, "aliases": list(b.aliases), "ticker": b.ticker, "rules": counts[b.id]}
            for b in rs.brands.values()]
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        print(f"{r['id']}  {r['name']}  ({r['rules']} rules{', ticker ' + r['ticker'] if r['ticker'] else ''})")
    return 0


def add_brand(args: argparse.Namespace) -> int:
    langs = tuple(x.strip() for x in args.lang.split(",") if x.strip())
    bad = [x for x in langs if x not in LANGS]
    if bad or not langs:
        raise problem(f"--lang {args.lang!r}: languages are {', '.join(LANGS)} (write e.g. --lang en,zh)")
    brand = NewBrand(id=args.id or slug(args.name), name=args.name, aliases=args.alias, ticker=args.ticker,
                     langs=langs)
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", brand.id):
        raise problem(f"brand id {brand.id!r} must be lowercase letters, digits, - or _ (write e.g. --id kettleco)")
    entry, rules, dropped = checked_rules(brand)
    block = _dump({brand.id: entry}, 2)
    rule_block = _dump(rules, 2)
    if args.stdout:
        sys.stdout.write(f"brands:\n{block}\nrules:\n{rule_block}")
        return 0
    path: Path = args.keywords
    text = path.read_text(encoding="utf-8") if path.is_file() else HEADER
    existing = parse_yaml(text, str(path)).data or {}  # a broken file: its syntax error, nothing written
    if brand.id in (existing.get("brands") or {}):
        raise problem(f"brand {brand.id!r} is already in the file; pick another --id", str(path))
    new_text = _insert(text, block, rule_block)
    compile_rules(parse_yaml(new_text, str(path)))  # the whole file must still compile
    path.write_text(new_text, encoding="utf-8")
    print(f"added brand {brand.id} ({brand.name}) with {len(rules)} rules ({', '.join(langs)}) to {path}")
    for line in dropped:
        print(f"  example dropped (does not hold for {brand.name!r}): {line}", file=sys.stderr)
    print(f"next: monitor rules test {path}; route alerts with notifiers[].brands: [{brand.id}]")
    return 0


def _dump(data: Any, indent: int) -> str:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000, default_flow_style=False)
    return "".join(" " * indent + line if line.strip() else line for line in text.splitlines(keepends=True))


def _insert(text: str, brand_block: str, rule_block: str) -> str:
    """Add the brand under ``brands:`` and the rules at the end of ``rules:``, keeping comments."""
    lines = text.splitlines(keepends=True)
    tops = [i for i, ln in enumerate(lines) if re.match(r"[A-Za-z_]\w*\s*:", ln)]
    keys = {lines[i].split(":", 1)[0].strip(): i for i in tops}
    if "brands" not in keys or "rules" not in keys or tops[-1] != keys["rules"] \
            or lines[keys["brands"]].split(":", 1)[1].strip() or lines[keys["rules"]].split(":", 1)[1].strip():
        data = yaml.safe_load(text) or {}  # an unusual layout: rewrite it whole (comments are lost)
        data.setdefault("brands", {}).update(yaml.safe_load(brand_block))
        data["rules"] = [*(data.get("rules") or []), *yaml.safe_load(rule_block)]
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
    at = keys["brands"] + 1
    out = [*lines[:at], brand_block, *lines[at:]]
    if not out[-1].endswith("\n"):
        out[-1] += "\n"
    return "".join(out) + rule_block
