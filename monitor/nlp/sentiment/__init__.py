"""Transformer sentiment for posts: negative / neutral / positive, offline, routed by language.

    from monitor.nlp.sentiment import SentimentConfig, Scorer, load_scorer
    scorer = load_scorer(SentimentConfig())          # the shipped models, ONNX int8 fast path
    scorer.score(["@airline lost my bag"], ["en"])   # -> [Sentiment(label, score, model, lang)]

See MODEL.md for what the shipped models are, how well they do and how to retrain them.
"""

from monitor.nlp.sentiment.config import SentimentConfig
from monitor.nlp.sentiment.scorer import Scorer, load_scorer

__all__ = ["Scorer", "SentimentConfig", "load_scorer"]
