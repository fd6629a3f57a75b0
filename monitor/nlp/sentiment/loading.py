"""Build one :class:`EncoderClassifier` from a model spec: a shipped adapter or a user's HF model.

Library errors (missing files, unknown repos, bad configs, no network) are converted to
:class:`~monitor.errors.ModelError` here, with the model named and a fix suggested.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from monitor.errors import ModelError
from monitor.nlp.sentiment.backbones import backbone_dir, default_cache_dir
from monitor.nlp.sentiment.config import BUILTIN, SentimentConfig
from monitor.nlp.sentiment.labels import map_labels
from monitor.nlp.sentiment.ngram import NgramModel
from monitor.nlp.sentiment.runtime import EncoderClassifier, FastTokenizer
from monitor.nlp.sentiment.spec import AdapterSpec
from monitor.nlp.sentiment.textprep import preprocessor

log = logging.getLogger("monitor.sentiment")

ARTIFACTS = Path(__file__).parent / "artifacts"
BUILTIN_PARTS = ("en", "en-fast", "multi", "multi-fast")


def builtin_part(spec: str) -> str | None:
    """``builtin:en`` -> ``en``; None when ``spec`` is not a builtin part."""
    if spec.startswith(BUILTIN + ":"):
        part = spec.split(":", 1)[1]
        if part not in BUILTIN_PARTS:
            raise ModelError(f"unknown builtin sentiment model {spec!r} (known: builtin, "
                             + ", ".join(f"builtin:{p}" for p in BUILTIN_PARTS) + ")")
        return part
    return None


def _torch_threads(threads: int | None) -> None:
    import torch

    if threads:
        torch.set_num_threads(threads)


# ---------------------------------------------------------------- builtin (shipped adapters)

def _vocab_file(folder: Path) -> Path | None:
    path = folder / "vocab.npz"
    return path if path.is_file() else None


def _builtin_module(spec: AdapterSpec, adapter_file: Path, cache_dir: Path) -> tuple[Any, Any]:
    import torch
    from safetensors.torch import load_file
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    from monitor.nlp.sentiment.modeling import MeanPoolClassifier, add_lora, load_encoder, merge_lora

    src = backbone_dir(spec.backbone, cache_dir, _vocab_file(adapter_file.parent))
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    tokenizer = AutoTokenizer.from_pretrained(src)
    model = add_lora(MeanPoolClassifier(load_encoder(src, spec.num_layers), len(spec.labels)), spec.lora_r,
                     spec.lora_alpha)
    state = {k: v.to(torch.float32) for k, v in load_file(str(adapter_file)).items()}
    missing = set(state) - {n for n, _ in model.named_parameters()}
    if missing:
        raise ModelError(f"{adapter_file}: adapter does not fit its backbone (unknown tensors {sorted(missing)[:3]})")
    model.load_state_dict(state, strict=False)
    return merge_lora(model).eval(), tokenizer


def _export_module(spec: AdapterSpec, adapter_file: Path, cache_dir: Path) -> Any:
    from monitor.nlp.sentiment.modeling import PlainBert

    return PlainBert(_builtin_module(spec, adapter_file, cache_dir)[0]).eval()


def load_builtin(part: str, cfg: SentimentConfig, folder: Path | None = None) -> EncoderClassifier:
    """A shipped adapter (``artifacts/<part>``, or ``folder``: a freshly trained one) on its backbone."""
    folder = folder or ARTIFACTS / part
    spec_file, adapter_file = folder / "adapter.json", folder / "adapter.safetensors"
    if not spec_file.is_file() or not adapter_file.is_file():
        raise ModelError(f"the shipped sentiment adapter {folder} is missing; reinstall brand-monitor "
                         "or retrain it (MODEL.md, 'Reproducing the shipped model')")
    spec = AdapterSpec.read(spec_file)
    cache_dir = cfg.cache_dir or default_cache_dir()
    max_length = min(cfg.max_length, 512)
    if cfg.backend == "torch":
        _torch_threads(cfg.threads)
        module, tokenizer = _builtin_module(spec, adapter_file, cache_dir)
        fn = _torch_fn(module, lambda m, i, a: m(i, a))
    else:
        from monitor.nlp.sentiment.onnx_backend import build_onnx, cache_key, onnx_logits_fn

        vocab = _vocab_file(folder)
        quantize = spec.quantize if cfg.quantize is None else cfg.quantize
        # the graph depends on the adapter's weights and shape, not on its offsets or n-gram mix
        key = cache_key([spec.model_id, spec.backbone, f"q={quantize}", f"layers={spec.num_layers}",
                         f"lora={spec.lora_r}/{spec.lora_alpha}"], [adapter_file, *([vocab] if vocab else [])])
        target = cache_dir / "onnx" / f"{part}-{key}" / "model.onnx"
        if not target.is_file():
            log.info("first use of %s: building its ONNX fast path (about a minute, once)", spec.model_id)
            build_onnx(lambda: _export_module(spec, adapter_file, cache_dir), target, quantize)
        tokenizer = FastTokenizer(backbone_dir(spec.backbone, cache_dir, vocab))
        fn = onnx_logits_fn(target, cfg.threads)
    ngram, mix = _ngram(spec, folder)
    clf = EncoderClassifier(spec.model_id, tokenizer, fn, spec.labels, max_length, cfg.batch_size,  # type: ignore[arg-type]
                            spec.logit_bias, backend=cfg.backend, max_tokens=cfg.max_batch_tokens, ngram=ngram,
                            mix=mix, preprocess=preprocessor(spec.preprocess, str(spec_file)))
    if spec.polar_ngram:
        path = folder / str(spec.polar_ngram.get("file", "review_ngram.safetensors"))
        if not path.is_file():
            raise ModelError(f"{path} is missing (named by {spec_file}); reinstall brand-monitor or retrain it: "
                             "python -m monitor.nlp.sentiment.training.reviews")
        clf.polar_ngram = (NgramModel.load(path), float(spec.polar_ngram.get("weight", 1.0)))
    return clf


def _ngram(spec: AdapterSpec, folder: Path) -> tuple[NgramModel | None, tuple[float, float]]:
    """The adapter's mixed-in n-gram model and the (transformer, n-gram) weights, if it has one."""
    if not spec.ngram:
        return None, (1.0, 1.0)
    path = folder / str(spec.ngram.get("file", "ngram.safetensors"))
    if not path.is_file():
        raise ModelError(f"{path} is missing (named by {folder / 'adapter.json'}); reinstall brand-monitor or "
                         "retrain it: python -m monitor.nlp.sentiment.training.stacking")
    a, b = spec.ngram.get("weights", (1.0, 1.0))
    return NgramModel.load(path), (float(a), float(b))


