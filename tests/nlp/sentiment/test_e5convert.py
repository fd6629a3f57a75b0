from __future__ import annotations

import numpy as np

from monitor.nlp.sentiment.e5convert import _bert_state_dict, _dequant_q4


def test_q4_block_dequantizes_low_nibbles_first_then_high_nibbles() -> None:
    scale = np.array([0.5], dtype=np.float16).view(np.uint8)
    # byte j holds weight j (low nibble) and weight j+16 (high nibble); stored value = weight/scale + 8
    low = np.arange(16, dtype=np.uint8)  # weights 0..15 -> (q-8)*0.5
    high = np.full(16, 9, dtype=np.uint8)  # weights 16..31 -> (9-8)*0.5
    block = np.concatenate([scale, (low | (high << 4)).astype(np.uint8)])
    out = _dequant_q4(block, 32)
    assert out[:16].tolist() == [(q - 8) * 0.5 for q in range(16)]
    assert out[16:].tolist() == [0.5] * 16


def test_state_dict_names_and_shapes_match_a_bert_model() -> None:
    from transformers import BertConfig, BertModel

    dims = dict(hidden=32, layers=2, heads=2, ffn=64, vocab=50, max_pos=16, type_vocab=2, eps=1e-12)
    rng = np.random.default_rng(0)
    tensors = {"emb.word": rng.random(50 * 32), "emb.pos": rng.random(16 * 32), "emb.type": rng.random(64),
               "emb.ln.w": rng.random(32), "emb.ln.b": rng.random(32)}
    for layer in range(2):
        for name, size in (("q", 32 * 32), ("k", 32 * 32), ("v", 32 * 32), ("ao", 32 * 32), ("fi", 64 * 32),
                           ("fo", 32 * 64)):
            tensors[f"l{layer}.{name}.w"] = rng.random(size)
            tensors[f"l{layer}.{name}.b"] = rng.random(64 if name == "fi" else 32)
        for name in ("aln", "oln"):
            tensors[f"l{layer}.{name}.w"] = rng.random(32)
            tensors[f"l{layer}.{name}.b"] = rng.random(32)
    sd = _bert_state_dict(dims, tensors)
    model = BertModel(BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                 intermediate_size=64, max_position_embeddings=16), add_pooling_layer=False)
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items() if "position_ids" not in k}
    assert {k: tuple(v.shape) for k, v in sd.items()} == expected
