"""``monitor rules lint``: rules that load but are probably wrong.

Errors: the file's load problems (bad syntax, unknown brands or fields, ...), duplicate
rules, rules that can never match. Warnings: over-broad rules (a bare short term, a
leading or short-stemmed wildcard, no positive term, no mention of the rule's brand),
lower-case words that look like operators, rules without examples.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path

from monitor.errors import ConfigError, Problem
from monitor.nlp.keywords.loader import load_document
from monitor.nlp.keywords.model import Brand, Rule
from monitor.nlp.keywords.nodes import And, Field, Near, Node, Not, Or, Term, positive_terms, terms, walk
from monitor.nlp.keywords.reference import term_regex
from monitor.nlp.keywords.text import is_cjk, is_latin
from monitor.yamlio import Located, load_yaml

MAX_ATOMS = 16  # truth-table search limit for "can never match"


@dataclass(frozen=True, slots=True)
class Finding:
    """One lint result. ``rule`` is empty for file-level problems."""

    severity: str  # "error" or "warning"
    code: str
    rule: str
    message: str
    file: str
    place: str = ""

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.place) if p]
        return ": ".join([*parts, f"{self.severity}: {self.message}"])

    def as_dict(self) -> dict[str, str]:
        return {"severity": self.severity, "code": self.code, "rule": self.rule, "place": self.place,
                "message": self.message}


def lint_file(path: str | Path) -> list[Finding]:
    """Lint a keywords file; a file that cannot be read or parsed as YAML gives one error finding."""
    try:
        doc = load_yaml(path)
    except ConfigError as exc:
        return [_problem(p) for p in exc.problems]
    return lint_document(doc)


def lint_document(doc: Located) -> list[Finding]:
    brands, rules, problems = load_document(doc)
    findings = [_problem(p) for p in problems]
    findings.extend(lint_rules(rules, brands, doc.file))
    return findings


def _problem(p: Problem) -> Finding:
    rule = p.place.split(":", 1)[0].removeprefix("rule ") if p.place.startswith("rule ") else ""
    message = f"{p.message}\n{p.excerpt}" if p.excerpt else p.message
    return Finding("error", "load", rule, message, p.file, p.place)


def lint_rules(rules: list[Rule], brands: dict[str, Brand], file: str) -> list[Finding]:
    out: list[Finding] = []
    seen: dict[tuple[object, ...], Rule] = {}
    for rule in rules:
        place = f"rule {rule.id}" + (f": line {rule.line}" if rule.line is not None else "")

        def add(severity: str, code: str, message: str, rule: Rule = rule, place: str = place) -> None:
            out.append(Finding(severity, code, rule.id, message, file, place))

        key = (rule.brand, canonical(rule.node), tuple(sorted(rule.filters.items())))
        if key in seen:
            add("error", "duplicate", f"duplicate of rule {seen[key].id} (same brand, query and filters)")
        else:
            seen[key] = rule
        if never_matches(rule):
            add("error", "never-matches", "can never match: its conditions contradict each other")
        for message in broad_terms(rule.node):
            add("warning", "over-broad", message)
        if not _requires_terms(rule.node):
            add("warning", "over-broad", "has no term a post must contain, so it matches nearly every post; "
                                         "add a term, e.g. {brand} AND ...")
        elif not _requires_brand(rule.node, rule.brand):
            name = brands[rule.brand].name if rule.brand in brands else rule.brand
            add("warning", "brand-not-required", f"can match posts that never mention {name}; "
                                                 "AND the query with {brand}")
        for term in terms(rule.node):
            if _looks_like_operator(term):
                op = term.text.split("/")[0].upper()
                add("warning", "lowercase-operator", f"'{term.text}' is searched as a word; operators are "
                                                     f"upper-case ({op})")
        if not rule.examples:
            add("warning", "no-examples", "no examples: add examples.match and examples.no_match so "
                                          "`monitor rules test` checks the rule")
    return out


def _looks_like_operator(term: Term) -> bool:
    return not term.phrase and (term.text in ("and", "or", "not") or re.fullmatch(r"o?near/\d*", term.text) is not None)


# -- duplicates ----------------------------------------------------------------------------------------------

def canonical(node: Node) -> object:
    """A hashable form that ignores the order of AND/OR operands and nesting of the same operator."""
    if isinstance(node, Term):
        return ("term", node.scope, node.wildcard, node.pattern)
    if isinstance(node, Field):
        return ("field", node.name, node.value)
    if isinstance(node, Not):
        return ("not", canonical(node.child))
    if isinstance(node, Near):
        sides = (canonical(node.left), canonical(node.right))
        if not node.ordered:
            sides = tuple(sorted(sides, key=repr))  # type: ignore[assignment]
        return ("onear" if node.ordered else "near", node.distance, *sides)
    op = "and" if isinstance(node, And) else "or"
    parts: set[object] = set()
    for child in node.children:
        form = canonical(child)
        if isinstance(child, type(node)):
            parts.update(form[1])  # type: ignore[index]
        else:
            parts.add(form)
    return (op, frozenset(parts))


# -- over-broad ----------------------------------------------------------------------------------------------

def broad_terms(node: Node) -> list[str]:
    out: list[str] = []
    near_operands = {id(t) for n in walk(node) if isinstance(n, Near) for t in terms(n.left) + terms(n.right)}
    for term in positive_terms(node):
        if term.brand is not None:
            continue
        core = term.pattern.replace("*", "").replace("?", "")
        if term.wildcard and term.pattern[0] in "*?":
            out.append(f"leading wildcard '{term.text}' matches too much and is slow (the whole post is scanned); "
                       "start the term with letters")
        elif term.wildcard and "*" in term.pattern:
            stem = term.pattern.split("*")[0].replace("?", "")
            if any(is_latin(c) for c in stem) and len(stem) < 3:
                out.append(f"wildcard '{term.text}' has a stem of {len(stem)} letter(s) and matches too many "
                           "words; use at least 3 letters before the *")
        elif not term.phrase and id(term) not in near_operands and _short(core) and not _looks_like_operator(term):
            out.append(f"term '{term.text}' is very short and matches too many posts; use a longer word or a "
                       "\"phrase\"")
    return out


def _short(core: str) -> bool:
    if all(is_cjk(c) for c in core):
        return len(core) < 2
    return len(core) < 3 and not core.isdigit()


def _requires_terms(node: Node) -> bool:
    """Can the node only be true when some term occurs?"""
    if isinstance(node, Term):
        return True
    if isinstance(node, Or):
        return all(_requires_terms(c) for c in node.children)
    if isinstance(node, And):
        return any(_requires_terms(c) for c in node.children)
    return isinstance(node, Near)


def _requires_brand(node: Node, brand: str) -> bool:
    """Can the node only be true when one of ``brand``'s names occurs?"""
    if isinstance(node, Term):
        return node.brand == brand
    if isinstance(node, Or):
        return all(_requires_brand(c, brand) for c in node.children)
    if isinstance(node, And):
        return any(_requires_brand(c, brand) for c in node.children)
    if isinstance(node, Near):
        return _requires_brand(node.left, brand) or _requires_brand(node.right, brand)
    return False


