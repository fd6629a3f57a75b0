"""Lexer and parser of the rule query language, with columns for every error.

Grammar (NEAR binds tightest, then NOT, then AND — also implied by juxtaposition —
then OR)::

    query   := and (OR and)*
    and     := unary ((AND)? unary)*
    unary   := (NOT | '-') unary | near
    near    := primary ((NEAR/n | ONEAR/n) primary)?
    primary := WORD | "PHRASE" | {brand} | {brand:id} | field:value
             | title:primary | '(' query ')'

Operators are upper-case; a lower-case ``and`` is a search term (lint says so).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from monitor.models import KINDS
from monitor.nlp.keywords.nodes import FIELDS, And, Field, Near, Node, Not, Or, Term
from monitor.nlp.keywords.text import fold_chars, is_word, normalize


class QueryError(Exception):
    """A syntax error at ``col`` (0-based index into the query)."""

    def __init__(self, message: str, col: int) -> None:
        super().__init__(message)
        self.message = message
        self.col = col


@dataclass(frozen=True, slots=True)
class Tok:
    kind: str  # LP RP AND OR NOT MINUS NEAR WORD PHRASE BRAND FIELD TITLE
    text: str
    col: int
    value: str = ""
    num: int = 0


_STOP = set(' \t\r\n()"{}')
_NEAR = re.compile(r"(O?NEAR)(?:/(.*))?")
_FIELD = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):(.*)", re.DOTALL)
_FIELD_LIST = ", ".join(FIELDS)


def tokenize(query: str) -> list[Tok]:
    """Split a (character-folded) query into tokens; columns index into ``query``."""
    toks: list[Tok] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            toks.append(Tok("LP" if ch == "(" else "RP", ch, i))
            i += 1
        elif ch == '"':
            end = query.find('"', i + 1)
            if end < 0:
                raise QueryError('unterminated phrase: add the closing "', i)
            toks.append(Tok("PHRASE", query[i : end + 1], i, query[i + 1 : end]))
            i = end + 1
        elif ch == "{":
            end = query.find("}", i + 1)
            if end < 0:
                raise QueryError("unclosed '{': write {brand} or {brand:<id>}", i)
            toks.append(Tok("BRAND", query[i : end + 1], i, query[i + 1 : end].strip()))
            i = end + 1
        elif ch == "}":
            raise QueryError("unexpected '}' without a '{'", i)
        else:
            j = i
            while j < n and query[j] not in _STOP:
                j += 1
            toks.extend(_bare(query[i:j], i, query, j))
            i = j
    return toks


def _bare(raw: str, col: int, query: str, end: int) -> list[Tok]:
    """Tokens of one run of non-space, non-bracket characters."""
    if raw.startswith("-"):
        # a '-' opening a token is NOT (-giveaway); inside a word it is text (wi-fi)
        if len(raw) == 1:
            if end < len(query) and query[end] in '("{':
                return [Tok("MINUS", "-", col)]
            raise QueryError("'-' needs a term right after it, e.g. -giveaway", col)
        return [Tok("MINUS", "-", col), *_bare(raw[1:], col + 1, query, end)]
    if raw in ("AND", "OR", "NOT"):
        return [Tok(raw, raw, col)]
    m = _NEAR.fullmatch(raw)
    if m:
        op, num = m.group(1), m.group(2)
        if num is None or not num.isdigit():
            raise QueryError(f"{op}/ needs a number, e.g. {op}/5", col)
        return [Tok("NEAR", raw, col, value=op, num=int(num))]
    m = _FIELD.fullmatch(raw)
    if m:
        name, value = m.group(1), m.group(2)
        if name.lower() not in FIELDS:
            raise QueryError(f"unknown field '{name}:' (fields: {_FIELD_LIST}); "
                             f'to search for the text, quote it: "{raw}"', col)
        name = name.lower()
        if name == "title":
            head = Tok("TITLE", raw[:6], col)
            return [head, *_bare(value, col + 6, query, end)] if value else [head]
        if not value and end < len(query) and query[end] == '"':
            return [Tok("FIELD", raw, col, value=name)]  # the value follows as a quoted string
        if not value:
            raise QueryError(f"{name}: needs a value, e.g. {_FIELD_EXAMPLE[name]}", col)
        return [Tok("FIELD", raw, col, value=name, num=1)]
    return [Tok("WORD", raw, col, value=raw)]


_FIELD_EXAMPLE = {"author": "author:jdoe", "kind": "kind:news", "lang": "lang:zh", "site": "site:reuters.com",
                  "source": "source:reddit", "title": "title:recall"}


MAX_NESTING = 32
"""Deepest nesting of parentheses and NOTs in one query (real rules stay under 5)."""


class Parser:
    """Recursive-descent parser; raises :class:`QueryError` at the first problem."""

    def __init__(self, query: str, brand: str, aliases: Mapping[str, Sequence[str]]) -> None:
        self.source = query  # as written: terms report this text
        self.query = fold_chars(query)  # one character per character, so columns agree
        self.brand = brand
        self.aliases = aliases
        self.toks = tokenize(self.query)
        self.pos = 0
        self.scope = "any"
        self.depth = 0  # open parentheses and NOTs: bounded, so a hostile query cannot exhaust the stack

    def enter(self, tok: Tok) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise QueryError(f"nested more than {MAX_NESTING} levels deep (parentheses or NOTs); "
                             f"simplify the query", tok.col)

    def parse(self) -> Node:
        if not self.toks:
            raise QueryError("empty query", 0)
        node = self.or_expr()
        if self.pos < len(self.toks):
            tok = self.toks[self.pos]
            if tok.kind == "RP":
                raise QueryError("unexpected ')': there is no '(' to close", tok.col)
            raise QueryError(f"unexpected {tok.text!r}", tok.col)  # pragma: no cover - grammar covers all
        return node

    # -- helpers
    def peek(self) -> Tok | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self) -> Tok:
        tok = self.toks[self.pos]
        self.pos += 1
        return tok

    def starts_operand(self, tok: Tok | None) -> bool:
        return tok is not None and tok.kind in ("LP", "NOT", "MINUS", "WORD", "PHRASE", "BRAND", "FIELD", "TITLE")

    # -- grammar
    def or_expr(self) -> Node:
        first = self.peek()
        if first is not None and first.kind in ("AND", "OR", "NEAR"):
            raise QueryError(f"{first.text} needs a term on both sides", first.col)
        children = [self.and_expr()]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.take()
            if not self.starts_operand(self.peek()):
                raise QueryError("OR needs a term on both sides", tok.col)
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def and_expr(self) -> Node:
        children = [self.unary()]
        while True:
            tok = self.peek()
            if tok is not None and tok.kind == "AND":
                self.take()
                if not self.starts_operand(self.peek()):
                    raise QueryError("AND needs a term on both sides", tok.col)
            elif not self.starts_operand(tok):
                break
            children.append(self.unary())
        return children[0] if len(children) == 1 else And(tuple(children))

    def unary(self) -> Node:
        tok = self.peek()
        if tok is not None and tok.kind in ("NOT", "MINUS"):
            self.take()
            if not self.starts_operand(self.peek()):
                raise QueryError("NOT needs a term after it", tok.col)
            self.enter(tok)
            node = Not(self.unary(), tok.col)
            self.depth -= 1
            return node
        return self.near()

    def near(self) -> Node:
        left = self.primary()
        tok = self.peek()
        if tok is None or tok.kind != "NEAR":
            return left
        self.take()
        if not self.starts_operand(self.peek()) or self.peek().kind in ("NOT", "MINUS"):  # type: ignore[union-attr]
            raise QueryError(f"{tok.text} needs a term on both sides", tok.col)
        right = self.primary()
        for operand in (left, right):
            if not _proximity_operand(operand):
                raise QueryError(f"{tok.text} can only join words, phrases or OR-groups of them", tok.col)
        after = self.peek()
        if after is not None and after.kind == "NEAR":
            raise QueryError(f"{after.value}/ cannot be chained; join pairs with AND, "
                             f"e.g. (a {tok.text} b) AND (b {after.text} c)", after.col)
        return Near(left, right, tok.num, tok.value == "ONEAR", tok.col)

    def primary(self) -> Node:
        tok = self.peek()
        if tok is None:  # pragma: no cover - callers check starts_operand first
            raise QueryError("a term is missing at the end", len(self.query))
        if tok.kind in ("AND", "OR", "NEAR"):
            raise QueryError(f"{tok.text} needs a term on both sides", tok.col)
        if tok.kind == "RP":
            raise QueryError("unexpected ')': there is no '(' to close", tok.col)
        self.take()
        if tok.kind == "LP":
            if (nxt := self.peek()) is not None and nxt.kind == "RP":
                raise QueryError("empty parentheses", tok.col)
            if nxt is None:
                raise QueryError("'(' is never closed: add ')'", tok.col)
            self.enter(tok)
            node = self.or_expr()
            self.depth -= 1
            close = self.peek()
            if close is None or close.kind != "RP":
                raise QueryError("'(' is never closed: add ')'", tok.col)
            self.take()
            return node
        if tok.kind == "WORD":
            return self.word(tok.value, tok.col)
        if tok.kind == "PHRASE":
            return self.phrase(tok.value, tok.col)
        if tok.kind == "BRAND":
            return self.brand_terms(tok)
        if tok.kind == "TITLE":
            if not self.starts_operand(self.peek()) or self.peek().kind in ("FIELD", "TITLE"):  # type: ignore[union-attr]
                raise QueryError("title: needs a term, e.g. title:recall", tok.col)
            saved, self.scope = self.scope, "title"
            try:
                return self.unary() if self.peek().kind in ("NOT", "MINUS") else self.primary()  # type: ignore[union-attr]
            finally:
                self.scope = saved
        return self.field(tok)

    def field(self, tok: Tok) -> Node:
        name = tok.value
        if tok.num:  # value inside the token
            value = tok.text.split(":", 1)[1]
        else:
            quoted = self.take()
            value = quoted.value
        value = value.strip().lower()
        if name == "author":
            value = value.lstrip("@")
        if name == "site":
            value = re.sub(r"^[a-z]+://", "", value).split("/")[0].removeprefix("www.")
        if not value:
            raise QueryError(f"{name}: needs a value, e.g. {_FIELD_EXAMPLE[name]}", tok.col)
        if name == "kind" and value not in KINDS:
            raise QueryError(f"kind:{value} is not a kind ({', '.join(KINDS)})", tok.col)
        return Field(name, value, tok.col)

    def word(self, raw: str, col: int) -> Term:
        wildcard = "*" in raw or "?" in raw
        core = raw.replace("*", "").replace("?", "")
        if not any(is_word(c) for c in core):
            if wildcard:
                raise QueryError(f"wildcard '{raw}' needs letters to anchor it, e.g. defect*", col)
            raise QueryError(f"'{raw}' has no letters or digits to search for", col)
        text = self.source[col : col + len(raw)]
        return Term(text, normalize(raw), wildcard=wildcard, scope=self.scope, col=col)

    def phrase(self, raw: str, col: int) -> Term:
        if not raw.strip():
            raise QueryError("empty phrase", col)
        if not any(is_word(c) for c in raw):
            raise QueryError(f"'{raw}' has no letters or digits to search for", col)
        text = self.source[col : col + len(raw) + 2]
        return Term(text, normalize(raw), phrase=True, scope=self.scope, col=col)

    def brand_terms(self, tok: Tok) -> Node:
        name, _, other = tok.value.partition(":")
        if name.strip() != "brand":
            raise QueryError(f"unknown placeholder {tok.text}: write {{brand}} or {{brand:<id>}}", tok.col)
        brand = other.strip() if other else self.brand
        if brand not in self.aliases:
            known = ", ".join(sorted(self.aliases)) or "none"
            raise QueryError(f"unknown brand '{brand}' in {tok.text} (brands: {known})", tok.col)
        seen: set[str] = set()
        out: list[Node] = []
        for alias in self.aliases[brand]:
            pattern = normalize(alias)
            if pattern and pattern not in seen and any(is_word(c) for c in pattern):
                seen.add(pattern)
                out.append(Term(alias, pattern, phrase=True, scope=self.scope, brand=brand, col=tok.col))
        if not out:
            raise QueryError(f"brand '{brand}' has no name or aliases to search for", tok.col)
        return out[0] if len(out) == 1 else Or(tuple(out))


def _proximity_operand(node: Node) -> bool:
    if isinstance(node, Term):
        return True
    return isinstance(node, Or) and all(_proximity_operand(c) for c in node.children)


def parse_query(query: str, brand: str, aliases: Mapping[str, Sequence[str]]) -> Node:
    """Parse ``query`` for a rule of ``brand``; ``aliases`` maps brand id -> name and aliases."""
    return Parser(query, brand, aliases).parse()
