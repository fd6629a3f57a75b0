"""A new brand's rule set, made from the shipped rules.

The bundled keywords.yaml is written for one example brand (``acme``) and its queries
already say ``{brand}`` wherever the brand is meant, so its rules are the templates: a
new brand gets each rule with the id, brand and the examples' brand mentions rewritten.
The result goes through the same compiler and example checks as any keywords.yaml; an
example that no longer holds for the new name (a name that is itself a topic word, say)
is dropped and reported, never shipped failing.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from monitor.defaults import bundled
from monitor.errors import ConfigError, Problem

TEMPLATE_BRAND = "acme"
LANGS = ("en", "zh")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_OPERATORS = re.compile(r"\b(?:AND|OR|NOT|O?NEAR/\d+)\b|\{brand\}|\b[a-z]+:\S+")


def slug(name: str) -> str:
    out = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return out or "brand"


def rule_langs(query: str) -> set[str]:
    """Which languages a template rule is written in: zh (CJK terms), en (Latin terms) or both."""
    rest = _OPERATORS.sub(" ", query)
    langs = set()
    if _CJK.search(rest):
        langs.add("zh")
    if re.search(r"[A-Za-z]{2,}", rest):
        langs.add("en")
    return langs or {"en"}


@dataclass
class NewBrand:
    id: str
    name: str
    aliases: list[str] = field(default_factory=list)
    ticker: str | None = None
    langs: tuple[str, ...] = LANGS

    def zh_name(self) -> str:
        return next((a for a in [self.name, *self.aliases] if _CJK.search(a)), self.name)

    def latin_name(self) -> str:
        return next((a for a in [self.name, *self.aliases] if not _CJK.search(a)), self.name)


def _template() -> dict[str, Any]:
    return yaml.safe_load(bundled("keywords.yaml").read_text(encoding="utf-8"))


def _compact(brand: NewBrand) -> str:
    return slug(brand.latin_name()).replace("-", "")


def _hashtags(text: str, brand: NewBrand) -> str:
    """#BoycottAcme -> #BoycottKettleco: the brand inside hashtags and handles, where words run together."""
    def fix(m: re.Match[str]) -> str:
        tag = m.group(0)
        return re.sub(TEMPLATE_BRAND, lambda _m: _compact(brand).capitalize() if _m.group(0)[0].isupper()
                      else _compact(brand), tag, flags=re.IGNORECASE)
    return re.sub(r"[#@]\w+", fix, text)


def _rewrite_text(text: str, brand: NewBrand, old_aliases: list[str]) -> str:
    text = _hashtags(text, brand)
    for alias in sorted(old_aliases, key=len, reverse=True):
        new = brand.zh_name() if _CJK.search(alias) else brand.latin_name()
        if alias[:1] in "@#":
            new = alias[0] + _compact(brand)
        pattern = re.escape(alias) if _CJK.search(alias) else rf"(?<![\w@#]){re.escape(alias)}(?!\w)"
        text = re.sub(pattern, lambda _m, n=new: n, text, flags=re.IGNORECASE)
    return text


def _rewrite(value: Any, brand: NewBrand, old_aliases: list[str]) -> Any:
    if isinstance(value, str):
        return _rewrite_text(value, brand, old_aliases)
    if isinstance(value, list):
        return [_rewrite(v, brand, old_aliases) for v in value]
    if isinstance(value, dict):
        return {k: (_rewrite(v, brand, old_aliases) if k in ("text", "title", "match", "no_match") else v)
                for k, v in value.items()}
    return value


def brand_rules(brand: NewBrand) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The brand entry and its rules (plain data, ready for YAML), before validation."""
    doc = _template()
    spec = doc["brands"][TEMPLATE_BRAND]
    old_aliases = list(dict.fromkeys([spec["name"], *spec.get("aliases", [])]))
    entry: dict[str, Any] = {"name": brand.name, "aliases": list(dict.fromkeys([brand.name, *brand.aliases]))}
    if brand.ticker:
        entry["ticker"] = brand.ticker
    rules = []
    for rule in doc["rules"]:
        langs = {"zh"} if "-zh-" in f"{rule['id']}-" else rule_langs(rule["query"])
        if rule.get("brand") != TEMPLATE_BRAND or not langs & set(brand.langs):
            continue
        new = copy.deepcopy(rule)
        new["id"] = brand.id + rule["id"][len(TEMPLATE_BRAND):] if rule["id"].startswith(TEMPLATE_BRAND) \
            else f"{brand.id}-{rule['id']}"
        new["brand"] = brand.id
        new["query"] = _hashtags(rule["query"], brand)
        if "examples" in new:
            new["examples"] = _rewrite(new["examples"], brand, old_aliases)
        rules.append(new)
    return entry, rules


def checked_rules(brand: NewBrand) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
    """brand_rules, compiled and with every example run; failing examples are dropped and named."""
    from monitor.nlp.keywords.examples import run_examples
    from monitor.nlp.keywords.ruleset import compile_rules

    entry, rules = brand_rules(brand)
    doc = {"brands": {brand.id: entry}, "rules": rules}
    rs = compile_rules(doc, f"<rules for {brand.id}>")
    dropped: list[str] = []
    failing = {(r.rule.id, "match" if r.example.expect else "no_match", r.example.index)
               for r in run_examples(rs) if not r.passed}
    for rule in rules:
        for label in ("match", "no_match"):
            items = (rule.get("examples") or {}).get(label)
            if not items:
                continue
            rule["examples"][label] = [ex for i, ex in enumerate(items) if (rule["id"], label, i) not in failing]
            dropped += [f"{rule['id']}: examples.{label}[{i}]: {ex!r}" for i, ex in enumerate(items)
                        if (rule["id"], label, i) in failing]
        if "examples" in rule and not any(rule["examples"].values()):
            del rule["examples"]
    compile_rules({"brands": {brand.id: entry}, "rules": rules}, f"<rules for {brand.id}>")  # still valid
    return entry, rules, dropped


def problem(message: str, file: str = "monitor brands add") -> ConfigError:
    return ConfigError([Problem(file, "", message)])
