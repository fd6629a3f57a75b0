from __future__ import annotations

import random

from monitor.nlp.sentiment.recipes import RECIPES
from monitor.nlp.sentiment.train import bucketed_batches


def test_bucketed_batches_cover_every_example_once_and_keep_lengths_close() -> None:
    lengths = [random.Random(1).randint(3, 120) for _ in range(1000)]
    batches = bucketed_batches(lengths, 16, random.Random(7))
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(1000))
    assert all(len(b) <= 16 for b in batches)
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches) / len(batches)
    assert spread < 10  # sorted windows: a batch pads little


def test_same_seed_same_batches() -> None:
    lengths = list(range(100))
    assert bucketed_batches(lengths, 8, random.Random(3)) == bucketed_batches(lengths, 8, random.Random(3))


def test_recipes_validate_only_on_known_genres() -> None:
    from monitor.nlp.sentiment.data import GENRES

    for recipe in RECIPES.values():
        assert set(recipe.mix) <= set(GENRES) and set(recipe.validate) <= set(GENRES)


def test_choose_bias_moves_the_operating_point_towards_the_rare_class() -> None:
    import numpy as np

    from monitor.nlp.sentiment.calibrate import choose_bias

    # the model leans neutral: negatives sit at log-probs (-1.0, -0.6, -3) and are all called neutral
    neg = np.tile([-1.0, -0.6, -3.0], (10, 1))
    neu = np.tile([-3.0, -0.1, -3.0], (10, 1))
    pos = np.tile([-3.0, -1.0, -0.2], (10, 1))
    logp = np.vstack([neg, neu, pos]).astype(np.float32)
    gold = ["negative"] * 10 + ["neutral"] * 10 + ["positive"] * 10
    bias, objective = choose_bias({"set": (logp, gold)}, weight_recall=0.5)
    assert objective == 1.0
    assert bias[0] == 0.0 and bias[1] <= -0.4  # neutral pushed down until the negatives win
    assert (logp + np.array(bias, dtype=np.float32)).argmax(1).tolist() == [0] * 10 + [1] * 10 + [2] * 10
