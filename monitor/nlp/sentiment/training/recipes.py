"""The training recipes of the shipped sentiment adapters (see MODEL.md for the stages).

A recipe names a backbone, the genres it trains on (each genre's training split only:
validation parts are held out by monitor.nlp.sentiment.training.data), how many examples to draw
per genre and epoch, the optimiser settings, and how the logit offsets are calibrated.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Recipe:
    model_id: str
    backbone: str
    mix: dict[str, int]  # genre -> examples drawn per epoch (0 = all of its training split)
    validate: list[str]
    languages: list[str]
    epochs: int = 1
    max_steps: int | None = None  # stop the epochs' shuffled batches after this many (a random subset of the mix)
    lr: float = 1e-3
    batch_size: int = 32
    max_length: int = 96
    lora_r: int = 16
    lora_alpha: int = 32
    warmup: float = 0.06
    calibrate_on: list[str] = field(default_factory=list)  # validation genres whose halves pick the logit bias
    weight_recall: float = 0.0  # calibration objective: (1-w-wn) * macro-F1 + w * macro-recall + wn * negative F1
    weight_negative: float = 0.0  # wn
    negative_precision: float = 0.0  # offsets below this negative precision (weighted mean over sets) lose
    calibrate_weights: dict[str, float] = field(default_factory=dict)  # per genre, default 1
    quantize: bool = True  # default of the ONNX fast path for this model (int8 or fp32)
    num_layers: int | None = None  # keep only the backbone's bottom layers (a student)
    distill: float = 0.0  # weight of the teacher's soft labels in the loss (needs --teacher), 1 - it: gold labels
    preprocess: str | None = None  # text normalisation (textprep.py) applied when the model scores: recorded in
    # adapter.json, used for validation and calibration texts, and for training texts unless preprocess_training is off
    preprocess_training: bool = True  # False: trained on the raw texts, normalised only when scoring
    extra: dict[str, object] = field(default_factory=dict)


# The judged genres are English tweets, Weibo, Chinese reviews (binary) and multilingual tweets:
# the two review sets share one genre's weight when the multilingual model's offsets are chosen.
REVIEWS_SHARE_ONE_GENRE = {"zh_weibo": 1.0, "zh_waimai": 0.5, "zh_shopping": 0.5, "multi_tweets": 1.0}

MULTI_GENRES = ["zh_weibo", "zh_waimai", "zh_shopping", "multi_tweets"]


# English offsets are chosen for counting (issue 13): macro-F1, macro-recall and negative F1 weighed equally,
# among offsets with negative precision >= 0.6, on the random calibration half and the later tweets' calibration
# half, weighed one to one (tweets drift: the file's last tenth has 20% negatives against 15% before). The
# offsets that maximised macro-recall alone called 50% of their negatives wrongly (MODEL.md).
EN_COUNTING = dict(weight_recall=1 / 3, weight_negative=1 / 3, negative_precision=0.6,
                   calibrate_on=["en_tweets", "en_tweets_later"], validate=["en_tweets", "en_tweets_later"])


# Held out by time (issue 13): trained on the SemEval file's first nine tenths, every choice (offsets, which
# teacher) made on the calibration half of its last tenth (2,479 later tweets), scores reported on the other
# half (2,478), so the report is of tweets from a later time that neither training nor any choice has seen.
EN_TIME = dict(mix={"en_tweets_time": 0}, calibrate_on=["en_tweets_time"], validate=["en_tweets_time"])


def _english(**overrides: object) -> Recipe:
    """An English recipe: every SemEval training tweet (of the random split), offsets chosen for counting."""
    base: dict[str, object] = dict(model_id="brand-monitor/sentiment-en-minilm-lora@1", backbone="minilm",
                                   mix={"en_tweets": 0}, languages=["en"], **EN_COUNTING)
    return Recipe(**{**base, **overrides})  # type: ignore[arg-type]


def _multilingual(mix: dict[str, int], **overrides: object) -> Recipe:
    """A multilingual recipe: its four genres, offsets for the genre-weighted mean macro-F1, fp32 fast path
    (int8 costs Weibo macro-F1, MODEL.md)."""
    base: dict[str, object] = dict(model_id="brand-monitor/sentiment-multi-e5small-lora@1", backbone="e5", mix=mix,
                                   validate=MULTI_GENRES, languages=["*"], calibrate_on=MULTI_GENRES,
                                   calibrate_weights=REVIEWS_SHARE_ONE_GENRE, quantize=False)
    return Recipe(**{**base, **overrides})  # type: ignore[arg-type]


RECIPES: dict[str, Recipe] = {
    "en": _english(),
    # second stage: one more epoch over the same data at a lower learning rate (run with --init <stage 1>)
    "en2": _english(lr=3e-4, warmup=0.03),
    # the shipped English model: the bottom 3 of MiniLM's 6 layers, distilled from en2 on raw tweets, scoring
    # tweets with links and handles normalised (run with --teacher <en2> --init <en2>: the kept layers start
    # with the teacher's LoRA). Training on normalised tweets too was measured and not kept (MODEL.md).
    "en_student": _english(model_id="brand-monitor/sentiment-en-minilm3-lora@4", num_layers=3, distill=0.7,
                           epochs=2, preprocess="tweet", preprocess_training=False),
    # builtin:en-fast: the bottom 2 layers, distilled the same way, twice as many epochs
    "en_fast": _english(model_id="brand-monitor/sentiment-en-minilm2-lora@4", num_layers=2, distill=0.7,
                        epochs=4),
    # issue 13, held out by time: the same stages on the first nine tenths (EN_TIME)
    "en_t": _english(model_id="brand-monitor/sentiment-en-minilm-lora@5", **EN_TIME),
    "en2_t": _english(model_id="brand-monitor/sentiment-en-minilm-lora@5", lr=3e-4, warmup=0.03, **EN_TIME),
    # a larger teacher: multilingual-e5-small's 12 layers fine-tuned on the same English tweets (normalised)
    "en_e5_t": _english(model_id="brand-monitor/sentiment-en-e5small-lora@1", backbone="e5", quantize=False,
                        preprocess="tweet", **EN_TIME),
    "en_e5b_t": _english(model_id="brand-monitor/sentiment-en-e5small-lora@1", backbone="e5", quantize=False,
                         preprocess="tweet", lr=3e-4, warmup=0.03, **EN_TIME),
    # the 3-layer student of one teacher or of several (their probabilities averaged: --teacher A --teacher B)
    "en_student_t": _english(model_id="brand-monitor/sentiment-en-minilm3-lora@5", num_layers=3, distill=0.7,
                             epochs=2, preprocess="tweet", preprocess_training=False, **EN_TIME),
    "multi": _multilingual({"zh_weibo": 0, "zh_waimai": 3000, "zh_shopping": 4000, "multi_tweets": 6000}),
    # second stage (run with --init <stage 1>): more reviews, where stage 1 trails the n-gram baseline
    "multi2": _multilingual({"zh_weibo": 5000, "zh_waimai": 6000, "zh_shopping": 8000, "multi_tweets": 3000},
                            lr=3e-4, warmup=0.03),
    # third stage (run with --init <stage 2>): e-commerce reviews, where the n-gram baseline still leads
    "multi3": _multilingual({"zh_weibo": 3000, "zh_waimai": 1500, "zh_shopping": 10000, "multi_tweets": 1500},
                            lr=2e-4, warmup=0.03),
    # the fast multilingual route (builtin:multi-fast, the default for every language but English): the bottom 3
    # of e5's 12 layers, int8, distilled from the shipped 12-layer route's transformer (its n-gram mix left out:
    # it has memorised these training texts). Run with --init <artifacts/multi> --teacher <a copy of it without
    # its n-gram>; the n-gram mix is chosen afterwards by stacking.py, as for the 12-layer route.
    "multi_student": _multilingual({"zh_weibo": 0, "zh_waimai": 3000, "zh_shopping": 6000, "multi_tweets": 3000},
                                   model_id="brand-monitor/sentiment-multi-e5small3-lora@1", num_layers=3,
                                   distill=0.7, epochs=2, quantize=True),
    # its second stage (run with --init <multi_student> and the same --teacher): two more epochs at a lower rate,
    # the review and tweet genres drawn afresh (seed 14)
    "multi_student2": _multilingual({"zh_weibo": 0, "zh_waimai": 3000, "zh_shopping": 6000, "multi_tweets": 3000},
                                    model_id="brand-monitor/sentiment-multi-e5small3-lora@2", num_layers=3,
                                    distill=0.7, epochs=2, lr=3e-4, warmup=0.03, quantize=True),
}
