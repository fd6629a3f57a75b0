"""Tweet normalisation, and that a model's declared normalisation reaches its tokenizer and n-gram model."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.errors import ModelError
from monitor.nlp.sentiment.runtime import EncoderClassifier
from monitor.nlp.sentiment.textprep import normalize_tweet, preprocessor


@pytest.mark.parametrize(("text", "want"), [
    ("@Delta still waiting on hold http://t.co/9wWvxEbf", "@user still waiting on hold http"),
    ("RT @acme_support: fixed! https://acme.com/status?id=1", "RT @user: fixed! http"),
    ("see www.acme.com/recall now", "see http now"),
    ("HTTPS://T.CO/ABC loud link", "http loud link"),
    ("write to help@acme.com please", "write to help@acme.com please"),  # an e-mail address is not a handle
    ("@@odd and @_x", "@@odd and @user"),
    ("no links, no handles", "no links, no handles"),
    ("", ""),
])
def test_links_and_handles_are_normalised(text: str, want: str) -> None:
    assert normalize_tweet(text) == want


def test_normalising_twice_changes_nothing() -> None:
    once = normalize_tweet("@a @b http://x.y/z www.q.com")
    assert normalize_tweet(once) == once == "@user @user http http"


def test_unknown_preprocess_names_the_file() -> None:
    assert preprocessor(None, "x") is None
    assert preprocessor("tweet", "x") is normalize_tweet
    with pytest.raises(ModelError) as err:
        preprocessor("emoji", "artifacts/en/adapter.json")
    assert str(err.value) == ("artifacts/en/adapter.json: unknown preprocess 'emoji' (known: tweet); "
                              "this adapter needs a newer brand-monitor")


class _RecordingTokenizer:
    pad_token_id = 0

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, texts: list[str], truncation: bool = True, max_length: int = 512) -> dict[str, list[list[int]]]:
        self.seen.extend(texts)
        return {"input_ids": [[1, 2, 3] for _ in texts]}


class _RecordingNgram:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def logits(self, texts: list[str]) -> np.ndarray:
        self.seen.extend(texts)
        return np.zeros((len(texts), 3), dtype=np.float32)


@pytest.mark.parametrize("prep", [None, normalize_tweet])
def test_the_classifier_scores_the_normalised_text(prep: object) -> None:
    tokenizer, ngram = _RecordingTokenizer(), _RecordingNgram()
    clf = EncoderClassifier("m", tokenizer, lambda ids, mask: np.zeros((len(ids), 3), dtype=np.float32),
                            ["negative", "neutral", "positive"], 32, 8, ngram=ngram,  # type: ignore[arg-type]
                            preprocess=prep)  # type: ignore[arg-type]
    texts = ["@Acme my order http://t.co/x never came", "fine"]
    assert clf.probabilities(texts).shape == (2, 3)
    want = [normalize_tweet(t) for t in texts] if prep else texts
    assert tokenizer.seen == want and ngram.seen == want
