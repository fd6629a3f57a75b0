from __future__ import annotations

import random

from monitor.nlp.sentiment.training.recipes import RECIPES
from monitor.nlp.sentiment.training.train import bucketed_batches


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
    from monitor.nlp.sentiment.training.data import GENRES

    for recipe in RECIPES.values():
        assert set(recipe.mix) <= set(GENRES) and set(recipe.validate) <= set(GENRES)


def test_choose_bias_moves_the_operating_point_towards_the_rare_class() -> None:
    import numpy as np

    from monitor.nlp.sentiment.training.calibrate import choose_bias

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


def test_a_negative_precision_floor_keeps_neutral_posts_out_of_the_negative_count() -> None:
    import numpy as np

    from monitor.nlp.sentiment.training.calibrate import Objective, choose_bias

    # 10 clear negatives; 10 that lean neutral (-1.0 vs -0.4); and 10 neutral posts that lean neutral less
    # (-0.9 vs -0.6): every offset that wins the hard negatives also turns those 10 neutrals negative
    easy = np.tile([-0.1, -3.0, -3.0], (10, 1))
    neg = np.tile([-1.0, -0.4, -3.0], (10, 1))
    neu_hard = np.tile([-0.9, -0.6, -3.0], (10, 1))
    neu = np.tile([-3.0, -0.1, -3.0], (20, 1))
    pos = np.tile([-3.0, -1.0, -0.2], (10, 1))
    logp = np.vstack([easy, neg, neu_hard, neu, pos]).astype(np.float32)
    gold = ["negative"] * 20 + ["neutral"] * 30 + ["positive"] * 10
    recall_first, _ = choose_bias({"set": (logp, gold)}, Objective(weight_recall=1.0))
    pred = (logp + np.array(recall_first, dtype=np.float32)).argmax(1)
    assert (pred[:30] == 0).all()  # recall alone buys the 10 hard negatives with 10 wrong ones: precision 2/3
    floored, _ = choose_bias({"set": (logp, gold)}, Objective(weight_recall=1.0, negative_precision=0.7))
    pred = (logp + np.array(floored, dtype=np.float32)).argmax(1)
    assert (pred[:10] == 0).all() and (pred[10:30] == 1).all()  # the floor keeps the count honest (precision 1)
    # with no offsets able to reach the floor the best objective still wins (not an arbitrary one)
    unreachable, _ = choose_bias({"set": (logp, gold)}, Objective(weight_recall=1.0, negative_precision=1.01))
    assert unreachable == recall_first


def test_time_held_out_recipes_train_before_and_choose_on_the_later_tenth_only() -> None:
    from monitor.nlp.sentiment.training.data import GENRES, split_indices

    for name in ("en_t", "en2_t", "en_e5_t", "en_e5b_t", "en_student_t"):
        recipe = RECIPES[name]
        assert set(recipe.mix) == {"en_tweets_time"}, name
        assert recipe.calibrate_on == recipe.validate == ["en_tweets_time"], name
    train_rows, val_rows = split_indices(49_570, GENRES["en_tweets_time"])
    assert max(train_rows) < min(val_rows) and len(val_rows) == 4_957  # every later tweet after every trained one


def test_an_ensemble_teacher_is_the_mean_of_its_members(monkeypatch, tmp_path) -> None:
    import numpy as np

    from monitor.nlp.sentiment.training import distill

    members = {"a": np.array([[0.8, 0.1, 0.1], [0.2, 0.2, 0.6]], dtype=np.float32),
               "b": np.array([[0.4, 0.5, 0.1], [0.0, 0.2, 0.8]], dtype=np.float32)}
    asked: list[tuple[str, list[str]]] = []

    def fake(teacher, texts, out_dir, threads):
        asked.append((teacher.name, list(texts)))
        return members[teacher.name]

    monkeypatch.setattr(distill, "teacher_probabilities", fake)
    texts = ["one", "two"]
    both = distill.ensemble_probabilities([tmp_path / "a", tmp_path / "b"], texts, tmp_path, 1)
    assert np.allclose(both, [[0.6, 0.3, 0.1], [0.1, 0.2, 0.7]]) and both.dtype == np.float32
    assert asked == [("a", texts), ("b", texts)]
    assert np.array_equal(distill.ensemble_probabilities([tmp_path / "a"], texts, tmp_path, 1), members["a"])


def test_comparison_slices_are_clean_for_the_model_they_judge() -> None:
    from monitor.nlp.sentiment.training.compare import slices
    from monitor.nlp.sentiment.training.data import GENRES, split_indices

    n = 49_570
    parts = slices(n)
    random_train = set(split_indices(n, GENRES["en_tweets"])[0])
    time_train = set(split_indices(n, GENRES["en_tweets_time"])[0])
    assert not set(parts["later_report_half"]) & time_train
    assert not set(parts["random_report_half"]) & random_train
    for name in ("later_report_half_unseen_by_both", "later_calibration_half_unseen_by_both"):
        assert parts[name] and not set(parts[name]) & (random_train | time_train), name
    assert len(parts["later_report_half"]) == 2_478 and len(parts["random_report_half"]) == 1_500
    # the flattering halves: each is mostly the other model's training data
    assert len(set(parts["later_report_half"]) & random_train) > 0.9 * 2_478
    assert len(set(parts["random_report_half"]) & time_train) > 0.85 * 1_500
