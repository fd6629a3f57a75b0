"""Text normalisation and the two script classes the rule language cares about.

One normaliser serves the compiled matcher, the reference evaluator and the rule
compiler, so a rule written in one form matches text written in another:
:func:`match_text` strips zero-width and bidi control characters, applies NFKC
(full-width forms become half-width, ligatures and compatibility letters fold), folds
case, maps common Cyrillic and Greek look-alikes to the Latin letters they imitate (a
Cyrillic ``Aсme`` is ``acme``), turns whitespace runs into one space and drops spaces
next to CJK characters (``ACME 电池`` and ``ACME电池`` are the same text).
:func:`normalize` is ``match_text`` followed by one more one-to-one step, traditional
Chinese to simplified (OpenCC's table, character by character); the compiled matcher
skips that step and searches each term in all its spellings instead (:func:`variants`),
which is cheaper per post and gives the same answers because the step changes no
character's class and no length.

Two classes of word characters matter:

* *Latin* word characters — anything ``str.isalnum()`` (or ``_``) outside the CJK
  blocks. Latin terms match whole words: no Latin word character may touch them.
* *CJK* characters — Han, kana, Hangul. CJK terms match as substrings, and each CJK
  character is one token for NEAR/n.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

# Blocks whose letters are written without spaces between words (or, for Hangul,
# that the issue asks us to treat the same way). Half-width katakana is folded to
# full-width by the character table before anything looks at it.
CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x2E80, 0x2FDF),  # CJK radicals, Kangxi radicals
    (0x3005, 0x3007),  # 々 〆 〇
    (0x3021, 0x3029),  # Hangzhou numerals
    (0x3031, 0x3035),  # kana repeat marks
    (0x3038, 0x303C),
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3100, 0x312F),  # Bopomofo
    (0x3130, 0x318F),  # Hangul compatibility Jamo
    (0x31A0, 0x31BF),
    (0x31F0, 0x31FF),  # Katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xA960, 0xA97F),
    (0xAC00, 0xD7FF),  # Hangul syllables + Jamo extended B
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFF9F),  # half-width katakana
    (0x20000, 0x3134F),  # CJK extensions B..G
)

_CJK_CLASS = "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in CJK_RANGES)
CJK_CLASS = f"[{_CJK_CLASS}]"
"""Regex character class of CJK characters."""
LATIN_CLASS = f"[^\\W{_CJK_CLASS}]"
"""Regex character class of Latin (non-CJK) word characters."""

_ASCII_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def is_cjk(ch: str) -> bool:
    """Is ``ch`` a CJK character (one token, matched without word boundaries)?"""
    o = ord(ch)
    if o < 0x1100:
        return False
    return any(lo <= o <= hi for lo, hi in CJK_RANGES)


def is_latin(ch: str) -> bool:
    """Is ``ch`` a Latin word character (part of a whole word)?"""
    if ch in _ASCII_WORD:
        return True
    if ch.isascii():
        return False
    return (ch.isalnum() or ch == "_") and not is_cjk(ch)


def is_word(ch: str) -> bool:
    """A character that can be part of a term's text: Latin word character or CJK letter."""
    return ch.isalnum() or ch == "_"


@lru_cache(maxsize=1)
def char_table() -> dict[int, str]:
    """The one-to-one character table: full-width -> half-width, traditional -> simplified."""
    import opencc

    table: dict[int, str] = {}
    for code in range(0xFF01, 0xFFEF):  # full-width ASCII, half-width katakana and friends
        folded = unicodedata.normalize("NFKC", chr(code))
        if len(folded) == 1 and folded != chr(code):
            table[code] = folded
    table[0x3000] = " "  # ideographic space
    han = [chr(c) for lo, hi in ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF)) for c in range(lo, hi + 1)]
    converted = opencc.OpenCC("t2s").convert("\n".join(han)).split("\n")
    if len(converted) == len(han):  # the table is per character; never trust a shifted result
        for src, dst in zip(han, converted, strict=True):
            if dst != src and len(dst) == 1:
                table[ord(src)] = dst
    # compatibility ideographs (U+F900..) that OpenCC leaves alone still fold by NFKC
    for code in range(0xF900, 0xFB00):
        if code not in table:
            folded = unicodedata.normalize("NFKC", chr(code))
            if len(folded) == 1 and folded != chr(code):
                table[code] = table.get(ord(folded), folded)
    for code, dst in list(table.items()):  # make it idempotent: fold(fold(c)) == fold(c)
        seen = {code}
        while ord(dst) in table and ord(dst) not in seen:
            seen.add(ord(dst))
            dst = table[ord(dst)]
        table[code] = dst
    return table


