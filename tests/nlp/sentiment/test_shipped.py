"""The shipped models: the fast path agrees with the torch reference, and clear cases come out right.

Tolerance (stated in MODEL.md): int8 ONNX probabilities stay within 0.15 of the fp32 torch
reference, and the labels are identical wherever the reference is not on the fence (its
top probability leads the runner-up by at least 0.2).
"""

from __future__ import annotations

import numpy as np
import pytest

from monitor.nlp.sentiment import Scorer, SentimentConfig, load_scorer
from monitor.nlp.sentiment.training.data import LABEL_ID

EN_ID = "brand-monitor/sentiment-en-minilm3-lora@4"
MULTI_ID = "brand-monitor/sentiment-multi-e5small3-lora+ngram@2"  # the 3-layer student: the default (issue 13)
MULTI12_ID = "brand-monitor/sentiment-multi-e5small-lora+ngram@2"  # the 12-layer route: builtin:multi

FIXTURES: list[tuple[str, str]] = [
    ("en", "I absolutely love my new phone, the camera is amazing!"),
    ("en", "Worst customer service ever. Two hours on hold and they hung up."),
    ("en", "The store opens at 9am tomorrow."),
    ("en", "@airline still waiting on hold"),
    ("en", "Thanks for the quick fix, you guys rock"),
    ("en", "My battery died after two days, this is ridiculous"),
    ("en", "Apple will announce the new iPad on Tuesday"),
    ("en", "not bad at all, pretty happy with it tbh"),
    ("zh", "快递三天还没到，太失望了。"),
    ("zh", "这家餐厅的菜真好吃，下次还来！"),
    ("zh", "明天上午十点开会。"),
    ("zh", "客服态度太差了，再也不买了"),
    ("zh", "质量很好，物流也快，非常满意"),
    ("zh", "手机用了一个月就坏了，垃圾"),
    ("zh", "今天北京天气晴，气温二十度"),
    ("zh", "致敬一线医护人员，辛苦了[心]"),
    ("es", "Me encanta este producto, funciona perfecto"),
    ("es", "Pésimo servicio, nunca más compro aquí"),
    ("de", "Das ist wirklich schlecht, ich bin enttäuscht"),
    ("de", "Super Produkt, bin sehr zufrieden!"),
    ("fr", "Je suis très content de mon achat"),
    ("fr", "Service client nul, aucune réponse depuis une semaine"),
    ("it", "Questo è un disastro, non funziona niente"),
    ("pt", "Adorei o atendimento, muito obrigado!"),
    ("ar", "الخدمة سيئة جدا ولن أتعامل معهم مرة أخرى"),
    ("hi", "यह फोन बहुत अच्छा है"),
]


@pytest.fixture(scope="module")
def torch_scorer() -> Scorer:
    return load_scorer(SentimentConfig(backend="torch"))


def _probs(scorer: Scorer) -> np.ndarray:
    out = np.zeros((len(FIXTURES), 3))
    for key, idx in _groups(scorer).items():
        out[idx] = scorer.routes[key].probabilities([FIXTURES[i][1] for i in idx])
    return out


def _groups(scorer: Scorer) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for i, (lang, _) in enumerate(FIXTURES):
        groups.setdefault(scorer.route(lang), []).append(i)
    return groups


def test_shipped_scorer_routes_english_to_minilm_and_the_rest_to_e5(shipped_scorer: Scorer) -> None:
    out = shipped_scorer.score([t for _, t in FIXTURES])  # languages detected
    assert [s.lang for s in out] == [lang for lang, _ in FIXTURES]
    for (lang, _), s in zip(FIXTURES, out, strict=True):
        assert s.model == (EN_ID if lang == "en" else MULTI_ID)
    assert shipped_scorer.model_id == f"{EN_ID}+{MULTI_ID}"
    assert shipped_scorer.routes["*"].ngram is not None  # the student mixes in the 12-layer route's n-gram file


def test_onnx_int8_agrees_with_torch_fp32_within_tolerance(shipped_scorer: Scorer, torch_scorer: Scorer) -> None:
    fast, ref = _probs(shipped_scorer), _probs(torch_scorer)
    assert np.abs(fast - ref).max() <= 0.15
    top2 = np.sort(ref, axis=1)[:, -2:]
    decided = (top2[:, 1] - top2[:, 0]) >= 0.2
    assert decided.sum() >= len(FIXTURES) // 2
    assert (fast.argmax(1)[decided] == ref.argmax(1)[decided]).all()


