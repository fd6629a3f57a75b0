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

import torch
from torch import nn

from monitor.nlp.sentiment.spec import AdapterSpec

__all__ = ["LORA_TARGETS", "AdapterSpec", "MeanPoolClassifier", "add_lora", "merge_lora", "trainable_state"]

LORA_TARGETS = ["query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense"]


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