def _torch_fn(module: Any, call: Callable[[Any, Any, Any], Any]) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    import torch

    def run(input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return call(module, torch.from_numpy(input_ids), torch.from_numpy(mask)).float().numpy()

    return run


# ---------------------------------------------------------------- user models (HF id or directory)

class _LogitsOnly:
    """Wrap a transformers sequence classifier so export and inference see plain logits."""

    def __new__(cls, model: Any) -> Any:
        import torch

        class Wrapper(torch.nn.Module):
            def __init__(self, inner: Any) -> None:
                super().__init__()
                self.inner = inner

            def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
                return self.inner(input_ids=input_ids, attention_mask=attention_mask).logits

        return Wrapper(model).eval()


def _hf_load(spec: str, cfg: SentimentConfig) -> tuple[Any, Any, Path | None]:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    path = Path(spec).expanduser()
    looks_local = path.exists() or spec.startswith((".", "/", "~")) or spec.count("/") > 1
    if looks_local and not path.is_dir():
        raise ModelError(f"sentiment model {spec!r}: no such directory (give a directory with config.json, "
                         "a tokenizer and weights, a Hugging Face model id, or 'builtin')")
    if looks_local and not (path / "config.json").is_file():
        raise ModelError(f"sentiment model {spec!r}: {path / 'config.json'} is missing; save the model with "
                         "model.save_pretrained(DIR) and tokenizer.save_pretrained(DIR)")
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    source = str(path) if looks_local else spec
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=cfg.local_files_only)
        model = AutoModelForSequenceClassification.from_pretrained(source, local_files_only=cfg.local_files_only)
    except (OSError, ValueError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"sentiment model {spec!r} could not be loaded: {first} (for a hub id the machine must "
                         "reach the hub once; otherwise download it elsewhere and give its directory)") from exc
    return tokenizer, model.eval(), path if looks_local else None


def load_user_model(spec: str, cfg: SentimentConfig) -> EncoderClassifier:
    _torch_threads(cfg.threads)
    tokenizer, model, local = _hf_load(spec, cfg)
    labels = map_labels(model.config.id2label, spec, cfg.label_map)
    limit = getattr(model.config, "max_position_embeddings", 512) or 512
    max_length = min(cfg.max_length, int(limit) - 2 if "roberta" in model.config.model_type else int(limit))
    wrapped = _LogitsOnly(model)
    if cfg.backend == "torch":
        fn = _torch_fn(wrapped, lambda m, i, a: m(i, a))
    else:
        from monitor.nlp.sentiment.onnx_backend import build_onnx, cache_key, onnx_logits_fn

        folder = local or Path(getattr(model.config, "_name_or_path", "") or ".")
        files = [p for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []
        quantize = True if cfg.quantize is None else cfg.quantize
        key = cache_key([spec, f"q={quantize}", model.config.model_type], files)
        target = (cfg.cache_dir or default_cache_dir()) / "onnx" / f"user-{key}" / "model.onnx"
        if not target.is_file():
            log.info("first use of %s: building its ONNX fast path", spec)
            build_onnx(lambda: wrapped, target, quantize)
        del wrapped, model
        fn = onnx_logits_fn(target, cfg.threads)
    return EncoderClassifier(spec, tokenizer, fn, labels, max_length, cfg.batch_size, backend=cfg.backend,
                             max_tokens=cfg.max_batch_tokens, preprocess=preprocessor(cfg.preprocess, "sentiment"))


def load_classifier(spec: str, cfg: SentimentConfig) -> EncoderClassifier:
    part = builtin_part(spec)
    if part is not None:
        return load_builtin(part, cfg)
    return load_user_model(spec, cfg)
