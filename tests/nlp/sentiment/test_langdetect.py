from __future__ import annotations

import pytest

from monitor.nlp.sentiment.langdetect import detect_lang, normalize_lang


@pytest.mark.parametrize(("text", "lang"), [
    ("@airline still waiting on hold", "en"),
    ("the battery died after two days", "en"),
    ("快递三天还没到，太失望了。", "zh"),
    ("iPhone 15 电池 很好用", "zh"),
    ("これはひどいサービスです", "ja"),
    ("배송이 너무 늦어요", "ko"),
    ("RT @user: الخدمة سيئة جدا", "ar"),
    ("यह फोन बहुत अच्छा है", "hi"),
    ("Das ist wirklich nicht gut", "de"),
    ("Me encanta este producto", "es"),
    ("Je suis très content du service", "fr"),
    ("Eu não gostei do filme", "pt"),
    ("Questo è un disastro, non funziona", "it"),
    ("😀😀 12345", "und"),
    ("bhai ye phone bahut acha hai yaar", "hi"),  # romanized Hindi goes to the multilingual model
    ("Schöne Grüße aus Köln", "de"),  # no stop word, but the letters say German
    ("lol", "en"),  # plain ASCII with nothing to go on: English
    # short tweets whose only clues are everyday words, not grammar words
    ("@user ciao Marco, grazie!", "it"),
    ("Danke, keine Fragen mehr", "de"),
    ("obrigado, tudo bem", "pt"),
    ("kya hua yaar, kuchh samajh nahi aaya", "hi"),
    ("gracias, todo bien", "es"),
    ("merci, à toujours", "fr"),
    ("thanks, all good here", "en"),
])
def test_detects_the_languages_routing_needs(text: str, lang: str) -> None:
    assert detect_lang(text) == lang


def test_urls_mentions_and_hashtags_do_not_vote() -> None:
    assert detect_lang("@the_and_is #the https://the.and/is 服务太差了") == "zh"


@pytest.mark.parametrize(("raw", "norm"), [("zh-CN", "zh"), ("EN_us", "en"), ("", None), (None, None), (" de ", "de")])
def test_normalize_lang(raw: str | None, norm: str | None) -> None:
    assert normalize_lang(raw) == norm
