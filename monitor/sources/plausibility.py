"""How plausible a decoded text reads: the tie-breaker between encodings that all decode.

Why: for a short text GB18030, Big5, EUC-JP, CP949 and KOI8-R often all decode the same
bytes without error, and charset-normalizer scores them alike. A misreading still looks
wrong in ways that are cheap to see: Cyrillic turns into random hanzi or half-width
katakana, Chinese into rare characters or Korean into hanja, KOI8-R read as windows-1251
swaps the case of every letter. Real writing has kana in Japanese, hangul in Korean,
common hanzi in Chinese without spaces between them, and words with one case pattern in
alphabets. The stated language (``Content-Language``, ``<language>``) tips a tie.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from charset_normalizer.constant import FREQUENCIES

__all__ = ["hint_bonus", "plausibility"]

_JUDGED = 8 * 1024  # bytes of text judged: a few kB tell, and scoring is per character

# codec families, for language hints and plausibility
_JA = {"cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213", "euc_jp", "euc_jis_2004", "euc_jisx0213",
       "iso2022_jp", "iso2022_jp_2"}
_KO = {"cp949", "euc_kr", "johab", "iso2022_kr"}
_ZH_HANS = {"gb18030", "gbk", "gb2312", "hz"}
_ZH_HANT = {"big5", "big5hkscs", "cp950"}
# charset-normalizer's most frequent characters per language: a decoding full of them is real writing
_FREQUENT_ZH = frozenset(FREQUENCIES.get("Chinese", ()))
_FREQUENT_JA = frozenset(c for k in ("Japanese", "Japanese—", "Japanese——") for c in FREQUENCIES.get(k, ()))
_FREQUENT_KO = frozenset(FREQUENCIES.get("Korean", ()))
_CYRILLIC = {"koi8_r", "koi8_u", "cp1251", "cp866", "iso8859_5", "mac_cyrillic", "kz1048", "ptcp154"}


def hint_bonus(codec: str, hint: str | None) -> float:
    """0.5 when the stated language (``zh-TW``, ``ja``, ``ru``...) is written in that codec's family."""
    if not hint:
        return 0.0
    lang = hint.strip().lower().replace("_", "-")
    base = lang.split("-")[0]
    if base == "zh":
        hant = any(t in lang for t in ("-tw", "-hk", "-mo", "hant"))
        return 0.5 if codec in (_ZH_HANT if hant else _ZH_HANS) else 0.0
    families = {"ja": _JA, "ko": _KO, "ru": _CYRILLIC, "uk": _CYRILLIC, "be": _CYRILLIC, "bg": _CYRILLIC,
                "sr": _CYRILLIC, "mk": _CYRILLIC, "kk": _CYRILLIC}
    return 0.5 if codec in families.get(base, ()) else 0.0


_WORD = re.compile(r"[^\W\d_]+")


def plausibility(sample: bytes, codec: str) -> float:
    """How much the decoded non-ASCII text looks like real writing in that codec's script (about 0..1)."""
    if len(sample) > _JUDGED:  # a few kB tell; cut at ASCII so no character is split
        sample = sample[: max(sample.rfind(b" ", 0, _JUDGED), 0)] or sample[:_JUDGED]
    try:
        text = sample.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return -1.0
    chars = [c for c in text if ord(c) > 0x7F and not c.isspace()]
    if not chars:
        return 0.0
    name = codecs.lookup(codec).name
    kana = han = 0
    score = 0.0
    for c in chars:
        o = ord(c)
        if 0x3040 <= o <= 0x30FF:
            kana += 1
            score += 1.0 if name in _JA else -0.5
        elif 0xAC00 <= o <= 0xD7A3:
            score += 1.0
        elif 0x4E00 <= o <= 0x9FFF:
            han += 1
            score += 0.2 if name in _KO else (1.0 if _common_han(c) else 0.4)
        elif 0xFF61 <= o <= 0xFF9F or 0xE000 <= o <= 0xF8FF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF \
                or o >= 0x20000:
            score -= 0.5  # half-width katakana, private use, rare or compatibility ideographs
        elif 0xA1 <= o <= 0xBF and c not in "«»°£§":
            score -= 0.5  # ¾ © ¹ ¬ ... between letters: a multibyte text read as Latin-1
        elif 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF:
            score += 0.6
        elif c.isalpha():
            score += 0.5
        elif 0x2010 <= o <= 0x205F or unicodedata.category(c) in ("Pi", "Pf", "Pd", "Sc"):
            score += 0.5  # typographic quotes, dashes, currency: real writing uses them
        elif not unicodedata.category(c).startswith(("S", "C")):
            score += 0.2
    result = score / len(chars)
    frequent = _FREQUENT_JA if name in _JA else _FREQUENT_KO if name in _KO else _FREQUENT_ZH
    result += 0.5 * sum(1 for c in chars if c in frequent) / len(chars)
    if name in _JA:
        result += 0.15 if kana * 5 >= len(chars) else (-0.15 if kana == 0 else 0.0)
    if han + kana >= 4 and name not in _KO:  # Chinese and Japanese do not put spaces between words
        spaced = len(re.findall(r"[\u3040-\u30ff\u4e00-\u9fff] [\u3040-\u30ff\u4e00-\u9fff]", text))
        if spaced * 8 >= han + kana:
            result -= 0.4
    words = [w for w in _WORD.findall(text) if not w.isascii() and len(w) >= 2 and not _cjk(w)]
    if words:
        shaped = sum(1 for w in words if _one_script(w) and (w.islower() or (w.isupper() and len(w) <= 5)
                                                             or (w[0].isupper() and w[1:].islower())))
        result += (0.6 * shaped / len(words) - 0.3) * min(1.0, len(words) / 3)
    return result


def _one_script(word: str) -> bool:
    """``Qualität`` is one script; ``Qualitдt`` (German read as windows-1251) is two."""
    return len({unicodedata.name(c, "?").split(" ")[0] for c in word}) == 1


def _cjk(word: str) -> bool:
    return any(0x3040 <= ord(c) <= 0x9FFF or 0xAC00 <= ord(c) <= 0xD7A3 for c in word)


def _common_han(char: str) -> bool:
    """In the frequently used tier of GB2312, Big5 or JIS X 0208 (rare characters suggest a misreading)."""
    try:
        gb = char.encode("gb2312")
        if 0xB0 <= gb[0] <= 0xD7:
            return True
    except UnicodeEncodeError:
        pass
    try:
        b5 = char.encode("big5")
        if 0xA4 <= b5[0] <= 0xC6:
            return True
    except UnicodeEncodeError:
        pass
    try:
        sj = char.encode("euc_jp")
        return 0xB0 <= sj[0] <= 0xCF
    except UnicodeEncodeError:
        return False
