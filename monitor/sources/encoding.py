"""Bytes of a fetched document -> text: BOM, declared charset, or detection.

Why here and not in feedparser: without a detector installed feedparser falls back to
windows-1252, so a GB18030 feed with no declaration becomes mojibake. We decode first
(charset-normalizer as the detector, a maintained library) and hand feedparser UTF-8.

Order, and why:

1. A byte-order mark decides (it cannot be there by accident), as do the NUL bytes of
   UTF-16/32 without one (XML 1.0 appendix F).
2. Valid UTF-8 is UTF-8 when nothing else is declared, or when it holds a few multibyte
   characters whatever is declared: legacy text is almost never valid UTF-8 by chance,
   while CMSs that declare ``gb2312`` or ``iso-8859-1`` and send UTF-8 are common.
3. Declarations (the HTTP ``charset`` first, then the XML declaration, RFC 7303) win
   when they decode cleanly and the text reads as real writing. "Decodes" proves little
   for a single-byte codec (it decodes anything) or GB18030 (nearly anything), so a
   reading that is clearly more plausible overrules them, reported as a wrong
   declaration. Bytes that do not decode under the declaration fall through to
   detection, unless only a few fail: then the feed is damaged, not misdeclared.
4. Otherwise charset-normalizer proposes; near-ties (short texts where GB18030, Big5,
   EUC-JP and CP949 all decode) are broken by the language the response states
   (``Content-Language``, ``<language>``, ``xml:lang``) and by how plausible the decoded
   script is (:mod:`monitor.sources.plausibility`).
5. Nothing decodes cleanly: the best guess with U+FFFD for the bad bytes, and the count
   is reported (:attr:`Decoded.problems`) so the source's health shows it.

Labels are read the way browsers read them (WHATWG): ``gb2312``/``gbk`` mean GB18030,
``iso-8859-1`` means windows-1252, ``shift_jis`` means CP932, ``euc-kr`` means CP949.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

import charset_normalizer
from charset_normalizer.md import mess_ratio

from monitor.sources.plausibility import hint_bonus, plausibility

__all__ = ["Decoded", "charset_of", "decode_document"]

# label -> codecs to try in order (the first that decodes cleanly is used)
_FAMILIES: dict[str, tuple[str, ...]] = {
    "gb18030": ("gb18030",), "gb2312": ("gb18030",), "gbk": ("gb18030",), "x-gbk": ("gb18030",),
    "cp936": ("gb18030",), "windows-936": ("gb18030",), "chinese": ("gb18030",), "csgb2312": ("gb18030",),
    "euc-cn": ("gb18030",), "hz-gb-2312": ("hz",),
    "big5": ("big5hkscs", "cp950", "big5"), "big5-hkscs": ("big5hkscs", "cp950"), "cn-big5": ("big5hkscs", "cp950"),
    "x-x-big5": ("big5hkscs", "cp950"), "csbig5": ("big5hkscs", "cp950"), "cp950": ("cp950", "big5hkscs"),
    "shift_jis": ("cp932", "shift_jis_2004"), "shift-jis": ("cp932", "shift_jis_2004"), "sjis": ("cp932",),
    "x-sjis": ("cp932",), "ms_kanji": ("cp932",), "windows-31j": ("cp932",), "cp932": ("cp932",),
    "csshiftjis": ("cp932",), "euc-jp": ("euc_jp", "euc_jis_2004", "euc_jisx0213"), "x-euc-jp": ("euc_jp",),
    "iso-2022-jp": ("iso2022_jp", "iso2022_jp_2"),
    "euc-kr": ("cp949", "euc_kr"), "ks_c_5601-1987": ("cp949",), "korean": ("cp949",), "windows-949": ("cp949",),
    "cp949": ("cp949",), "iso-2022-kr": ("iso2022_kr",),
    "iso-8859-1": ("cp1252", "latin-1"), "latin1": ("cp1252", "latin-1"), "l1": ("cp1252", "latin-1"),
    "us-ascii": ("cp1252", "latin-1"), "ascii": ("cp1252", "latin-1"), "windows-1252": ("cp1252", "latin-1"),
    "cp1252": ("cp1252", "latin-1"), "iso-8859-9": ("cp1254",), "tis-620": ("cp874",), "iso-8859-11": ("cp874",),
}
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']\s*([A-Za-z0-9._:()-]+)\s*[\"']")
_LANG_IN_BODY = (
    re.compile(rb"<(?:\w+:)?language>\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*)\s*</", re.I),
    re.compile(rb"xml:lang\s*=\s*[\"']([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*)[\"']"),
    re.compile(rb"\"language\"\s*:\s*\"([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*)\""),
)
_TAG = re.compile(rb"<[^<>]*>")
_ASCII_BYTES = bytes(range(0x80))
_CDATA = re.compile(rb"<!\[CDATA\[|\]\]>")
_PLAUSIBLE = 0.3  # below this a detected reading is no better than a damaged declared one
_SAMPLE = 64 * 1024  # bytes of text the detector reads; enough for any feed, bounded for huge ones

@dataclass(frozen=True, slots=True)
class Decoded:
    """The text, the codec used and how it was chosen; ``problems`` are for the source's health."""

    text: str
    encoding: str
    how: str  # "bom" | "declared" | "utf-8" | "detected" | "ascii" | "best guess"
    declared: str | None = None
    replaced: int = 0
    problems: list[str] = field(default_factory=list)


