"""The n-gram model: features, TF-IDF scoring identical to scikit-learn's, storage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from monitor.errors import ModelError
from monitor.nlp.sentiment.ngram import NgramModel, analyze, normalize

CORPUS = ["I love this phone", "worst service ever, I hate it", "the store opens at 9",
          "love love love it", "快递太慢了，差评", "味道很好，好评", "@bob see https://x.co/a now",
          "hate the update", "great camera, love it", "meh. it is fine"]
LABELS = [2, 0, 1, 2, 0, 2, 1, 0, 2, 1]


def test_normalize_folds_case_handles_urls_and_width() -> None:
    assert normalize("  Hello\tWORLD  @Bob https://t.co/x ") == " hello world @u http "
    assert normalize("ＡＢＣ，好") == " abc,好 "  # NFKC: full-width letters and comma


def test_analyze_gives_char_1_to_4_grams_and_words() -> None:
    feats = analyze("ab cd")
    assert feats.count(" ") == 3 and "ab c" in feats and " ab " in feats and "b c" in feats
    assert [f for f in feats if f.startswith(("w:", "b:"))] == ["w:ab", "w:cd", "b:ab cd"]
    chinese = analyze("差评")
    assert {"差", "评", "差评", " 差评", "差评 ", " 差评 "} <= set(chinese)


def _fitted() -> tuple[NgramModel, object, object]:
    sklearn_text = pytest.importorskip("sklearn.feature_extraction.text")
    from sklearn.linear_model import LogisticRegression

    vec = sklearn_text.TfidfVectorizer(analyzer=analyze, sublinear_tf=True, dtype=np.float32)
    clf = LogisticRegression(C=10.0, max_iter=1000).fit(vec.fit_transform(CORPUS), LABELS)
    model = NgramModel({f: int(i) for f, i in vec.vocabulary_.items()}, vec.idf_.astype(np.float32),
                       clf.coef_.T.astype(np.float32).copy(), clf.intercept_.astype(np.float32))
    return model, vec, clf


def test_logits_equal_scikit_learns_tfidf_logistic_regression() -> None:
    model, vec, clf = _fitted()
    texts = [*CORPUS, "I love the service", "好评", "", "zzzz qqqq"]
    expected = clf.decision_function(vec.transform(texts))  # type: ignore[attr-defined]
    assert np.allclose(model.logits(texts), expected, atol=1e-4)
    assert model.logits([]).shape == (0, 3)


def test_unknown_text_scores_the_intercept() -> None:
    model = NgramModel({"x": 0}, np.ones(1, np.float32), np.ones((1, 3), np.float32), np.array([1, 2, 3], np.float32))
    assert np.allclose(model.logits(["qqq", "x"]), [[1, 2, 3], [2, 3, 4]])


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    model, _, _ = _fitted()
    path = tmp_path / "ngram.safetensors"
    model.save(path)
    again = NgramModel.load(path)
    assert again.vocab == model.vocab
    texts = ["love it", "差评", "the store"]
    assert np.allclose(again.logits(texts), model.logits(texts), atol=2e-3)  # fp16 weights


def test_loading_a_broken_file_names_it_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "ngram.safetensors"
    path.write_bytes(b"not a safetensors file")
    with pytest.raises(ModelError, match=r"ngram.safetensors: not an n-gram sentiment model .*retrain or reinstall"):
        NgramModel.load(path)
