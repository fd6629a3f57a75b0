"""The sentiment stage's one entry point: ``load_scorer(cfg).score(texts, langs)``.

A :class:`Scorer` holds one classifier per route (language code -> model; ``*`` is the
fallback), detects the language of posts whose source did not say, and scores each
language's posts in one batched call. It is synchronous and CPU-bound: the pipeline runs
it in a worker thread, off the event loop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence

import numpy as np

from monitor.errors import ModelError
from monitor.models import Sentiment
from monitor.names import LABELS
from monitor.nlp.lang import detect_lang, normalize_lang
from monitor.nlp.sentiment.config import BUILTIN, SentimentConfig
from monitor.nlp.sentiment.runtime import EncoderClassifier

log = logging.getLogger("monitor.sentiment")

FALLBACK = "*"
DEFAULT_ROUTES = {"en": f"{BUILTIN}:en", FALLBACK: f"{BUILTIN}:multi-fast"}


class Scorer:
    """Routes texts to per-language classifiers and returns one :class:`Sentiment` per text."""

    def __init__(self, classifiers: Mapping[str, EncoderClassifier], detect_language: bool = True,
                 backend: str = "onnx") -> None:
        if FALLBACK not in classifiers:
            raise ModelError("a sentiment scorer needs a fallback route '*'")
        self.routes = dict(classifiers)
        self.detect_language = detect_language
        self.backend = backend
        ids = list(dict.fromkeys(c.model_id for c in self.routes.values()))
        self.model_id = "+".join(ids)

    def route(self, lang: str | None) -> str:
        """The route key (a language code or ``*``) that scores text in ``lang``."""
        return lang if lang in self.routes else FALLBACK

    def score(self, texts: Sequence[str], langs: Sequence[str | None] | None = None,
              polar: Sequence[bool] | None = None) -> list[Sentiment]:
        """One :class:`Sentiment` per text. ``polar`` marks texts that are known to take a side (reviews:
        a post of kind ``review``, or every row of a binary labelled set): their label is the likelier of
        negative and positive, with the neutral probability removed and the other two renormalised."""
        if isinstance(texts, str):
            raise TypeError("score() takes a sequence of texts, not one string")
        if langs is not None and len(langs) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(langs)} languages")
        if polar is not None and len(polar) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(polar)} polar flags")
        resolved: list[str | None] = []
        for i, text in enumerate(texts):
            lang = normalize_lang(langs[i]) if langs is not None else None
            if lang is None and self.detect_language:
                lang = detect_lang(text)
            resolved.append(lang)
        groups: dict[str, list[int]] = {}
        for i, lang in enumerate(resolved):
            groups.setdefault(self.route(lang), []).append(i)
        out: list[Sentiment | None] = [None] * len(texts)
        for key, idx in groups.items():
            classifier = self.routes[key]
            flags = [bool(polar[i]) for i in idx] if polar is not None else None
            try:
                batch = [texts[i] for i in idx]
                probs = classifier.probabilities(batch) if flags is None else classifier.probabilities(batch, flags)
            except ModelError:
                raise
            except Exception as exc:  # a runtime failure inside torch / onnxruntime
                raise ModelError(f"sentiment model {classifier.model_id} failed on a batch of {len(idx)} "
                                 f"texts: {type(exc).__name__}: {exc}") from exc
            if flags is not None:
                probs = polarise(probs, flags)
            best = probs.argmax(axis=1)
            for row, i in enumerate(idx):
                k = int(best[row])
                out[i] = Sentiment(label=LABELS[k], score=float(probs[row, k]),  # type: ignore[arg-type]
                                   model=classifier.model_id, lang=resolved[i])
        return out  # type: ignore[return-value]


def polarise(probs: np.ndarray, rows: Sequence[bool]) -> np.ndarray:
    """``probs`` with the neutral probability of the flagged rows moved onto negative and positive in
    proportion (a tie goes to negative, the class alerts count)."""
    flagged = np.asarray(rows, dtype=bool)
    if not flagged.any():
        return probs
    out = probs.copy()
    sub = out[flagged]
    polar_mass = sub[:, 0] + sub[:, 2]
    share = np.where(polar_mass > 0, sub[:, 0] / np.where(polar_mass > 0, polar_mass, 1.0), 0.5)
    sub[:, 0], sub[:, 1], sub[:, 2] = share, 0.0, 1.0 - share
    out[flagged] = sub
    return out


def load_scorer(cfg: SentimentConfig | None = None) -> Scorer:
    """Load every model the config routes to (building cached ONNX files on first use)."""
    from monitor.nlp.sentiment.loading import load_classifier

    cfg = cfg or SentimentConfig()
    started = time.monotonic()
    # the default: English -> the 3-layer MiniLM student, every other language -> the 3-layer e5 student
    # (issue 13: the 12-layer route, builtin:multi, is ten times slower and one route away)
    specs = DEFAULT_ROUTES.copy() if cfg.model == BUILTIN else {FALLBACK: cfg.model}
    specs.update(cfg.routes)
    loaded: dict[str, EncoderClassifier] = {}
    by_spec: dict[str, EncoderClassifier] = {}
    for lang, spec in specs.items():
        if spec not in by_spec:
            by_spec[spec] = load_classifier(spec, cfg)
        loaded[lang] = by_spec[spec]
    scorer = Scorer(loaded, detect_language=cfg.detect_language, backend=cfg.backend)
    log.info("sentiment scorer ready in %.1f s: %s (%s)", time.monotonic() - started,
             ", ".join(f"{k}->{v.model_id}" for k, v in loaded.items()), cfg.backend)
    return scorer
