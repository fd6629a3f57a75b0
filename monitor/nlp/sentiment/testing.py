"""Build tiny sequence-classification models on disk, for tests of the user-model path.

Tests must never download, so they make their own miniature Hugging Face model directory
(a word-level tokenizer and a one-layer BERT). With ``constant`` set, the classifier's
weights are zeroed and its bias picks that output, so the model's answers are known in
advance and metrics computed through the whole command line can be checked exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from monitor.names import LABELS

WORDS = ("good", "great", "love", "happy", "bad", "awful", "hate", "sad", "the", "a", "is", "it", "this",
         "service", "phone", "day", "很", "好", "差")


def make_tiny_model(out_dir: Path, labels: Sequence[str] = LABELS,
                    constant: int | None = None, seed: int = 0, bias: Sequence[float] | None = None) -> Path:
    """Save a 1-layer BERT classifier with ``labels`` as its id2label to ``out_dir``; ``bias``: weights
    zeroed and these logits for every text (a model whose probabilities are known)."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    torch.manual_seed(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    vocab = {tok: i for i, tok in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *WORDS])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]",
                                   cls_token="[CLS]", sep_token="[SEP]", model_max_length=64)
    fast.save_pretrained(out_dir)
    config = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64, num_labels=len(labels),
                        id2label=dict(enumerate(labels)), label2id={name: i for i, name in enumerate(labels)})
    model = BertForSequenceClassification(config).eval()
    if constant is not None:
        with torch.no_grad():
            model.classifier.weight.zero_()
            model.classifier.bias.fill_(-5.0)
            model.classifier.bias[constant] = 5.0
    if bias is not None:
        with torch.no_grad():
            model.classifier.weight.zero_()
            model.classifier.bias.copy_(torch.tensor(list(bias), dtype=torch.float32))
    model.save_pretrained(out_dir)
    return out_dir