@lru_cache(maxsize=1)
def _inverse() -> dict[str, tuple[str, ...]]:
    inverse: dict[str, list[str]] = {}
    for code, dst in char_table().items():
        inverse.setdefault(dst, []).append(chr(code))
    return {k: tuple(v) for k, v in inverse.items()}


def variants(ch: str) -> tuple[str, ...]:
    """Every character that normalises to ``ch`` (itself first): 质 -> 质 質; , -> , ，.

    The compiled matcher searches a term's variants instead of converting each post to
    simplified Chinese and half-width punctuation, which would cost more per post.
    Full-width letters and digits are not listed: :func:`match_text` folds those.
    """
    if ch in _ASCII_WORD or ch == " ":  # match_text turns every kind of space into " "
        return (ch,)
    return (ch, *_inverse().get(ch, ()))


# Invisible characters used to split a word past a filter (``Ac\u200bme``) or to reorder
# what a reader sees: soft hyphen, Arabic letter mark, Mongolian vowel separator, zero-width
# space/non-joiner/joiner, LRM/RLM, bidi embeddings and overrides, word joiner and invisible
# operators, bidi isolates, and the byte-order mark.
INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")

# Cyrillic and Greek letters that look like Latin ones (after case folding, so the lower-case
# forms of look-alike capitals are listed too: Cyrillic М -> м -> m, Greek Ν -> ν -> n).
CONFUSABLES: dict[int, str] = {ord(k): v for k, v in {
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t",
    "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l",
    "ү": "y", "ɡ": "g", "ɑ": "a",
    "α": "a", "β": "b", "ε": "e", "η": "h", "ι": "i", "κ": "k", "μ": "m", "ν": "n", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "y", "χ": "x", "ζ": "z", "ϳ": "j",
}.items()}
_CONFUSABLE = re.compile("[" + "".join(chr(c) for c in CONFUSABLES) + "]")


def _nfkc(text: str) -> str:
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


# starts with a literal space so the regex engine can skip ahead to spaces
_CJK_SPACE = re.compile(f" (?:(?={CJK_CLASS})|(?<={CJK_CLASS} ))")


def fold_chars(text: str) -> str:
    """Apply the character table only (length-preserving); used on queries before lexing."""
    return text if text.isascii() else text.translate(char_table())


def match_text(text: str) -> str:
    """The text the compiled matcher searches (see the module docstring): everything but the
    traditional -> simplified step, which the matcher covers by searching :func:`variants`.
    """
    if text.isascii():
        return " ".join(text.lower().split())
    if INVISIBLE.search(text) is not None:
        text = INVISIBLE.sub("", text)
    text = _nfkc(_nfkc(text).casefold())  # NFKC_Casefold: case folding can undo NFKC's composition
    if _CONFUSABLE.search(text) is not None:
        text = text.translate(CONFUSABLES)
    text = " ".join(text.split())
    return _CJK_SPACE.sub("", text) if " " in text else text


def normalize(text: str) -> str:
    """The one normal form of rules and posts: :func:`match_text`, then traditional -> simplified."""
    text = match_text(text)
    return text if text.isascii() else text.translate(char_table())


TITLE_SEPARATOR = " | "
"""Joins a post's title and text; '|' is not a word character, so no phrase spans it."""


def post_text(title: str | None, text: str, norm: Callable[[str], str] = normalize) -> tuple[str, int]:
    """The normalised searchable text of a post and the length of its title part.

    Plain terms search the title and the text; ``title:`` terms only the first
    ``title_len`` characters.
    """
    body = norm(text)
    if not title:
        return body, 0
    head = norm(title)
    if not head:
        return body, 0
    return f"{head}{TITLE_SEPARATOR}{body}", len(head)


TOKEN = re.compile(f"{LATIN_CLASS}+|(?=\\w){CJK_CLASS}")
"""A token for NEAR/n: a run of Latin word characters, or one CJK letter."""


def token_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every token of normalised text."""
    return [m.span() for m in TOKEN.finditer(text)]


