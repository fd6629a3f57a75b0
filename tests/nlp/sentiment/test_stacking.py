"""Choosing how the n-gram model mixes with the transformer, on the calibration halves only."""

from __future__ import annotations

import numpy as np

from monitor.nlp.sentiment.training.data import LABELS
from monitor.nlp.sentiment.training.stacking import MIX_GRID, choose_mix


def _onehot_logits(labels: np.ndarray, strength: float) -> np.ndarray:
    out = np.zeros((len(labels), 3))
    out[np.arange(len(labels)), labels] = strength
    return out


def test_a_useless_ngram_model_is_left_out() -> None:
    rng = np.random.default_rng(0)
    gold = rng.integers(0, 3, 300)
    transformer = _onehot_logits(gold, 2.0)  # always right
    noise = rng.normal(size=(300, 3)) * 5.0  # n-gram model: pure noise
    b, bias, objective = choose_mix({"g": (transformer, noise, [LABELS[i] for i in gold])}, 0.0, {})
    assert b == 0.0 and objective == 1.0 and bias == [0.0, 0.0, 0.0]


def test_an_ngram_model_that_fixes_errors_gets_weight() -> None:
    rng = np.random.default_rng(1)
    gold = rng.integers(0, 3, 300)
    wrong = (gold + 1) % 3
    first = np.arange(300) % 3 == 0
    # the transformer is wrong on a third, without much confidence; the n-gram model on another third
    transformer = np.where(first[:, None], _onehot_logits(wrong, 0.5), _onehot_logits(gold, 2.0))
    ngram = _onehot_logits(np.where(np.arange(300) % 3 == 1, wrong, gold), 1.0)
    b, _, objective = choose_mix({"g": (transformer, ngram, [LABELS[i] for i in gold])}, 0.0, {})
    assert b == min(x for x in MIX_GRID if 0.5 < x < 2.0)  # the smallest weight that fixes every error
    assert objective == 1.0
