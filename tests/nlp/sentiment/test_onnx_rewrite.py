"""The kernel rewrite computes what the fused kernels compute, and leaves alone what it cannot rewrite."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from monitor.nlp.sentiment.onnx_rewrite import rewrite_slow_kernels

HIDDEN = 8


def _model(opset: int, keep_mean_output: bool = False) -> object:
    """x -> LayerNormalization -> SkipLayerNormalization(+bias) -> BiasGelu, the shapes of a BERT layer."""
    rng = np.random.default_rng(0)

    def init(name: str, *shape: int) -> object:
        return numpy_helper.from_array(rng.normal(size=shape).astype(np.float32), name)

    sln_outputs = ["sln", "sln_mean"] if keep_mean_output else ["sln"]
    nodes = [
        helper.make_node("LayerNormalization", ["x", "g0", "b0"], ["ln"], axis=-1, epsilon=1e-5),
        helper.make_node("SkipLayerNormalization", ["skip_in", "ln", "g1", "b1", "bias"], sln_outputs,
                         domain="com.microsoft", epsilon=1e-12),
        helper.make_node("BiasGelu", ["sln", "gbias"], ["y"], domain="com.microsoft"),
    ]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]
    if keep_mean_output:
        outputs.append(helper.make_tensor_value_info("sln_mean", TensorProto.FLOAT, None))
    graph = helper.make_graph(
        nodes, "layer",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, [2, 5, HIDDEN]) for n in ("x", "skip_in")],
        outputs,
        [init("g0", HIDDEN), init("b0", HIDDEN), init("g1", HIDDEN), init("b1", HIDDEN), init("bias", HIDDEN),
         init("gbias", HIDDEN)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset),
                                                   helper.make_opsetid("com.microsoft", 1)])


def _run(model: object) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    feeds = {n: (3 * rng.normal(size=(2, 5, HIDDEN)) + 1).astype(np.float32) for n in ("x", "skip_in")}
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])  # type: ignore[attr-defined]
    return session.run(None, feeds)


@pytest.mark.parametrize("opset", [17, 18])
def test_rewritten_graph_computes_the_same_outputs(opset: int) -> None:
    model = _model(opset)
    before = _run(model)
    counts = rewrite_slow_kernels(model)
    assert counts == {"SkipLayerNormalization": 1, "LayerNormalization": 1, "BiasGelu": 1}
    ops = {node.op_type for node in model.graph.node}  # type: ignore[attr-defined]
    assert not ops & {"SkipLayerNormalization", "LayerNormalization", "BiasGelu"}
    assert {"ReduceMean", "Gelu"} <= ops
    after = _run(model)
    np.testing.assert_allclose(after[0], before[0], atol=1e-5)


def test_a_skip_layer_norm_whose_extra_output_is_used_is_kept() -> None:
    model = _model(17, keep_mean_output=True)
    before = _run(model)
    counts = rewrite_slow_kernels(model)
    assert counts["SkipLayerNormalization"] == 0 and counts["LayerNormalization"] == 1
    assert "SkipLayerNormalization" in {node.op_type for node in model.graph.node}  # type: ignore[attr-defined]
    for got, want in zip(_run(model), before, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5)
