"""Typed configuration of the sentiment stage (the ``sentiment:`` block of monitor.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from monitor.names import Label

BUILTIN = "builtin"


class SentimentConfig(BaseModel):
    """How posts are scored. The defaults give the shipped offline model (ONNX int8 fast path).

    ``model`` is ``builtin`` (English tweets -> the 3-layer MiniLM adapter, every other
    language -> the 3-layer multilingual-e5-small student, ``builtin:multi-fast``),
    ``builtin:en`` / ``builtin:multi-fast`` / ``builtin:multi`` (one model for every
    language), or a Hugging Face model id or local directory of a sequence-classification
    model, used for every language. ``routes`` overrides the model per language code, e.g.
    ``{zh: /models/chinese-roberta}``, ``{en: builtin:en-fast}`` for the 2-layer English
    model, or ``{"*": builtin:multi}`` for the 12-layer multilingual route (accuracy first:
    about ten times slower; MODEL.md).
    """

    model_config = ConfigDict(extra="forbid")

    model: str = BUILTIN
    backend: Literal["onnx", "torch"] = "onnx"
    batch_size: int = Field(default=64, ge=1, le=4096)
    threads: int | None = Field(default=None, ge=1, le=256, description="CPU threads (default: all cores)")
    max_length: int = Field(default=128, ge=8, le=512)
    max_batch_tokens: int = Field(default=2048, ge=64, description="padded tokens per forward pass (caps memory)")
    routes: dict[str, str] = Field(default_factory=dict)
    detect_language: bool = True
    quantize: bool | None = None  # int8 ONNX: None = the model's own default (user models: yes)
    cache_dir: Path | None = None  # where ONNX builds go; default $XDG_CACHE_HOME/brand-monitor
    label_map: dict[str, Label] | None = None  # for user models whose labels are not neg/neu/pos
    local_files_only: bool = False  # never reach a hub, even for a model id
    # text normalisation for user models trained on normalised tweets (e.g. cardiffnlp's twitter-roberta:
    # "tweet" = links -> http, @handles -> @user); shipped adapters declare their own in adapter.json
    preprocess: Literal["tweet"] | None = None

    @field_validator("model")
    @classmethod
    def _model_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must name a model: 'builtin', a Hugging Face model id or a local directory")
        return value.strip()

    @field_validator("routes")
    @classmethod
    def _routes(cls, value: dict[str, str]) -> dict[str, str]:
        out = {}
        for lang, model in value.items():
            if not model.strip():
                raise ValueError(f"route for {lang!r} names no model")
            out[lang.strip().lower()] = model.strip()
        return out
