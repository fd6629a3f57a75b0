"""How the compiled matcher searches for one term in :func:`~text.match_text` output.

Posts are not converted to simplified Chinese or half-width punctuation (that costs
more per post than everything else); instead each term is searched in all its
spellings (:func:`~text.variants`). A term gets one of four plans:

* ``WORD`` — a Latin word such as ``broken``: looked up in the set of the post's
  words, no automaton needed;
* ``LITERAL`` — every spelling is searched for; a hit only needs the whole-word check
  at its Latin edges;
* ``PREFIX`` — ``defect*``: the stem is searched for like a literal, with the check on
  the left only (the regex is used just for the span NEAR needs);
* ``ANCHORED`` — wildcards, or terms with too many spellings: the automaton looks for
  one literal piece, and the term's regex is tried at the one place a match would start;
* ``SCAN`` — a leading ``*`` leaves no such piece: the regex scans the whole post.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass

from monitor.nlp.keywords.nodes import Term
from monitor.nlp.keywords.text import CJK_CLASS, LATIN_CLASS, is_latin, variants

WORD, LITERAL, ANCHORED, SCAN, PREFIX = 3, 0, 1, 2, 4
MAX_SPELLINGS = 64  # automaton keys per term before we anchor on a piece instead


@dataclass(frozen=True, slots=True)
class TermPlan:
    kind: int
    keys: tuple[str, ...]  # automaton keys (or the word, for WORD)
    offset: int  # a hit ending at index e starts the match at e - offset
    lcheck: bool  # LITERAL: the first character is Latin, so a Latin neighbour on the left rejects
    rcheck: bool
    regex: re.Pattern[str] | None  # the whole term, for ANCHORED/SCAN (the others use str.find)


def _spellings(piece: str) -> int:
    return math.prod(len(variants(c)) for c in piece)


def _expand(piece: str) -> tuple[str, ...]:
    return tuple("".join(chars) for chars in itertools.product(*(variants(c) for c in piece)))


def _char(c: str) -> str:
    options = variants(c)
    if len(options) == 1:
        return re.escape(c)
    return "[" + "".join(re.escape(o) for o in options) + "]"


def term_regex(term: Term) -> re.Pattern[str]:
    """The term as a regex over match_text output: spellings, wildcards in the term's script, Latin edges."""
    pattern, wild = term.pattern, term.wildcard
    latin = any(is_latin(c) for c in pattern if not (wild and c in "*?"))
    cls = LATIN_CLASS if latin else CJK_CLASS
    body = "".join(f"{cls}*" if wild and c == "*" else cls if wild and c == "?" else _char(c) for c in pattern)

    def latin_edge(c: str) -> bool:
        return (wild and c in "*?" and latin) or is_latin(c)

    head = f"(?<!{LATIN_CLASS})" if latin_edge(pattern[0]) else ""
    tail = f"(?!{LATIN_CLASS})" if latin_edge(pattern[-1]) else ""
    return re.compile(head + body + tail)


def _best_window(piece: str) -> tuple[int, int]:
    """The longest stretch of ``piece`` with at most MAX_SPELLINGS spellings (start, end)."""
    best = (0, 0)
    lo, count = 0, 1
    for hi, c in enumerate(piece):
        count *= len(variants(c))
        while count > MAX_SPELLINGS:
            count //= len(variants(piece[lo]))
            lo += 1
        if hi + 1 - lo > best[1] - best[0]:
            best = (lo, hi + 1)
    return best


def plan(term: Term) -> TermPlan:
    pattern = term.pattern
    if not term.wildcard:
        if term.scope == "any" and all(is_latin(c) for c in pattern) and _spellings(pattern) == 1:
            return TermPlan(WORD, (pattern,), 0, False, False, None)
        if _spellings(pattern) <= MAX_SPELLINGS:
            return TermPlan(LITERAL, _expand(pattern), len(pattern) - 1, is_latin(pattern[0]),
                            is_latin(pattern[-1]), None)
    regex = term_regex(term)
    if not term.wildcard:
        lo, hi = _best_window(pattern)
        return TermPlan(ANCHORED, _expand(pattern[lo:hi]), hi - 1, False, False, regex)
    stem = pattern[:-1]
    if pattern.endswith("*") and stem and "*" not in stem and "?" not in stem and _spellings(stem) <= MAX_SPELLINGS:
        return TermPlan(PREFIX, _expand(stem), len(stem) - 1, is_latin(stem[0]), False, regex)
    # wildcards: the longest literal piece (or window of one) with only fixed-width pieces before it
    best: tuple[str, int] | None = None
    width = 0
    for piece in re.split(r"([*?])", pattern):
        if piece == "*":
            break
        if piece == "?":
            width += 1
            continue
        lo, hi = _best_window(piece)
        if hi > lo and (best is None or hi - lo > len(best[0])):
            best = (piece[lo:hi], width + hi - 1)
        width += len(piece)
    if best is not None:
        return TermPlan(ANCHORED, _expand(best[0]), best[1], False, False, regex)
    anchor = max(re.split(r"[*?]+", pattern), key=len)
    lo, hi = _best_window(anchor)
    return TermPlan(SCAN, _expand(anchor[lo:hi]), 0, False, False, regex)
