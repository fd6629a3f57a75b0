"""The Scorer's contract, on tiny models built in tmp dirs (never downloaded)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from monitor.errors import ModelError
from monitor.models import Sentiment
from monitor.nlp.sentiment import Scorer, SentimentConfig, load_scorer
from monitor.nlp.sentiment.loading import load_classifier
from monitor.nlp.sentiment.testing import make_tiny_model


@pytest.fixture(scope="module")
def tiny_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("tiny")
    return {
        "pos": make_tiny_model(base / "always-positive", constant=2),
        "neg": make_tiny_model(base / "always-negative", constant=0),
        "stars": make_tiny_model(base / "stars", labels=[f"{i} stars" for i in range(1, 6)], constant=2),
        "random": make_tiny_model(base / "random", seed=3),
    }


def test_user_model_directory_scores_every_text(tiny_dirs: dict[str, Path]) -> None:
    scorer = load_scorer(SentimentConfig(model=str(tiny_dirs["pos"]), backend="torch"))
    assert isinstance(scorer, Scorer)
    assert scorer.model_id == str(tiny_dirs["pos"])
    out = scorer.score(["good day", "很 好", ""], ["en", None, "de"])
    assert [s.label for s in out] == ["positive"] * 3
    assert [s.lang for s in out] == ["en", "zh", "de"]
    assert all(isinstance(s, Sentiment) and s.model == str(tiny_dirs["pos"]) for s in out)
    assert out[0].score == pytest.approx(1 / (1 + 2 * math.exp(-10)), rel=1e-4)  # logits (-5, -5, 5)


def test_star_labels_are_folded_into_three_classes(tiny_dirs: dict[str, Path]) -> None:
    scorer = load_scorer(SentimentConfig(model=str(tiny_dirs["stars"]), backend="torch"))
    (s,) = scorer.score(["the phone"])
    assert s.label == "neutral"  # constant output 2 is "3 stars"


def test_routes_send_each_language_to_its_model_in_input_order(tiny_dirs: dict[str, Path]) -> None:
    cfg = SentimentConfig(model=str(tiny_dirs["neg"]), backend="torch", routes={"en": str(tiny_dirs["pos"])})
    scorer = load_scorer(cfg)
    texts = ["good day", "很 好", "this is great", "Das ist nicht gut", "the day"]
    out = scorer.score(texts)
    assert [s.lang for s in out] == ["en", "zh", "en", "de", "en"]
    assert [s.label for s in out] == ["positive", "negative", "positive", "negative", "positive"]
    assert [s.model for s in out] == [str(tiny_dirs[k]) for k in ("pos", "neg", "pos", "neg", "pos")]
    assert scorer.model_id == f"{tiny_dirs['neg']}+{tiny_dirs['pos']}"


def test_one_batched_call_per_language(tiny_dirs: dict[str, Path]) -> None:
    cfg = SentimentConfig(model=str(tiny_dirs["neg"]), backend="torch", routes={"en": str(tiny_dirs["pos"])})
    scorer = load_scorer(cfg)
    calls: list[tuple[str, int]] = []
    for key, clf in scorer.routes.items():
        inner = clf.probabilities
        clf.probabilities = (lambda texts, inner=inner, key=key: calls.append((key, len(texts))) or inner(texts))  # type: ignore[method-assign]
    scorer.score(["good day", "很 好", "this is great", "好", "the day"])
    assert sorted(calls) == [("*", 2), ("en", 3)]


def test_given_languages_win_over_detection_and_detection_can_be_off(tiny_dirs: dict[str, Path]) -> None:
    cfg = SentimentConfig(model=str(tiny_dirs["neg"]), backend="torch", routes={"en": str(tiny_dirs["pos"])},
                          detect_language=False)
    scorer = load_scorer(cfg)
    out = scorer.score(["很 好", "good day"], ["en-US", None])
    assert [(s.lang, s.label) for s in out] == [("en", "positive"), (None, "negative")]


def test_argument_mistakes_are_caught(tiny_dirs: dict[str, Path]) -> None:
    scorer = load_scorer(SentimentConfig(model=str(tiny_dirs["pos"]), backend="torch"))
    with pytest.raises(ValueError, match="2 texts but 1 languages"):
        scorer.score(["a", "b"], ["en"])
    with pytest.raises(TypeError):
        scorer.score("one string")
    assert scorer.score([]) == []


def test_batches_smaller_than_the_input_give_the_same_answers(tiny_dirs: dict[str, Path]) -> None:
    texts = [("good " * (i % 7)) + "bad day" for i in range(23)]
    big = load_scorer(SentimentConfig(model=str(tiny_dirs["random"]), backend="torch", batch_size=64))
    small = load_scorer(SentimentConfig(model=str(tiny_dirs["random"]), backend="torch", batch_size=4))
    a, b = big.score(texts), small.score(texts)
    assert [s.label for s in a] == [s.label for s in b]
    assert all(abs(x.score - y.score) < 1e-5 for x, y in zip(a, b, strict=True))


def test_onnx_fast_path_of_a_user_model_matches_torch(tiny_dirs: dict[str, Path], tmp_path: Path) -> None:
    texts = ["good day", "awful service", "the phone is great", "sad", "this is bad bad bad"]
    ref = load_classifier(str(tiny_dirs["random"]), SentimentConfig(backend="torch")).probabilities(texts)
    cfg = SentimentConfig(backend="onnx", quantize=False, cache_dir=tmp_path)
    fast = load_classifier(str(tiny_dirs["random"]), cfg).probabilities(texts)
    assert abs(fast - ref).max() < 1e-4
    built = list((tmp_path / "onnx").glob("user-*/model.onnx"))
    assert len(built) == 1
    import onnx

    ops = {node.op_type for node in onnx.load(str(built[0]), load_external_data=False).graph.node}
    assert "LayerNormalization" not in ops and "ReduceMean" in ops  # the slow kernel was rewritten
    # second load reuses the cached build
    load_classifier(str(tiny_dirs["random"]), cfg)
    assert list((tmp_path / "onnx").glob("user-*/model.onnx")) == built


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelError) as err:
        load_scorer(SentimentConfig(model=str(missing), backend="torch"))
    assert str(err.value) == (
        f"sentiment model {str(missing)!r}: no such directory (give a directory with config.json, "
        "a tokenizer and weights, a Hugging Face model id, or 'builtin')")


def test_directory_without_a_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as err:
        load_scorer(SentimentConfig(model=str(tmp_path), backend="torch"))
    assert str(err.value) == (
        f"sentiment model {str(tmp_path)!r}: {tmp_path / 'config.json'} is missing; save the model with "
        "model.save_pretrained(DIR) and tokenizer.save_pretrained(DIR)")


def test_unreachable_hub_id_is_a_clear_error() -> None:
    with pytest.raises(ModelError, match=r"^sentiment model 'nobody/no-such-model' could not be loaded: .*give its "
                                         r"directory\)$"):
        load_scorer(SentimentConfig(model="nobody/no-such-model", backend="torch", local_files_only=True))


def test_unknown_builtin_part_is_a_clear_error() -> None:
    with pytest.raises(ModelError) as err:
        load_scorer(SentimentConfig(model="builtin:fr"))
    assert str(err.value) == ("unknown builtin sentiment model 'builtin:fr' "
                              "(known: builtin, builtin:en, builtin:en-fast, builtin:multi, builtin:multi-fast)")


def test_unmappable_labels_fail_at_load(tmp_path: Path) -> None:
    path = make_tiny_model(tmp_path / "emotions", labels=["joy", "anger", "fear"])
    with pytest.raises(ModelError, match="cannot map its labels"):
        load_scorer(SentimentConfig(model=str(path), backend="torch"))
    scorer = load_scorer(SentimentConfig(model=str(path), backend="torch",
                                         label_map={"joy": "positive", "anger": "negative", "fear": "negative"}))
    assert scorer.score(["good"])[0].label in ("positive", "negative")


def test_batches_respect_both_the_text_and_the_token_budget(tiny_dirs: dict[str, Path]) -> None:
    clf = load_classifier(str(tiny_dirs["random"]), SentimentConfig(backend="torch", batch_size=4,
                                                                    max_batch_tokens=64, max_length=32))
    lengths = [5] * 10 + [30] * 5
    batches = clf._batches(list(range(15)), lengths)
    assert [len(b) for b in batches] == [4, 4, 2, 2, 2, 1]  # 4 short texts per batch; 2 x 30 tokens fit in 64
    assert sorted(i for b in batches for i in b) == list(range(15))


def test_unwritable_cache_is_a_clear_error(tiny_dirs: dict[str, Path], tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(ModelError) as err:
        load_classifier(str(tiny_dirs["random"]), SentimentConfig(backend="onnx", cache_dir=blocker))
    assert str(err.value).startswith(f"cannot write the ONNX cache in {blocker / 'onnx'} (")
    assert str(err.value).endswith("set sentiment.cache_dir (or $BRAND_MONITOR_CACHE) to a writable directory")


def test_a_user_model_can_be_told_to_read_normalised_tweets(tiny_dirs: dict[str, Path]) -> None:
    from monitor.nlp.sentiment.textprep import normalize_tweet

    plain = load_classifier(str(tiny_dirs["random"]), SentimentConfig(backend="torch"))
    tweety = load_classifier(str(tiny_dirs["random"]), SentimentConfig(backend="torch", preprocess="tweet"))
    assert plain.preprocess is None and tweety.preprocess is normalize_tweet
    raw = ["@love good day http://t.co/great", "bad @hate service www.awful.example/sad"]
    normalised = plain.probabilities([normalize_tweet(t) for t in raw])
    assert not np.array_equal(plain.probabilities(raw), normalised)  # the handles' and links' words count
    assert np.array_equal(tweety.probabilities(raw), normalised)


def test_polar_texts_take_the_likelier_side_and_others_keep_neutral(tmp_path: Path) -> None:
    lean = make_tiny_model(tmp_path / "lean", bias=(0.0, 2.0, 1.0))  # neutral 0.67, positive 0.24, negative 0.09
    scorer = load_scorer(SentimentConfig(model=str(lean), backend="torch"))
    out = scorer.score(["good day", "the phone", "很 好"], ["en", "en", "zh"], [True, False, True])
    assert [s.label for s in out] == ["positive", "neutral", "positive"]
    p_neg, p_pos = 1 / (1 + math.e + math.e**2), math.e / (1 + math.e + math.e**2)
    assert out[0].score == pytest.approx(p_pos / (p_pos + p_neg), rel=1e-4)
    assert out[1].score == pytest.approx(math.e**2 / (1 + math.e + math.e**2), rel=1e-4)
    with pytest.raises(ValueError, match="2 texts but 1 polar flags"):
        scorer.score(["a", "b"], None, [True])


def test_polarise_moves_neutral_mass_in_proportion_and_a_tie_goes_negative() -> None:
    from monitor.nlp.sentiment.scorer import polarise

    probs = np.array([[0.1, 0.6, 0.3], [0.2, 0.6, 0.2], [0.0, 1.0, 0.0], [0.5, 0.4, 0.1]], dtype=np.float32)
    out = polarise(probs, [True, True, True, False])
    assert out[0] == pytest.approx([0.25, 0.0, 0.75])
    assert out[1] == pytest.approx([0.5, 0.0, 0.5]) and out[1].argmax() == 0
    assert out[2] == pytest.approx([0.5, 0.0, 0.5])
    assert out[3] == pytest.approx([0.5, 0.4, 0.1])  # not flagged: untouched
    assert probs[0] == pytest.approx([0.1, 0.6, 0.3])  # the input is not modified


def test_long_texts_keep_their_start_and_their_end() -> None:
    from monitor.nlp.sentiment.runtime import head_and_tail

    long = [0, *range(10, 30), 2]  # <s>, 20 pieces, </s>
    assert head_and_tail([long, [0, 5, 2]], 8) == [[0, 10, 11, 12, 27, 28, 29, 2], [0, 5, 2]]
    assert head_and_tail([long], 9) == [[0, 10, 11, 12, 26, 27, 28, 29, 2]]
    assert head_and_tail([long], len(long)) == [long]
