"""Which terms occur in a post: the per-post hot path of the compiled matcher.

Four structures, each for the terms it is fast at (see termplan.py for the plans):

* Latin words: the post's words intersected with a frozenset, in C.
* Other Latin keys (phrases, ``@acme``, ``wi-fi``): indexed under their longest word,
  which must be a whole word of the post for the key to match; the post's words
  intersected with that index say which keys to look for with ``str.find``.
* Keys with a CJK character: the same, indexed under one of their characters,
  preferably an uncommon one. (pyahocorasick scans a node's children linearly, so an
  automaton holding hundreds of CJK first characters is slow on every character.)
* Wildcard anchors: one Aho-Corasick automaton.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import ahocorasick

from monitor.nlp.keywords.nodes import Term
from monitor.nlp.keywords.termplan import ANCHORED, LITERAL, PREFIX, WORD, TermPlan
from monitor.nlp.keywords.text import LATIN_CLASS, is_cjk, is_latin

_ASCII_WORD = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")  # text is case-folded
# ASCII text -> its words: bytes.translate blanks every non-word byte, split() does the rest
_ASCII_BLANK = bytes(b if (b < 128 and chr(b).isalnum()) or b == 95 else 32 for b in range(256))
_LATIN_WORDS = re.compile(f"{LATIN_CLASS}+")
# The most frequent Chinese characters: poor index characters, since nearly every post has them.
_COMMON = frozenset("的一是不了人我在有他这中大来上个们到说国和地也子时道出而要于就下得可你年生自会那后能对着事其里所"
                    "去行过家十用发天如然作方成者多日都三小二无同么经法当起与好看学进种将还分此心前面又定见只主没公从")

Entry = tuple[int, int, int, bool, bool, bool]  # kind, term id, offset, lcheck, rcheck, title_only


def occurrences(p: TermPlan, text: str) -> list[tuple[int, int]]:
    """Spans of every occurrence of a term, overlapping ones included."""
    out = []
    if p.kind in (WORD, LITERAL):  # str.find is much faster than a regex that starts with a lookbehind
        word = p.kind == WORD
        for key in p.keys:
            size = len(key)
            pos = text.find(key)
            while pos >= 0:
                stop = pos + size
                if not ((p.lcheck or word) and pos and is_latin(text[pos - 1])) and not (
                        (p.rcheck or word) and stop < len(text) and is_latin(text[stop])):
                    out.append((pos, stop))
                pos = text.find(key, pos + 1)
        return out
    assert p.regex is not None
    pos = 0
    while (m := p.regex.search(text, pos)) is not None:
        out.append(m.span())
        pos = m.start() + 1
    return out


def _find_keys(keys: tuple[tuple[str, tuple[Entry, ...]], ...], text: str,
               hits: list[tuple[int, tuple[Entry, ...]]]) -> None:
    """Append (end index, entries) for every occurrence of each key, as the automaton would."""
    for key, entries in keys:
        last = len(key) - 1
        pos = text.find(key)
        while pos >= 0:
            hits.append((pos + last, entries))
            pos = text.find(key, pos + 1)


def _index_char(key: str) -> str:
    cjk = [c for c in key if is_cjk(c)]
    rare = [c for c in cjk if c not in _COMMON]
    return (rare or cjk)[0]


class TermFinder:
    """Finds which of ``terms`` occur in match_text output."""

    def __init__(self, terms: Sequence[Term], plans: Sequence[TermPlan]) -> None:
        self.terms = list(terms)
        self.plans = list(plans)
        self._words: dict[str, int] = {}  # a WORD term's key is its whole identity, so one id per word
        by_key: dict[str, list[Entry]] = {}
        for tid, p in enumerate(self.plans):
            if p.kind == WORD:
                self._words[p.keys[0]] = tid
                continue
            entry = (p.kind, tid, p.offset, p.lcheck, p.rcheck, self.terms[tid].scope == "title")
            for key in p.keys:
                by_key.setdefault(key, []).append(entry)
        self._wordset = frozenset(self._words)
        word_index: dict[str, list[tuple[str, tuple[Entry, ...]]]] = {}
        cjk_index: dict[str, list[tuple[str, tuple[Entry, ...]]]] = {}
        automaton: Any = ahocorasick.Automaton()
        for key, entries in by_key.items():
            if any(is_cjk(c) for c in key):
                cjk_index.setdefault(_index_char(key), []).append((key, tuple(entries)))
            elif all(e[0] == LITERAL for e in entries) and (words := _LATIN_WORDS.findall(key)):
                # every Latin run of a literal key is a whole word wherever the key matches: its
                # inner runs end at non-word characters, its outer ones at the checked boundaries
                word_index.setdefault(max(words, key=len), []).append((key, tuple(entries)))
            else:
                automaton.add_word(key, tuple(entries))
        self._word_keys = {w: tuple(keys) for w, keys in word_index.items()}
        self._word_key_set = frozenset(self._word_keys)
        self._cjk = {c: tuple(keys) for c, keys in cjk_index.items()}
        self._cjk_chars = frozenset(self._cjk)
        if len(automaton):
            automaton.make_automaton()
            self._automaton = automaton
        else:
            self._automaton = None

    def find(self, text: str, title_len: int) -> set[int]:
        """Ids of the terms present in ``text`` (the title is its first ``title_len`` characters)."""
        if not text:
            return set()
        ascii_text = text.isascii()
        words = (text.encode("ascii").translate(_ASCII_BLANK).decode("ascii").split() if ascii_text
                 else _LATIN_WORDS.findall(text))
        found = set(map(self._words.__getitem__, self._wordset.intersection(words)))
        hits: list[tuple[int, tuple[Entry, ...]]] = []
        for word in self._word_key_set.intersection(words):
            _find_keys(self._word_keys[word], text, hits)
        if not ascii_text:
            for ch in self._cjk_chars.intersection(text):
                _find_keys(self._cjk[ch], text, hits)
        if self._automaton is not None:
            hits.extend(self._automaton.iter(text))
        if hits:
            self._verify(hits, text, title_len, found)
        return found

    def _verify(self, hits: list[tuple[int, tuple[Entry, ...]]], text: str, title_len: int, found: set[int]) -> None:
        """Keep the hits that are real occurrences: whole words at Latin edges, regex for wildcards."""
        n = len(text)
        scan: list[int] = []
        ascii_word = _ASCII_WORD
        plans = self.plans
        for end, entries in hits:
            for kind, tid, offset, lcheck, rcheck, title_only in entries:
                if tid in found:
                    continue
                start = end - offset
                if kind in (LITERAL, PREFIX):
                    if lcheck and start:
                        c = text[start - 1]
                        if c in ascii_word or (c > "\x7f" and is_latin(c)):
                            continue
                    stop = end + 1
                    if rcheck and stop < n:
                        c = text[stop]
                        if c in ascii_word or (c > "\x7f" and is_latin(c)):
                            continue
                elif kind == ANCHORED:
                    if start < 0 or (m := plans[tid].regex.match(text, start)) is None:  # type: ignore[union-attr]
                        continue
                    stop = m.end()
                else:  # SCAN
                    scan.append(tid)
                    continue
                if title_only and stop > title_len:
                    continue
                found.add(tid)
        for tid in scan:
            if tid not in found and any(self.terms[tid].scope != "title" or b <= title_len
                                        for _, b in occurrences(plans[tid], text)):
                found.add(tid)