# -- can never match -----------------------------------------------------------------------------------------

Atom = tuple[str, ...]


def _atom(node: Term | Field) -> Atom:
    if isinstance(node, Term):
        return ("term", node.pattern, "w" if node.wildcard else "l", node.scope)
    return ("field", node.name, node.value)


def _polarity(node: Node, negated: bool, out: dict[Atom, set[bool]], objs: dict[Atom, Term | Field]) -> None:
    if isinstance(node, Term | Field):
        out.setdefault(_atom(node), set()).add(not negated)
        objs[_atom(node)] = node
    elif isinstance(node, Not):
        _polarity(node.child, not negated, out, objs)
    elif isinstance(node, And | Or):
        for c in node.children:
            _polarity(c, negated, out, objs)
    elif isinstance(node, Near):
        _polarity(node.left, negated, out, objs)
        _polarity(node.right, negated, out, objs)


def _eval(node: Node, value: dict[Atom, bool]) -> bool:
    if isinstance(node, Term | Field):
        return value[_atom(node)]
    if isinstance(node, Not):
        return not _eval(node.child, value)
    if isinstance(node, And):
        return all(_eval(c, value) for c in node.children)
    if isinstance(node, Or):
        return any(_eval(c, value) for c in node.children)
    assert isinstance(node, Near)  # for satisfiability NEAR is AND: two terms can always be written close
    return _eval(node.left, value) and _eval(node.right, value)


def _implies(a: Term, b: Term) -> bool:
    """Does every post containing ``a`` also contain ``b``? (``a`` literal: ``b`` occurs inside it.)"""
    if a.wildcard or (b.scope == "title" and a.scope != "title"):
        return False
    return term_regex(b).search(a.pattern) is not None


def _exclusive(a: Field, b: Field) -> bool:
    """Can two field filters never both hold?"""
    if a.name != b.name or a.value == b.value or a.name == "site":
        return False
    if a.name == "lang":
        x, y = sorted((a.value, b.value), key=len)
        return not (y.startswith(x + "-") or y.startswith(x + "_"))
    return True


def never_matches(rule: Rule) -> bool:
    """True when no assignment of its terms and fields satisfies the rule (a truth-table search)."""
    node: Node = rule.node
    if rule.filters:
        groups = [Or(tuple(Field(name, v) for v in values)) for name, values in rule.filters.items()]
        node = And((*groups, node))
    polarity: dict[Atom, set[bool]] = {}
    objs: dict[Atom, Term | Field] = {}
    _polarity(node, False, polarity, objs)
    pairs: list[tuple[Atom, Atom, str]] = []
    for x, y in itertools.permutations(objs, 2):
        ox, oy = objs[x], objs[y]
        if isinstance(ox, Term) and isinstance(oy, Term) and _implies(ox, oy):
            pairs.append((x, y, "implies"))
        elif isinstance(ox, Field) and isinstance(oy, Field) and x < y and _exclusive(ox, oy):
            pairs.append((x, y, "excludes"))
    constrained = {a for x, y, _ in pairs for a in (x, y)}
    free = [a for a in objs if a in constrained or len(polarity[a]) > 1]
    if len(free) > MAX_ATOMS:
        return False  # too big to decide cheaply; say nothing rather than guess
    fixed = {a: True in polarity[a] for a in objs if a not in free}
    for bits in itertools.product((False, True), repeat=len(free)):
        value = dict(fixed)
        value.update(zip(free, bits, strict=True))
        if any((kind == "implies" and value[x] and not value[y]) or (kind == "excludes" and value[x] and value[y])
               for x, y, kind in pairs):
            continue
        if _eval(node, value):
            return False
    return True
