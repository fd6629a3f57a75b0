"""keywords.yaml -> brands and parsed rules, collecting every problem with its place.

Nothing here raises on the first problem: each finding becomes a :class:`Problem`
(``file``, ``rule <id>: line N`` or ``rule <id>: column N``, message, caret excerpt) so
one run of ``monitor check`` or ``monitor rules lint`` lists everything to fix.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from monitor.errors import Problem
from monitor.models import KINDS
from monitor.nlp.keywords.model import FILTER_KEYS, Brand, Example, Rule, example_post
from monitor.nlp.keywords.parser import QueryError, parse_query
from monitor.yamlio import Located

_SLUG = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_BRAND_KEYS = ("name", "aliases", "ticker", "description")
_RULE_KEYS = ("id", "brand", "category", "query", "filters", "examples", "description")
_EXAMPLE_FIELDS = ("text", "title", "author", "url", "lang", "kind", "outlet", "source", "id",
                   "reposts", "likes", "replies")


def caret(query: str, col: int, indent: str = "    ") -> str:
    """The query on one line with a caret under character ``col`` (wide CJK characters count twice)."""
    flat = query.replace("\r", " ").replace("\n", " ").replace("\t", " ")
    pad = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in flat[:col])
    return f"{indent}{flat}\n{indent}{' ' * pad}^"


class _Loader:
    def __init__(self, doc: Located) -> None:
        self.doc = doc
        self.file = doc.file
        self.problems: list[Problem] = []

    def at(self, loc: tuple[str | int, ...], message: str, who: str = "") -> None:
        if who:
            line = self.doc.line(loc)
            place = f"{who}: line {line}" if line is not None else who
        else:
            place = self.doc.place(loc)
        self.problems.append(Problem(self.file, place, message))

    # -- brands
    def brands(self, data: Any) -> dict[str, Brand]:
        out: dict[str, Brand] = {}
        if data is None:
            self.at(("brands",), "no brands defined: add a 'brands:' mapping (id -> name, aliases, ticker)")
            return out
        if not isinstance(data, Mapping):
            self.at(("brands",), "'brands' must be a mapping of brand id -> {name, aliases, ticker}")
            return out
        for raw_id, spec in data.items():
            bid = str(raw_id)
            loc: tuple[str | int, ...] = ("brands", bid)
            who = f"brand {bid}"
            if not _SLUG.fullmatch(bid):
                self.at(loc, f"brand id '{bid}' must be lower-case letters, digits, '-', '_' or '.'", who)
                continue
            if not isinstance(spec, Mapping):
                self.at(loc, "a brand must be a mapping with name, aliases and ticker", who)
                continue
            bad = False
            for key in spec:
                if key not in _BRAND_KEYS:
                    self.at((*loc, str(key)), f"unknown field '{key}' (fields: {', '.join(_BRAND_KEYS)})", who)
                    bad = True
            name = spec.get("name")
            if not isinstance(name, str) or not name.strip():
                self.at((*loc, "name"), "missing required field 'name' (the brand as people write it)", who)
                bad = True
            aliases = spec.get("aliases", [])
            if aliases is None:
                aliases = []
            if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
                self.at((*loc, "aliases"), "'aliases' must be a list of non-empty strings", who)
                bad = True
            ticker = spec.get("ticker")
            if ticker is not None and (not isinstance(ticker, str) or not ticker.strip()):
                self.at((*loc, "ticker"), "'ticker' must be a string such as ACME", who)
                bad = True
            if not bad:
                out[bid] = Brand(bid, name.strip(), tuple(a.strip() for a in aliases),  # type: ignore[union-attr]
                                 ticker.strip() if ticker else None)
        if not out and not self.problems:
            self.at(("brands",), "no brands defined: add at least one brand under 'brands:'")
        return out

    # -- rules
    def rules(self, data: Any, brands: dict[str, Brand], brand_ids: set[str]) -> list[Rule]:
        if data is None:
            return []
        if not isinstance(data, list):
            self.at(("rules",), "'rules' must be a list of rules (- id: ..., brand: ..., category: ..., query: ...)")
            return []
        aliases = {b.id: b.names for b in brands.values()}
        first_line: dict[str, int | None] = {}
        out: list[Rule] = []
        for i, spec in enumerate(data):
            loc: tuple[str | int, ...] = ("rules", i)
            if not isinstance(spec, Mapping):
                self.at(loc, "a rule must be a mapping with id, brand, category and query")
                continue
            rid = spec.get("id")
            if not isinstance(rid, str) or not rid.strip():
                self.at(loc, "missing required field 'id'" if rid is None else "'id' must be a string")
                continue
            rid = rid.strip()
            who = f"rule {rid}"
            if not _SLUG.fullmatch(rid):
                self.at((*loc, "id"), f"rule id '{rid}' must be lower-case letters, digits, '-', '_' or '.'", who)
                continue
            if rid in first_line:
                self.at((*loc, "id"), f"duplicate rule id '{rid}' (first defined at line {first_line[rid]})", who)
                continue
            first_line[rid] = self.doc.line(loc)
            rule = self.rule(spec, loc, rid, who, aliases, brand_ids)
            if rule is not None:
                out.append(rule)
        return out

    def rule(self, spec: Mapping[str, Any], loc: tuple[str | int, ...], rid: str, who: str,
             aliases: dict[str, tuple[str, ...]], brand_ids: set[str]) -> Rule | None:
        before = len(self.problems)
        for key in spec:
            if key not in _RULE_KEYS:
                self.at((*loc, str(key)), f"unknown field '{key}' (fields: {', '.join(_RULE_KEYS)})", who)
        brand = spec.get("brand")
        if brand is None:
            self.at(loc, "missing required field 'brand'", who)
        elif str(brand) not in brand_ids:
            known = ", ".join(sorted(brand_ids)) or "none defined"
            self.at((*loc, "brand"), f"unknown brand '{brand}' (brands: {known})", who)
        category = spec.get("category")
        if category is None:
            self.at(loc, "missing required field 'category' (e.g. quality, service, safety)", who)
        elif not isinstance(category, str) or not _SLUG.fullmatch(category):
            self.at((*loc, "category"), f"category '{category}' must be lower-case letters, digits, '-' or '_' "
                                        "(e.g. supply-chain)", who)
        query = spec.get("query")
        if query is None:
            self.at(loc, "missing required field 'query'", who)
        elif not isinstance(query, str):
            self.at((*loc, "query"), "'query' must be a string (quote it in YAML)", who)
        filters = self.filters(spec.get("filters"), (*loc, "filters"), who)
        examples = self.examples(spec.get("examples"), (*loc, "examples"), rid, who)
        if len(self.problems) > before or str(brand) not in aliases:
            return None
        assert isinstance(query, str) and isinstance(category, str)
        try:
            node = parse_query(query, str(brand), aliases)
        except QueryError as exc:
            self.problems.append(Problem(self.file, f"{who}: column {exc.col + 1}", exc.message,
                                         caret(query, exc.col)))
            return None
        desc = spec.get("description")
        return Rule(rid, str(brand), category, query, node, filters, examples, self.doc.line(loc),
                    desc if isinstance(desc, str) else "")

    def filters(self, data: Any, loc: tuple[str | int, ...], who: str) -> dict[str, tuple[str, ...]]:
        if data is None:
            return {}
        if not isinstance(data, Mapping):
            self.at(loc, f"'filters' must be a mapping such as {{lang: [zh], kind: [news]}} "
                         f"(keys: {', '.join(FILTER_KEYS)})", who)
            return {}
        out: dict[str, tuple[str, ...]] = {}
        for key, values in data.items():
            if key not in FILTER_KEYS:
                self.at((*loc, str(key)), f"unknown filter '{key}' (filters: {', '.join(FILTER_KEYS)})", who)
                continue
            if isinstance(values, str):
                values = [values]
            if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
                self.at((*loc, str(key)), f"filter '{key}' must be a list of strings, e.g. {key}: [...]", who)
                continue
            clean = tuple(v.strip().lower().lstrip("@") if key == "author" else v.strip().lower() for v in values)
            bad = [v for v in clean if key == "kind" and v not in KINDS]
            if bad:
                self.at((*loc, str(key)), f"unknown kind '{bad[0]}' (kinds: {', '.join(KINDS)})", who)
                continue
            out[str(key)] = clean
        return out

    def examples(self, data: Any, loc: tuple[str | int, ...], rid: str, who: str) -> tuple[Example, ...]:
        if data is None:
            return ()
        if not isinstance(data, Mapping):
            self.at(loc, "'examples' must be a mapping with 'match' and/or 'no_match' lists", who)
            return ()
        out: list[Example] = []
        for key, items in data.items():
            if key not in ("match", "no_match"):
                self.at((*loc, str(key)), f"unknown examples key '{key}' (use match or no_match)", who)
                continue
            if not isinstance(items, list):
                self.at((*loc, str(key)), f"examples.{key} must be a list of texts or post objects", who)
                continue
            for n, item in enumerate(items):
                where = (*loc, str(key), n)
                if isinstance(item, Mapping):
                    unknown = [k for k in item if k not in _EXAMPLE_FIELDS]
                    if unknown:
                        self.at(where, f"unknown post field '{unknown[0]}' in example "
                                       f"(fields: {', '.join(_EXAMPLE_FIELDS)})", who)
                        continue
                    if not isinstance(item.get("text"), str):
                        self.at(where, "an example post needs a 'text' string", who)
                        continue
                    if item.get("kind", "social") not in KINDS:
                        self.at(where, f"unknown kind '{item.get('kind')}' (kinds: {', '.join(KINDS)})", who)
                        continue
                elif not isinstance(item, str):
                    self.at(where, "an example is a text or a post object such as {text: ..., kind: news}", who)
                    continue
                try:
                    post = example_post(item, rid, len(out))
                except (TypeError, ValueError) as exc:
                    self.at(where, f"bad example post: {exc}", who)
                    continue
                out.append(Example(post, key == "match", n, self.doc.line(where)))
        return tuple(out)


def load_document(doc: Located) -> tuple[dict[str, Brand], list[Rule], list[Problem]]:
    """Brands, the rules that parsed, and every problem found (empty when the file is good)."""
    loader = _Loader(doc)
    data = doc.data
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        loader.at((), "a keywords file must be a mapping with 'brands' and 'rules'")
        return {}, [], loader.problems
    for key in data:
        if key not in ("brands", "rules"):
            loader.at((str(key),), f"unknown top-level field '{key}' (expected brands and rules)")
    raw_brands = data.get("brands")
    brands = loader.brands(raw_brands)
    # a brand with a bad field is still a brand: its rules should not also report "unknown brand"
    brand_ids = set(brands) | ({str(k) for k in raw_brands if _SLUG.fullmatch(str(k))}
                               if isinstance(raw_brands, Mapping) else set())
    rules = loader.rules(data.get("rules"), brands, brand_ids)
    return brands, rules, loader.problems