@pytest.mark.parametrize("index", [0, 1, 4, 5, 8, 9, 11, 12, 13, 16, 17, 19, 20, 21, 24])
def test_clear_cases_get_the_obvious_label(shipped_scorer: Scorer, index: int) -> None:
    lang, text = FIXTURES[index]
    expected = "negative" if index in (1, 5, 8, 11, 13, 17, 21, 24) else "positive"
    (s,) = shipped_scorer.score([text], [lang])
    assert s.label == expected, (text, s)
    assert 0.34 < s.score <= 1.0


def test_scores_are_probabilities_of_the_label(shipped_scorer: Scorer) -> None:
    probs = _probs(shipped_scorer)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    out = shipped_scorer.score([t for _, t in FIXTURES], [lang for lang, _ in FIXTURES])
    for row, s in zip(probs, out, strict=True):
        assert s.score == pytest.approx(row[LABEL_ID[s.label]], abs=1e-5)


def test_shipped_multilingual_route_mixes_in_its_ngram_model(shipped_scorer: Scorer) -> None:
    clf = shipped_scorer.routes[shipped_scorer.route("zh")]
    assert clf.ngram is not None and clf.mix[1] > 0
    texts = [text for lang, text in FIXTURES if lang != "en"]
    mixed = clf.probabilities(texts)
    ngram, bias = clf.ngram, clf.bias.copy()
    try:
        clf.ngram = None
        clf.bias[:] = 0.0
        alone = clf.probabilities(texts)
    finally:
        clf.ngram = ngram
        clf.bias[:] = bias
    logits = clf.mix[0] * np.log(alone) + clf.mix[1] * ngram.logits(texts) + bias
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    assert np.allclose(mixed, expected, atol=1e-4)
    assert not np.allclose(mixed, alone, atol=0.02)  # the n-gram model moves the answer


def test_the_fast_english_model_is_a_route_away() -> None:
    scorer = load_scorer(SentimentConfig(routes={"en": "builtin:en-fast"}))
    english = [i for i, (lang, _) in enumerate(FIXTURES) if lang == "en"]
    out = scorer.score([FIXTURES[i][1] for i in english], ["en"] * len(english))
    assert {s.model for s in out} == {"brand-monitor/sentiment-en-minilm2-lora@4"}
    assert [s.label for i, s in zip(english, out, strict=True) if i in (0, 1, 4, 5)] == [
        "positive", "negative", "positive", "negative"]
    assert scorer.routes["en"].ngram is None and scorer.route("zh") == "*"



def test_the_english_route_reads_links_and_handles_as_placeholders(shipped_scorer: Scorer,
                                                                   torch_scorer: Scorer) -> None:
    raw = ["@DeltaAssist still waiting on hold http://t.co/9wWvxEbf", "@acme_uk love the new kettle! https://acme.co/k2"]
    placeholders = ["@user still waiting on hold http", "@user love the new kettle! http"]
    for scorer in (shipped_scorer, torch_scorer):
        clf = scorer.routes["en"]
        assert np.allclose(clf.probabilities(raw), clf.probabilities(placeholders), atol=1e-6)
    # the multilingual route was trained on raw Chinese posts and keeps them as they are
    assert shipped_scorer.routes["*"].preprocess is None


def test_the_12_layer_multilingual_route_is_a_route_away_and_matches_torch() -> None:
    """Accuracy-first deployments keep the 12-layer route (fp32 on both paths) with one line of config."""
    fast = load_scorer(SentimentConfig(routes={"*": "builtin:multi"}))
    ref = load_scorer(SentimentConfig(routes={"*": "builtin:multi"}, backend="torch"))
    others = [i for i, (lang, _) in enumerate(FIXTURES) if lang != "en"]
    texts, langs = [FIXTURES[i][1] for i in others], [FIXTURES[i][0] for i in others]
    out = fast.score(texts, langs)
    assert {s.model for s in out} == {MULTI12_ID}
    assert fast.model_id == f"{EN_ID}+{MULTI12_ID}"
    clf = fast.routes["*"]
    assert clf.ngram is not None and clf.mix[1] > 0
    p_fast, p_ref = clf.probabilities(texts), ref.routes["*"].probabilities(texts)
    assert np.abs(p_fast - p_ref).max() <= 1e-3  # fp32 ONNX vs fp32 torch
    clear = {8: "negative", 9: "positive", 11: "negative", 12: "positive", 13: "negative"}
    assert {i: s.label for i, s in zip(others, out, strict=True) if i in clear} == clear
