"""A compact character n-gram logistic regression that is mixed with the transformer's logits.

The fine-tuned transformers are weakest exactly where character n-grams are strong (short
Chinese posts and reviews: the n-gram model sees every training review, and a character
bigram such as 好评 or 差评 says most of what there is to say). So each route ships a small
linear model over TF-IDF character 1-4-grams plus word uni- and bigrams, with a capped
vocabulary (the most frequent features of the training split), and the route's output is
``softmax(a * transformer_logits + b * ngram_logits + bias)`` with ``a``, ``b`` and ``bias``
chosen on the calibration halves (see calibrate.py).

Inference is numpy only (no scikit-learn, no torch): the analyzer below is the one used in
training, TF-IDF is sublinear with the training split's smoothed idf and L2-normalised
(what scikit-learn's ``TfidfVectorizer(sublinear_tf=True)`` computes), and the whole batch
is scored with one gather and one segmented sum.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from operator import add
from pathlib import Path

import numpy as np

from monitor.errors import ModelError

_URL = re.compile(r"https?://\S+|www\.\S+")
_USER = re.compile(r"@\w+")
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFKC, lower case, URLs and @handles folded to one token each, spaces collapsed, padded."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _USER.sub("@u", _URL.sub(" http ", text))
    return " " + _SPACE.sub(" ", text).strip() + " "


def analyze(text: str) -> list[str]:
    """The features of one text: character 1-4-grams of the normalised text (across word
    boundaries, so Chinese gets every short span), plus word unigrams and bigrams."""
    norm = normalize(text)
    bigrams = list(map(add, norm, norm[1:]))  # string concatenation in C: ~3x faster than slicing in a loop
    trigrams = list(map(add, bigrams, norm[2:]))
    words = norm.split()
    return [*norm, *bigrams, *trigrams, *map(add, trigrams, norm[3:]), *["w:" + w for w in words],
            *["b:" + a + " " + b for a, b in pairwise(words)]]


@dataclass
class NgramModel:
    """TF-IDF n-gram features and a linear layer: ``logits(texts)`` -> (n, 3)."""

    vocab: dict[str, int]
    idf: np.ndarray  # (V,) float32
    coef: np.ndarray  # (V, 3) float32, columns negative / neutral / positive
    intercept: np.ndarray  # (3,) float32

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        vocab_get = self.vocab.get
        indices: list[int] = []
        counts: list[int] = []
        starts = [0]
        for text in texts:
            for feature, count in Counter(analyze(text)).items():
                j = vocab_get(feature)
                if j is not None:
                    indices.append(j)
                    counts.append(count)
            starts.append(len(indices))
        out = np.tile(self.intercept, (len(texts), 1)).astype(np.float32)
        if not indices:
            return out
        idx = np.asarray(indices, dtype=np.int64)
        values = (1.0 + np.log(np.asarray(counts, dtype=np.float32))) * self.idf[idx]
        bounds = np.asarray(starts, dtype=np.int64)
        nonempty = bounds[1:] > bounds[:-1]
        rows = np.flatnonzero(nonempty)
        seg = bounds[:-1][nonempty]
        norms = np.sqrt(np.add.reduceat(values * values, seg))
        values /= np.repeat(norms, (bounds[1:] - bounds[:-1])[nonempty])
        out[rows] += np.add.reduceat(self.coef[idx] * values[:, None], seg, axis=0)
        return out

    # ------------------------------------------------------------------ storage
    def save(self, path: Path) -> None:
        """One safetensors file: the vocabulary (zlib-compressed UTF-8, one feature a line), idf and weights."""
        from safetensors.numpy import save_file

        ordered = sorted(self.vocab, key=self.vocab.__getitem__)
        if any("\n" in f for f in ordered):
            raise ValueError("a feature contains a newline")
        blob = zlib.compress("\n".join(ordered).encode("utf-8"), 9)
        save_file({"vocab": np.frombuffer(blob, dtype=np.uint8).copy(),
                   "idf": self.idf.astype(np.float16), "coef": self.coef.astype(np.float16),
                   "intercept": self.intercept.astype(np.float32)}, str(path))

    @classmethod
    def load(cls, path: Path) -> NgramModel:
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        try:
            tensors = load_file(str(path))
            features = zlib.decompress(tensors["vocab"].tobytes()).decode("utf-8").split("\n")
            idf = tensors["idf"].astype(np.float32)
            coef = tensors["coef"].astype(np.float32)
            intercept = tensors["intercept"].astype(np.float32)
        except (OSError, KeyError, ValueError, SafetensorError, zlib.error) as exc:
            raise ModelError(f"{path}: not an n-gram sentiment model ({exc}); retrain or reinstall it") from exc
        if not (len(features) == idf.shape[0] == coef.shape[0]) or coef.shape[1:] != (3,):
            raise ModelError(f"{path}: vocabulary, idf and weights disagree in size; retrain or reinstall it")
        return cls({f: i for i, f in enumerate(features)}, idf, coef, intercept)
