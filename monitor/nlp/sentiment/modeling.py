"""The classifier the shipped models use, and how an adapter is put on / read from a backbone.

Both backbones (all-MiniLM-L6-v2, multilingual-e5-small) were pre-trained for mean-pooled
sentence embeddings and neither ships a trained BERT pooler, so the head classifies the
attention-masked mean of the last hidden states rather than the [CLS] pooler output.

An adapter is one safetensors file holding only the trained parameters (LoRA matrices on
every linear layer of the encoder, LayerNorms and the head) plus a JSON spec; at load time
the backbone comes from its pip package and the LoRA deltas are merged into its weights,
so inference runs a plain BERT at full speed.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from monitor.nlp.sentiment.spec import AdapterSpec

__all__ = ["LORA_TARGETS", "AdapterSpec", "MeanPoolClassifier", "PlainBert", "add_lora", "load_encoder", "merge_lora",
           "trainable_state"]

LORA_TARGETS = ["query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense"]


def load_encoder(src: object, num_layers: int | None = None) -> nn.Module:
    """The backbone's encoder; with ``num_layers``, only its bottom layers (a student's starting point:
    a prefix of a working network, which the adapter then retrains to stand on its own)."""
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    if num_layers is None:
        return AutoModel.from_pretrained(src)
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # "some weights were not used": the dropped top layers
    try:
        return AutoModel.from_pretrained(src, num_hidden_layers=num_layers)
    finally:
        hf_logging.set_verbosity(verbosity)


class MeanPoolClassifier(nn.Module):
    """encoder -> masked mean of last hidden states -> dropout -> linear -> logits."""

    def __init__(self, encoder: nn.Module, n_labels: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        hidden = int(encoder.config.hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, n_labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return self.head(self.dropout(pooled))


def add_lora(model: MeanPoolClassifier, r: int, alpha: int, dropout: float = 0.1) -> nn.Module:
    """Wrap the encoder's linear layers with LoRA (peft); LayerNorms and the head stay trainable."""
    from peft import LoraConfig, inject_adapter_in_model

    config = LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=LORA_TARGETS, bias="none")
    inject_adapter_in_model(config, model.encoder)
    for name, param in model.named_parameters():
        param.requires_grad = "lora_" in name or "LayerNorm" in name or name.startswith("head.")
    return model


def trainable_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def merge_lora(model: MeanPoolClassifier) -> MeanPoolClassifier:
    """Fold every LoRA delta into its base linear layer and drop the LoRA wrappers."""
    from peft.tuners.lora import LoraLayer

    for name, module in list(model.encoder.named_modules()):
        if isinstance(module, LoraLayer):
            module.merge()
            parent_name, _, child = name.rpartition(".")
            parent = model.encoder.get_submodule(parent_name) if parent_name else model.encoder
            setattr(parent, child, module.get_base_layer())
    return model


class PlainBert(nn.Module):
    """A merged :class:`MeanPoolClassifier` written out as plain tensor operations, for export.

    transformers' BERT goes through attention-dispatch and mask helpers that export to a
    graph ONNX Runtime's transformer optimizer cannot recognise. This module computes the
    same function (embeddings with token type 0, post-LN layers, erf GELU, an additive
    ``(1 - mask) * -10000`` attention mask, masked mean pool, head) in the shape that the
    optimizer fuses into Attention, SkipLayerNormalization and BiasGelu kernels.
    """

    def __init__(self, clf: MeanPoolClassifier) -> None:
        super().__init__()
        encoder = clf.encoder
        emb = encoder.embeddings
        self.heads = int(encoder.config.num_attention_heads)
        self.hidden = int(encoder.config.hidden_size)
        self.word, self.position, self.emb_norm = emb.word_embeddings, emb.position_embeddings, emb.LayerNorm
        self.token_type = nn.Parameter(emb.token_type_embeddings.weight[0].detach().clone())
        self.layers = encoder.encoder.layer
        self.head = clf.head

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        batch, seq = input_ids.shape
        positions = torch.arange(seq, device=input_ids.device).unsqueeze(0)
        x = self.emb_norm(self.word(input_ids) + self.position(positions) + self.token_type)
        additive = (1.0 - attention_mask.unsqueeze(1).unsqueeze(2).to(x.dtype)) * -10000.0
        heads, size = self.heads, self.hidden // self.heads
        for layer in self.layers:
            att = layer.attention
            q = att.self.query(x).view(batch, seq, heads, size).transpose(1, 2)
            k = att.self.key(x).view(batch, seq, heads, size).permute(0, 2, 3, 1)
            v = att.self.value(x).view(batch, seq, heads, size).transpose(1, 2)
            scores = torch.matmul(q, k) / math.sqrt(size) + additive
            ctx = torch.matmul(torch.softmax(scores, dim=-1), v).transpose(1, 2).reshape(batch, seq, self.hidden)
            x = att.output.LayerNorm(att.output.dense(ctx) + x)
            x = layer.output.LayerNorm(layer.output.dense(nn.functional.gelu(layer.intermediate.dense(x))) + x)
        mask = attention_mask.unsqueeze(-1).to(x.dtype)
        return self.head((x * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0))