def charset_of(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header, lower-case, or None."""
    for part in (content_type or "").split(";")[1:]:
        key, _, val = part.strip().partition("=")
        if key.strip().lower() == "charset" and val.strip().strip("\"'"):
            return val.strip().strip("\"'").lower()
    return None


def decode_document(body: bytes, header_charset: str | None = None, *, lang: str | None = None) -> Decoded:
    """Decode a feed (XML or JSON) as described in the module docstring.

    ``lang`` is a language the response states outside the body (``Content-Language``, the
    source's configured language); the body's own ``<language>`` / ``xml:lang`` is sniffed.
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return _lenient(body, codec, "bom", None, [])
    wide = _wide_unicode(body[:4])
    if wide:  # UTF-16/32 without a BOM, told by where the NUL bytes of "<?xm" or "{" fall (XML 1.0, App. F)
        return _lenient(body, wide, "bom", None, [])
    xml_label = _xml_declaration(body)
    labels = [x.strip().lower() for x in (header_charset, xml_label) if x and x.strip()]
    declared = labels[0] if labels else None
    if body.isascii() and not any(x.lower().replace("_", "-").startswith(("utf-16", "utf-32")) for x in labels):
        return Decoded(body.decode("ascii"), "ascii", "ascii", declared)
    problems: list[str] = []
    hint = lang or _sniff_lang(body)
    utf8 = _strict(body, "utf-8")
    if utf8 is not None and _utf8_wins(utf8, labels):
        for label in dict.fromkeys(x.strip().lower() for x in labels):
            if not _codecs_for(label):
                problems.append(f"unknown charset declaration: {label!r} is not an encoding; detecting instead")
            elif not _is_utf8(_codecs_for(label)[0]):
                problems.append(f"wrong charset declaration: declared {label} but the text reads as utf-8 (detected)")
        return Decoded(utf8, "utf-8", "declared" if not problems and labels else "utf-8", declared, problems=problems)
    for label in dict.fromkeys(x.strip().lower() for x in labels):
        codecs_ = _codecs_for(label)
        if not codecs_:
            problems.append(f"unknown charset declaration: {label!r} is not an encoding; detecting instead")
            continue
        for codec in codecs_:
            text = _strict(body, codec) if _width_fits(body, codec) else None
            if text is None:
                continue
            better = _better_than_declared(body, codec, hint)
            if better is None:
                return Decoded(text, codec, "declared", label, problems=problems)
            problems.append(f"wrong charset declaration: declared {label} but the text reads as {better[0]}"
                            " (detected)")
            return Decoded(better[1], better[0], "detected", label, problems=problems)
        damaged = _nearly(body, codecs_)
        if damaged:  # right but damaged: read it as declared, and count what could not be read
            return _lenient(body, damaged, "declared", label, problems)
        problems.append(f"wrong charset declaration: declared {label} but the bytes are not {label}")
    text = _strict(body, "utf-8")
    if text is not None:
        return Decoded(text, "utf-8", "utf-8", declared, problems=_fix_wrong(problems, "utf-8"))
    if _nearly(body, ("utf-8",)):  # UTF-8 with a few stray bytes (a CMS pasting windows-1252)
        return _lenient(body, "utf-8", "utf-8", declared, _fix_wrong(problems, "utf-8"))
    guess = _detect(body, hint)
    if guess is not None and plausibility(_text_sample(body), guess[0]) >= _PLAUSIBLE:
        return Decoded(guess[1], guess[0], "detected", declared, problems=_fix_wrong(problems, guess[0]))
    stated = tuple(c for x in labels for c in _codecs_for(x.strip().lower()))
    damaged = _nearly(body, stated, share=0.25)
    if damaged:  # no better reading: the declaration was right, the bytes are damaged
        problems = [p for p in problems if not p.startswith("wrong charset declaration")]
        return _lenient(body, damaged, "declared", declared, problems)
    damaged = _nearly(body, ("utf-8", *(c for c in _COMMON if not _single_byte(c))))
    if damaged:
        return _lenient(body, damaged, "best guess", declared, _fix_wrong(problems, damaged))
    if guess is not None:
        return Decoded(guess[1], guess[0], "detected", declared, problems=_fix_wrong(problems, guess[0]))
    if stated:  # nothing reads it: the declaration with its failures counted beats any guess
        problems = [p for p in problems if not p.startswith("wrong charset declaration")]
        return _lenient(body, stated[0], "best guess", declared, problems)
    return _lenient(body, _best_any(body) or "utf-8", "best guess", declared, problems)


def _nearly(body: bytes, candidates: tuple[str, ...], share: float = 0.005) -> str | None:
    """A codec under which only a few bytes fail (damage in transit or a bad edit), or None."""
    budget = max(2, int((len(body) - len(body.translate(None, _ASCII_BYTES))) * share))
    for codec in candidates:
        if not _width_fits(body, codec):
            continue
        try:
            text = body.decode(codec, errors="replace")
        except LookupError:
            continue
        bad = text.count("\ufffd") - body.decode(codec, errors="ignore").count("\ufffd")
        good = len(text) - len(text.encode("ascii", errors="ignore")) - bad
        if bad <= budget and good >= 2 * bad:  # mostly read: "café" in latin-1 is not nearly UTF-8
            return codec
    return None


def _wide_unicode(head: bytes) -> str | None:
    if len(head) < 4 or b"\x00" not in head:
        return None
    nul = tuple(b == 0 for b in head)
    return {(True, True, True, False): "utf-32-be", (False, True, True, True): "utf-32-le",
            (True, False, True, False): "utf-16-be", (False, True, False, True): "utf-16-le"}.get(nul)


def _width_fits(body: bytes, codec: str) -> bool:
    """A UTF-16/32 label on a body without NUL bytes up front is wrong (it is UTF-8 or legacy)."""
    name = codecs.lookup(codec).name
    return not name.startswith(("utf-16", "utf-32")) or b"\x00" in body[:4]


def _utf8_wins(text: str, labels: list[str]) -> bool:
    """Valid UTF-8 beats a legacy label once it holds a few multibyte characters.

    Legacy CJK text is almost never valid UTF-8 by chance (each lead byte would need the
    right number of 0x80-0xBF bytes after it), while CMSs that declare ``gb2312`` or
    ``iso-8859-1`` and send UTF-8 are common. One or two such characters only overrule
    a single-byte label (which would otherwise read anything).
    """
    codecs_ = [c for x in labels for c in _codecs_for(x.strip().lower())[:1]]
    if not codecs_ or any(_is_utf8(c) for c in codecs_):
        return True
    return len(text) - len(text.encode("ascii", errors="ignore")) >= 3 or all(_single_byte(c) for c in codecs_)


def _is_utf8(codec: str) -> bool:
    return codecs.lookup(codec).name in ("utf-8", "utf-8-sig")


def _fix_wrong(problems: list[str], codec: str) -> list[str]:
    return [p + f"; decoded as {codec} (detected)" if p.startswith("wrong charset declaration") and
            "decoded as" not in p else p for p in problems]


def _lenient(body: bytes, codec: str, how: str, declared: str | None, problems: list[str]) -> Decoded:
    text = _strict(body, codec)
    if text is not None:
        return Decoded(text, codec, how, declared, problems=problems)
    text = body.decode(codec, errors="replace")
    replaced = text.count("\ufffd") - body.decode(codec, errors="ignore").count("\ufffd")
    problems = [*problems, f"undecodable text: {replaced} byte sequence(s) are not valid {codec};"
                           " shown as U+FFFD in the posts"]
    return Decoded(text, codec, how, declared, replaced=replaced, problems=problems)


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _codecs_for(label: str) -> tuple[str, ...]:
    if label in _FAMILIES:
        return _FAMILIES[label]
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return ()
    return _FAMILIES.get(name, (name,))


def _single_byte(codec: str) -> bool:
    name = codecs.lookup(codec).name
    multibyte = name.startswith(("utf", "gb", "big5", "hz", "iso2022", "euc", "shift_jis", "johab"))
    return not multibyte and name not in ("cp932", "cp936", "cp949", "cp950")


def _xml_declaration(body: bytes) -> str | None:
    match = _XML_DECL.match(body[:1024])
    return match.group(1).decode("ascii").lower() if match else None


def _sniff_lang(body: bytes) -> str | None:
    head = body[:16384]
    for pattern in _LANG_IN_BODY:
        match = pattern.search(head)
        if match:
            return match.group(1).decode("ascii")
    return None


def _text_sample(body: bytes) -> bytes:
    """The document's text without markup, for the detector (tags are ASCII and dilute it)."""
    sample = b" ".join(_TAG.sub(b" ", _CDATA.sub(b" ", body[: _SAMPLE * 4])).split())
    if len(sample) <= _SAMPLE and len(body) <= _SAMPLE * 4:
        return sample
    # cut at a space (ASCII, never inside a multibyte character) so every codec can read the sample
    return sample[: max(sample.rfind(b" ", 0, _SAMPLE), sample.rfind(b"<", 0, _SAMPLE), 0)]


# Tried besides what charset-normalizer proposes: it rarely proposes KOI8-R or EUC-KR for a short text.
_COMMON = ("gb18030", "big5hkscs", "cp932", "euc_jp", "cp949", "koi8_r", "cp1251", "cp1252")
# Small preferences for equally plausible readings: how common each is on the web.
_PRIOR = {"cp1252": 0.06, "gb18030": 0.04, "cp1251": 0.03, "cp932": 0.02, "cp949": 0.02, "big5hkscs": 0.01}


def _detect(body: bytes, hint: str | None) -> tuple[str, str] | None:
    """(codec, text) charset-normalizer proposes, near-ties broken by language and plausibility."""
    sample = _text_sample(body) or body[:_SAMPLE]
    matches = list(charset_normalizer.from_bytes(sample))
    floor = min((m.chaos for m in matches), default=0.0)
    proposed = [m.encoding for m in matches if m.chaos <= floor + 0.1]
    pool = list(dict.fromkeys([*proposed, *_COMMON]))
    scored = []
    for rank, codec in enumerate(pool):
        score = plausibility(sample, codec)
        if score <= -1.0:
            continue
        if codec not in proposed and mess_ratio(sample.decode(codec)) >= 0.2:
            continue
        score += hint_bonus(codec, hint) + _PRIOR.get(codec, 0.0) + (0.05 if codec in proposed else 0.0)
        scored.append((score, -rank, codec))
    for _score, _rank, codec in sorted(scored, reverse=True):
        text = _strict(body, codec)
        if text is not None:
            return codec, text
    return None


def _best_any(body: bytes) -> str | None:
    best = charset_normalizer.from_bytes(_text_sample(body) or body[:_SAMPLE]).best()
    return best.encoding if best else None


def _better_than_declared(body: bytes, codec: str, hint: str | None) -> tuple[str, str] | None:
    """A clearly better reading than a declaration that decodes, or None to keep the declaration.

    A single-byte codec decodes any bytes and GB18030 nearly any, so "decodes" is no proof:
    the declaration is kept when its text reads as real writing, overruled only by valid
    UTF-8 or by a reading that is clearly more plausible.
    """
    utf8 = _strict(body, "utf-8")
    if utf8 is not None and _single_byte(codec):
        return "utf-8", utf8
    sample = _text_sample(body)
    mine = plausibility(sample, codec) + hint_bonus(codec, hint)
    if mess_ratio(sample.decode(codec, "replace")) >= 0.2:
        mine -= 0.5
    elif mine >= 0.45:
        return None  # the declaration reads as real writing: it wins
    guess = _detect(body, hint)
    if guess is None or codecs.lookup(guess[0]).name == codecs.lookup(codec).name:
        return None
    theirs = plausibility(sample, guess[0]) + hint_bonus(guess[0], hint)
    return guess if theirs > mine + 0.3 else None
