from __future__ import annotations

import pytest

from monitor.nlp.lang import detect_lang, normalize_lang


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
    # the posts the two former guessers disagreed on (a script-only guesser called all of these English)
    ("el hervidor de Acme es muy malo", "es"),
    ("la bouilloire Acme est vraiment nulle", "fr"),
    ("der Acme Wasserkocher ist kaputt", "de"),
    ("a chaleira da Acme não funciona", "pt"),
    ("il bollitore Acme non funziona", "it"),
    ("the Acme kettle is very bad", "en"),
    ("艾克美水壶", "zh"), ("アクメのケトル", "ja"), ("애크미 주전자", "ko"),
])
def test_detects_the_languages_routing_needs(text: str, lang: str) -> None:
    assert detect_lang(text) == lang


def test_urls_mentions_and_hashtags_do_not_vote() -> None:
    assert detect_lang("@the_and_is #the https://the.and/is 服务太差了") == "zh"


@pytest.mark.parametrize(("raw", "norm"), [("zh-CN", "zh"), ("EN_us", "en"), ("", None), (None, None), (" de ", "de")])
def test_normalize_lang(raw: str | None, norm: str | None) -> None:
    assert normalize_lang(raw) == norm


@pytest.mark.parametrize(("text", "lang"), [
    ("el hervidor de Acme es muy malo", "es"),
    ("the Acme kettle is very bad", "en"),
    ("艾克美水壶坏了", "zh"),
    ("Questo è un disastro, non funziona", "it"),
])
def test_rules_and_the_sentiment_router_see_one_language(text: str, lang: str) -> None:
    """A post without a language tag: the keyword rules' ``lang:`` field and the scorer's routing agree."""
    from datetime import UTC, datetime

    from monitor.models import Post
    from monitor.nlp.keywords.fields import field_matches, post_lang
    from monitor.nlp.sentiment.scorer import Scorer

    post = Post(ts=datetime(2026, 3, 1, tzinfo=UTC), source="x", id="1", text=text)
    assert post_lang(post) == lang
    assert field_matches(post, "lang", lang)
    assert not field_matches(post, "lang", "en" if lang != "en" else "es")
    scorer = Scorer({lang: FakeModel(lang), "*": FakeModel("multi")})  # type: ignore[dict-item]
    [scored] = scorer.score([text])
    assert scored.lang == lang and scored.model == lang  # routed to the model of the same language


class FakeModel:
    """Stands in for an EncoderClassifier: names itself, calls every text neutral."""

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id

    def probabilities(self, texts: list[str]) -> object:
        import numpy as np

        return np.tile(np.array([[0.1, 0.8, 0.1]], dtype=np.float32), (len(texts), 1))


def test_there_is_one_guesser() -> None:
    """No second language guesser creeps back in (the keyword layer had its own, script-only one)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "monitor"
    guessers = sorted(f"{path.relative_to(root)}:{node.name}" for path in root.rglob("*.py")
                      for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                      if isinstance(node, ast.FunctionDef) and node.name.lstrip("_") in (
                          "guess_lang", "detect_lang", "detect_language", "guess_language", "lang_of"))
    assert guessers == ["nlp/lang.py:detect_lang"]
