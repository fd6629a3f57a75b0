"""The export module computes what the training module computes, and exports to a fused ONNX graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from monitor.nlp.sentiment.modeling import MeanPoolClassifier, PlainBert


@pytest.fixture(scope="module")
def tiny() -> MeanPoolClassifier:
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=64, max_position_embeddings=64)
    clf = MeanPoolClassifier(BertModel(config, add_pooling_layer=False), 3).eval()
    with torch.no_grad():  # non-trivial LayerNorms and token type row, as after fine-tuning
        for name, p in clf.named_parameters():
            if "LayerNorm" in name or "token_type" in name:
                p.add_(0.1 * torch.randn_like(p))
    return clf


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    ids = torch.tensor([[2, 5, 9, 7, 3, 0, 0], [2, 11, 4, 6, 8, 12, 3]])
    return ids, (ids != 0).long()


def test_plain_bert_matches_the_transformers_module(tiny: MeanPoolClassifier) -> None:
    ids, mask = _batch()
    with torch.no_grad():
        assert torch.allclose(PlainBert(tiny)(ids, mask), tiny(ids, mask), atol=1e-5)


def test_padding_does_not_change_a_texts_logits(tiny: MeanPoolClassifier) -> None:
    ids, mask = _batch()
    with torch.no_grad():
        alone = PlainBert(tiny)(ids[:1, :5], mask[:1, :5])
        padded = PlainBert(tiny)(ids[:1], mask[:1])
    assert torch.allclose(alone, padded, atol=1e-5)


@pytest.mark.parametrize("quantize", [False, True])
def test_fused_onnx_export_agrees_with_torch(tiny: MeanPoolClassifier, tmp_path: Path, quantize: bool) -> None:
    import onnx
    import onnxruntime as ort

    from monitor.nlp.sentiment.onnx_backend import build_onnx

    target = build_onnx(lambda: PlainBert(tiny).eval(), tmp_path / "m" / "model.onnx", quantize)
    ops = {node.op_type for node in onnx.load(str(target), load_external_data=False).graph.node}
    assert ("QAttention" if quantize else "Attention") in ops
    # the slow normalisation kernels were rewritten into plain ops (onnx_rewrite.py)
    assert not ops & {"SkipLayerNormalization", "LayerNormalization", "BiasGelu"} and "ReduceMean" in ops
    ids, mask = _batch()
    session = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})[0]
    with torch.no_grad():
        want = tiny(ids, mask).numpy()
    if not quantize:
        assert np.abs(got - want).max() <= 1e-4
        return
    # int8 kernels differ by CPU (AVX2, AVX-512, VNNI): on a tiny random model the logits move by up to ~0.07
    # on some machines; what the scorer uses, the probabilities and the label, must still agree
    def softmax(x: np.ndarray) -> np.ndarray:
        e = np.exp(x - x.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    assert np.abs(softmax(got) - softmax(want)).max() <= 0.03
    assert (got.argmax(-1) == want.argmax(-1)).all() and np.abs(got - want).max() <= 0.15


def test_a_student_keeps_the_backbones_bottom_layers(tmp_path: Path) -> None:
    from transformers import BertConfig, BertModel

    from monitor.nlp.sentiment.modeling import load_encoder

    torch.manual_seed(1)
    config = BertConfig(vocab_size=30, hidden_size=16, num_hidden_layers=4, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=32)
    BertModel(config).save_pretrained(tmp_path)
    full, student = load_encoder(tmp_path), load_encoder(tmp_path, num_layers=2)
    assert len(full.encoder.layer) == 4 and len(student.encoder.layer) == 2
    for kept, original in zip(student.encoder.layer, full.encoder.layer[:2], strict=True):
        assert torch.equal(kept.output.dense.weight, original.output.dense.weight)
