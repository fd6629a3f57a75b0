"""The review n-gram model: fitted binary, added only to polar texts, chosen with a genre held out."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.nlp.sentiment.ngram import NgramModel
from monitor.nlp.sentiment.runtime import EncoderClassifier
from monitor.nlp.sentiment.training.data import Example


class _Tokenizer:
    pad_token_id = 0

    def __call__(self, texts: list[str], truncation: bool = True, max_length: int = 512) -> dict[str, list[list[int]]]:
        return {"input_ids": [[1, 2] for _ in texts]}


def _review_model() -> NgramModel:
    # one feature, the character 差 ("poor"): log-odds -4 towards negative wherever it appears
    return NgramModel({"差": 0}, np.ones(1, np.float32), np.array([[2.0, 0.0, -2.0]], np.float32),
                      np.zeros(3, np.float32))


def test_the_review_model_moves_polar_texts_only() -> None:
    # the transformer leans positive on everything (logits 0, 0, 1)
    clf = EncoderClassifier("m", _Tokenizer(), lambda ids, mask: np.tile([0.0, 0.0, 1.0], (len(ids), 1)),
                            ["negative", "neutral", "positive"], 32, 8)
    clf.polar_ngram = (_review_model(), 1.0)
    texts = ["质量差", "质量差", "很好"]
    plain = clf.probabilities(texts)
    flagged = clf.probabilities(texts, [True, False, True])
    assert plain.argmax(1).tolist() == [2, 2, 2]
    assert flagged.argmax(1).tolist() == [0, 2, 2]  # only the flagged review with 差 turns negative
    assert np.allclose(flagged[1:], plain[1:])
    assert flagged[0] == pytest.approx(np.exp([2.0, 0.0, -1.0]) / np.exp([2.0, 0.0, -1.0]).sum(), rel=1e-5)


def test_fit_binary_learns_log_odds_split_evenly_around_neutral() -> None:
    pytest.importorskip("sklearn")
    from monitor.nlp.sentiment.training.reviews import fit_binary

    good = [Example("positive", f"很好 满意 第{i}次") for i in range(30)]
    bad = [Example("negative", f"太差 失望 第{i}次") for i in range(30)]
    model = fit_binary([good[:15] + bad[:15], good[15:] + bad[15:]], max_features=1000, c=2.0)
    logits = model.logits(["太差 失望", "很好 满意"])
    assert (logits[:, 1] == 0).all()
    assert np.allclose(logits[:, 0], -logits[:, 2])
    assert logits[0, 0] > logits[0, 2] and logits[1, 2] > logits[1, 0]


def test_the_weight_comes_from_the_held_out_genres() -> None:
    from monitor.nlp.sentiment.training.reviews import WEIGHT_GRID, choose_weight

    gold = ["negative"] * 10 + ["positive"] * 10
    route = np.tile([0.0, -5.0, 0.2], (20, 1))  # the route calls everything positive
    helpful = np.vstack([np.tile([1.0, 0.0, -1.0], (10, 1)), np.tile([-1.0, 0.0, 1.0], (10, 1))])
    weight, score = choose_weight({"a": (route, helpful, gold), "b": (route, helpful, gold)})
    assert weight == 0.25 and score == 1.0  # the smallest weight that fixes it
    useless = np.zeros((20, 3))
    weight, _ = choose_weight({"a": (route, useless, gold)})
    assert weight == WEIGHT_GRID[0] == 0.0
