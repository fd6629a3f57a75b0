"""The fast path: a torch classifier exported once to ONNX, int8-quantized, cached, run by ONNX Runtime.

The export (``torch.onnx.export(dynamo=True)``) and dynamic int8 quantization of the
weight matrices and the embedding table take tens of seconds, so the result is cached
under ``<cache_dir>/onnx/<key>/model.onnx``; the key hashes everything the graph depends
on (model files, adapter, quantization, export version), so a retrain or a different
user model never picks up a stale build.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from monitor.errors import ModelError


def _drop_preprocessing_hint(record: logging.LogRecord) -> bool:
    """onnxruntime suggests shape-inference pre-processing on every dynamic quantization; it does not apply here."""
    return "pre-processing before quantization" not in record.getMessage()


log = logging.getLogger("monitor.sentiment")

EXPORT_VERSION = "3"  # 3: slow normalisation kernels rewritten (onnx_rewrite.py)


def cache_key(parts: list[str], files: list[Path]) -> str:
    """Hash of descriptive strings plus file contents (large files: size, mtime and head/tail bytes)."""
    h = hashlib.sha256(EXPORT_VERSION.encode())
    for part in parts:
        h.update(part.encode() + b"\0")
    for path in sorted(files):
        st = path.stat()
        h.update(f"{path.name}:{st.st_size}".encode())
        with path.open("rb") as fh:
            if st.st_size <= 8 << 20:
                h.update(fh.read())
            else:  # big weight files: size + edges + mtime is enough to notice a change
                h.update(fh.read(1 << 20))
                fh.seek(-(1 << 20), os.SEEK_END)
                h.update(fh.read())
                h.update(str(st.st_mtime_ns).encode())
    return h.hexdigest()[:20]


def build_onnx(module_factory: Callable[[], object], target: Path, quantize: bool) -> Path:
    """Export ``module_factory()`` (a torch module: (input_ids, attention_mask) -> logits) to ``target``.

    A :class:`~monitor.nlp.sentiment.modeling.PlainBert` (the shipped models) is exported
    with the TorchScript exporter (whose graph ONNX Runtime's BERT optimizer knows) and fused into
    Attention kernels before quantization, which makes the int8 model about a fifth faster than
    the unfused dynamo export; the optimizer's layer-norm and bias-GELU fusions are then undone
    (onnx_rewrite.py: their CPU kernels are slower than plain ops), another fifth.
    """
    import torch

    folder = target.parent  # built in a sibling temp folder, then renamed into place whole
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=folder.parent))
    except OSError as exc:
        raise ModelError(f"cannot write the ONNX cache in {folder.parent} ({exc.strerror or exc}); set "
                         "sentiment.cache_dir (or $BRAND_MONITOR_CACHE) to a writable directory") from None
    started = time.monotonic()
    try:
        module = module_factory()
        from monitor.nlp.sentiment.modeling import PlainBert

        fuse_bert = (module.heads, module.hidden) if isinstance(module, PlainBert) else None
        ids = torch.ones(2, 16, dtype=torch.long)
        batch, seq = torch.export.Dim("batch"), torch.export.Dim("seq")
        fp32 = tmp / "export" / "fp32.onnx"
        fp32.parent.mkdir()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # exporter chatter about dynamic axis names
                logging.getLogger("torch.onnx").setLevel(logging.ERROR)  # ... and about torchvision ops
                if fuse_bert:
                    axes = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                            "logits": {0: "batch"}}
                    torch.onnx.export(module, (ids, torch.ones_like(ids)), str(fp32), dynamo=False,
                                      input_names=["input_ids", "attention_mask"], output_names=["logits"],
                                      dynamic_axes=axes, opset_version=17)
                    _fuse(fp32, *fuse_bert)
                else:
                    torch.onnx.export(module, (ids, torch.ones_like(ids)), str(fp32), dynamo=True,
                                      input_names=["input_ids", "attention_mask"], output_names=["logits"],
                                      dynamic_shapes=({0: batch, 1: seq}, {0: batch, 1: seq}),
                                      optimize=True, verbose=False)
                    _rewrite_in_place(fp32)
        except Exception as exc:
            raise ModelError(f"could not export the sentiment model to ONNX ({type(exc).__name__}: {exc}); "
                             "set sentiment.backend: torch to run it without the fast path") from exc
        del module
        final = tmp / target.name
        if quantize:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            # the quantizer logs one info line per tensor, and a hint meant for image models, on the root logger
            root = logging.getLogger()
            level = root.level
            root.setLevel(logging.WARNING)
            root.addFilter(_drop_preprocessing_hint)
            try:
                quantize_dynamic(str(fp32), str(final), weight_type=QuantType.QInt8,
                                 op_types_to_quantize=["MatMul", "Gemm", "Gather", "Attention"], per_channel=True,
                                 extra_options={"DefaultTensorType": 1})  # FLOAT, for the fused ops' outputs
            finally:
                root.setLevel(level)
                root.removeFilter(_drop_preprocessing_hint)
        else:
            import onnx

            # weights in a side file: ONNX Runtime then maps them instead of holding a second copy
            onnx.save_model(onnx.load(str(fp32)), str(final), save_as_external_data=True,
                            all_tensors_to_one_file=True, location=target.name + ".data", size_threshold=1024)
        shutil.rmtree(fp32.parent)
        if not target.is_file():  # another process may have finished the same build meanwhile
            shutil.rmtree(folder, ignore_errors=True)
            try:
                tmp.rename(folder)
            except OSError:
                if not target.is_file():
                    raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("built ONNX sentiment model %s in %.0f s (cached for next time)", target, time.monotonic() - started)
    return target


def _fuse(path: Path, heads: int, hidden: int) -> None:
    """Rewrite the exported BERT graph in place with ONNX Runtime's fused transformer kernels (attention,
    int8 matmuls), then undo the fusions whose CPU kernels are slower than the plain ops."""
    from onnxruntime.transformers.optimizer import optimize_model

    from monitor.nlp.sentiment.onnx_rewrite import rewrite_slow_kernels

    logging.getLogger("onnxruntime.transformers").setLevel(logging.ERROR)
    model = optimize_model(str(path), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=1)
    fused = model.get_fused_operator_statistics()
    if not fused.get("Attention"):
        raise RuntimeError(f"the BERT optimizer fused no attention ({fused})")
    rewrite_slow_kernels(model.model)
    model.save_model_to_file(str(path))


def _rewrite_in_place(path: Path) -> None:
    """The slow-kernel rewrite (onnx_rewrite.py) on an exported file, for graphs the BERT optimizer does not fuse."""
    import onnx

    from monitor.nlp.sentiment.onnx_rewrite import rewrite_slow_kernels

    model = onnx.load(str(path))
    if any(rewrite_slow_kernels(model).values()):
        onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=path.name + ".data", size_threshold=1024)


def onnx_logits_fn(path: Path, threads: int | None) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or (os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ModelError(f"ONNX Runtime cannot load {path} ({exc}); delete it to rebuild it") from exc

    def run(input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]

    return run
