"""Soft labels for a distilled student: the teacher's probabilities over the student's training texts.

The teacher (a trained adapter directory, run in fp32 on ONNX Runtime, which matches the torch
reference to 1e-4 for an fp32 adapter and runs faster, its logit offsets
left out: the student learns the teacher's raw beliefs and gets its own offsets afterwards)
scores every training text once; the result is cached beside the checkpoint, keyed by the
texts and the teacher's files, so a resumed run does not pay for it again.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np

log = logging.getLogger("monitor.sentiment.train")


def teacher_probabilities(teacher: Path, texts: list[str], out_dir: Path, threads: int) -> np.ndarray:
    """(n, 3) float32 probabilities of the adapter in ``teacher`` for ``texts``, without its offsets."""
    h = hashlib.sha256()
    for name in ("adapter.json", "adapter.safetensors"):
        h.update((teacher / name).read_bytes())
    for text in texts:
        h.update(text.encode() + b"\0")
    cache = out_dir / f"teacher-{h.hexdigest()[:16]}.npy"
    if cache.is_file():
        return np.load(cache)
    from monitor.nlp.sentiment.config import SentimentConfig
    from monitor.nlp.sentiment.loading import load_builtin

    cfg = SentimentConfig(backend="onnx", quantize=False, threads=threads, batch_size=128)
    clf = load_builtin("teacher", cfg, folder=teacher)
    clf.bias[:] = 0.0
    log.info("teacher %s: scoring %d training texts", teacher, len(texts))
    probs = clf.probabilities(texts).astype(np.float32)
    np.save(cache, probs)
    return probs


def ensemble_probabilities(teachers: list[Path], texts: list[str], out_dir: Path, threads: int) -> np.ndarray:
    """The mean of several teachers' probabilities (one teacher: its own): an ensemble is a better teacher
    than either member, and the student pays for it once, at training time."""
    probs = [teacher_probabilities(t, texts, out_dir, threads) for t in teachers]
    return np.mean(probs, axis=0).astype(np.float32)
