from __future__ import annotations

import pytest
from pydantic import ValidationError

from monitor.nlp.sentiment import SentimentConfig


def test_defaults_give_the_shipped_model_on_the_fast_path() -> None:
    cfg = SentimentConfig()
    assert (cfg.model, cfg.backend, cfg.quantize, cfg.detect_language) == ("builtin", "onnx", None, True)
    assert cfg.batch_size == 64 and cfg.max_length == 128 and cfg.threads is None


def test_unknown_keys_are_rejected() -> None:
    with pytest.raises(ValidationError) as err:
        SentimentConfig(modle="x")  # type: ignore[call-arg]
    assert err.value.errors()[0]["msg"] == "Extra inputs are not permitted"


def test_bad_values_name_the_problem() -> None:
    with pytest.raises(ValidationError) as err:
        SentimentConfig(backend="tensorflow")  # type: ignore[arg-type]
    assert err.value.errors()[0]["msg"] == "Input should be 'onnx' or 'torch'"
    with pytest.raises(ValidationError) as err:
        SentimentConfig(model="  ")
    assert err.value.errors()[0]["msg"] == (
        "Value error, must name a model: 'builtin', a Hugging Face model id or a local directory")


def test_routes_are_normalised() -> None:
    assert SentimentConfig(routes={" ZH ": " /models/zh "}).routes == {"zh": "/models/zh"}


def test_preprocess_names_a_known_normalisation() -> None:
    assert SentimentConfig().preprocess is None
    assert SentimentConfig(preprocess="tweet").preprocess == "tweet"
    with pytest.raises(ValidationError) as err:
        SentimentConfig(preprocess="emoji")  # type: ignore[arg-type]
    assert err.value.errors()[0]["msg"] == "Input should be 'tweet'"
