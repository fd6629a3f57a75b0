from __future__ import annotations

import random

from monitor.nlp.sentiment.train import RECIPES, bucketed_batches


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
