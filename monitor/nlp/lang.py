"""The one language guesser: which model scores a post, and what a rule's ``lang:`` filter sees.

Used by the sentiment scorer's routing and the keyword rules' ``lang:`` field alike, so a post
has one language everywhere. Routing only has to tell English from everything the multilingual model covers, and it
runs on every matching post, so it is a script census plus stop-word votes for the
Latin-script languages of the training data, not a statistical model: microseconds per
post, no dependency. Returns an ISO 639-1 code, or "und" when there is nothing to go on.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#]\w+|&\w+;")

def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Frequent function words that are (nearly) unique to one language among those we route.
_STOP: dict[str, frozenset[str]] = {
    "en": _words("""the and is are was were you your i my it this that of to in for on with have has
        not be just so what all but at they we he she his her will can do don't i'm it's get got from about
        how out up no yes when am been would could should our their"""),
    "es": _words("""el la los las que de y en un una es por para con no se lo al del pero muy más como
        su mi está esto estoy también hay ya porque cuando todo este esta eso son fue tiene gracias
        bien hoy ahora siempre voy ser nada donde quien tengo hace vida bueno buena mejor nunca"""),
    "pt": _words("""o a os as que de e em um uma é não para com se do da dos das mais muito mas como
        você eu está isso ao pelo pela também já meu minha
        obrigado obrigada tudo bem bom boa hoje ainda agora sempre vou ser tem são foi nao quando onde nada vc pra"""),
    "fr": _words("""le la les des de et en un une est pas pour que qui dans sur avec ce il elle je tu
        vous nous du au aux mais plus très c'est j'ai être ça sont
        merci tout toujours aujourd'hui encore rien où aussi faire fait suis avoir mes ton tes leur"""),
    "de": _words("""der die das und ist nicht ich du er sie es ein eine zu mit auf für den dem des
        von sich auch aber wie wir ihr noch nur so schon sehr mal bin war im am um ja nein gibt wird werden hat
        haben kann doch wenn dass oder einen einem vom zum zur bei nach über heute jetzt alle mehr gut mein
        meine dein immer wieder hier da was wer warum
        dann eben keine kein muss einfach ihn ihm mich dich uns euch nich nix geht gerade ganz danke bitte schön
        viel leider wirklich etwas nichts"""),
    "hi": _words("""hai hain ki ke ka ko se mein nahi nhi kya aur bhi ho tha thi kr kar raha rahe ye yeh wo woh
        hum tum aap bhai ji kuch sab koi kaise kyu kyun toh tha hota hoga gaya gayi abhi bahut bohot acha accha
        yaar mai mujhe tera mera apna apni jab tak sirf
        hua hui kuchh kahin mujh pe chahiye hu hoon baat samay kab kaun kaha kahan yahi wahi logon dekho dekh
        karo kiya liye"""),
    "it": _words("""il lo la gli le di e che non per un una è sono con del della mi ma più come anche
        questo sei ho io tu ci perché molto
        ciao grazie tutto tutti bene bella bello sempre oggi ancora cosa fatto buona buon dopo allora poi quando
        niente nessuno siamo hai abbiamo"""),
}

# Letters that (among the languages above) point to one language.
_LETTERS = {"ä": "de", "ö": "de", "ü": "de", "ß": "de", "ñ": "es", "¿": "es", "¡": "es", "ã": "pt", "õ": "pt",
            "ç": "pt", "ê": "pt", "è": "fr", "ù": "fr", "û": "fr", "î": "fr", "ï": "fr", "œ": "fr", "ì": "it",
            "ò": "it"}

# (first code point, last code point, language) for scripts that name a language by themselves.
_SCRIPTS: tuple[tuple[int, int, str], ...] = (
    (0x3040, 0x30FF, "ja"),  # hiragana + katakana (checked before Han: Japanese mixes both)
    (0xAC00, 0xD7AF, "ko"), (0x1100, 0x11FF, "ko"),
    (0x4E00, 0x9FFF, "zh"), (0x3400, 0x4DBF, "zh"), (0xF900, 0xFAFF, "zh"),
    (0x0600, 0x06FF, "ar"), (0x0750, 0x077F, "ar"), (0xFB50, 0xFDFF, "ar"), (0xFE70, 0xFEFF, "ar"),
    (0x0900, 0x097F, "hi"),
    (0x0400, 0x04FF, "ru"),
    (0x0E00, 0x0E7F, "th"),
    (0x0590, 0x05FF, "he"),
    (0x0370, 0x03FF, "el"),
)


def _script_of(cp: int) -> str | None:
    for lo, hi, lang in _SCRIPTS:
        if lo <= cp <= hi:
            return lang
    return None


def detect_lang(text: str) -> str:
    """Best-guess ISO 639-1 code of ``text`` ("und" if undecidable)."""
    clean = _NOISE.sub(" ", text)
    counts: dict[str, int] = {}
    latin = 0
    for ch in clean:
        cp = ord(ch)
        if cp < 0x250:
            if ch.isalpha():
                latin += 1
            continue
        lang = _script_of(cp)
        if lang is not None:
            counts[lang] = counts.get(lang, 0) + 1
    if counts:
        if counts.get("ja") and counts.get("ja", 0) * 5 >= counts.get("zh", 0):
            return "ja"
        best = max(counts, key=lambda k: counts[k])
        # a Latin-script post with a stray emoji-like symbol stays Latin
        if counts[best] * 2 >= latin or best in ("zh", "ja", "ko"):
            return best
    if not latin:
        return "und"
    words = [w.lower() for w in _WORD.findall(clean)]
    votes = {lang: sum(1 for w in words if w in stop) for lang, stop in _STOP.items()}
    for ch in clean.lower():
        hint = _LETTERS.get(ch)
        if hint:
            votes[hint] += 1
    best = max(votes, key=lambda k: votes[k])
    if votes[best] == 0:
        return "en" if all(ord(c) < 0x80 for c in clean) else "und"
    if votes[best] == votes["en"]:
        return "en"
    return best


def normalize_lang(lang: str | None) -> str | None:
    """``"zh-CN"`` -> ``"zh"``, ``"EN_us"`` -> ``"en"``; empty -> None."""
    if not lang:
        return None
    return re.split(r"[-_]", lang.strip().lower(), maxsplit=1)[0] or None
