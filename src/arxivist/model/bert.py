"""BERT for inference in plain torch: what transformers' BertModel (last hidden states) and
BertForSequenceClassification (logits) compute in eval mode, loaded from a save_pretrained folder's
model.safetensors.

Why not transformers' own classes: importing their modeling code costs about 2 s before any work
(modeling_utils pulls in torch._dynamo and the quantisation and sharding integrations), more than
`arxivist predict` spends classifying an abstract. Query, key and value run as one matmul, and
attention is PyTorch's fused scaled_dot_product_attention. Only what the default checkpoint
family needs is here (absolute positions, GELU, one sequence per row);
arxivist.model.torch_inference loads every other architecture through transformers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

# config.hidden_act -> torch's gelu approximation (transformers' gelu_new is the tanh formula)
GELU = {"gelu": "none", "gelu_new": "tanh", "gelu_pytorch_tanh": "tanh"}
WEIGHTS = "model.safetensors"
# transformers' parameter names inside each layer -> this module's
LAYER_NAMES = {
    "attention.output.dense": "attention_out",
    "attention.output.LayerNorm": "attention_norm",
    "intermediate.dense": "up",
    "output.dense": "down",
    "output.LayerNorm": "norm",
}
QKV = ("query", "key", "value")


def supports(config: dict[str, Any], folder: Path) -> bool:
    """Whether this module computes the model of `config`, whose weights are `folder`'s one
    safetensors file."""
    return (
        config.get("model_type") == "bert"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and config.get("hidden_act") in GELU
        and not config.get("is_decoder", False)
        and (folder / WEIGHTS).is_file()
    )


class Weights(nn.Module):
    """A module holding the given tensors as its parameters (no random initialisation to pay
    for and throw away)."""

    def __init__(self, tensors: dict[str, torch.Tensor]) -> None:
        super().__init__()
        for name, tensor in tensors.items():
            self.register_parameter(name, nn.Parameter(tensor))

    def linear(self, name: str, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.get_parameter(f"{name}_weight"), self.get_parameter(f"{name}_bias"))

    def norm(self, name: str, x: torch.Tensor, eps: float) -> torch.Tensor:
        weight, bias = self.get_parameter(f"{name}_weight"), self.get_parameter(f"{name}_bias")
        return F.layer_norm(x, weight.shape, weight, bias, eps)


class Layer(Weights):
    """One post-norm transformer layer: self-attention, then the feed-forward block."""

    def __init__(self, tensors: dict[str, torch.Tensor], config: dict[str, Any]) -> None:
        super().__init__(tensors)
        self.heads = config["num_attention_heads"]
        self.eps = config["layer_norm_eps"]
        self.gelu = GELU[config["hidden_act"]]

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        rows, width, hidden = x.shape
        qkv = self.linear("qkv", x).view(rows, width, 3, self.heads, hidden // self.heads)
        query, key, value = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        attended = F.scaled_dot_product_attention(query, key, value, attn_mask=mask.to(query.dtype))
        attended = attended.transpose(1, 2).reshape(rows, width, hidden)
        x = self.norm("attention_norm", self.linear("attention_out", attended) + x, self.eps)
        up = F.gelu(self.linear("up", x), approximate=self.gelu)
        return self.norm("norm", self.linear("down", up) + x, self.eps)


class Bert(Weights):
    """The encoder: token ids and attention mask -> the last hidden states."""

    def __init__(
        self, tensors: dict[str, torch.Tensor], layers: list[Layer], config: dict[str, Any]
    ) -> None:
        super().__init__(tensors)
        self.layers = nn.ModuleList(layers)
        self.eps = config["layer_norm_eps"]
        self.hidden_size = config["hidden_size"]

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        positions = self.positions[: input_ids.shape[1]]
        types = self.token_types[0]  # one sequence per row: every token has type 0
        x = self.norm(
            "embedding_norm", F.embedding(input_ids, self.words) + positions + types, self.eps
        )
        # Added to the attention scores (rows x heads x queries x keys): -inf hides padding. An
        # additive mask, not a boolean one: exported to ONNX, a boolean mask costs a select and a
        # NaN check on every score, a quarter of the int8 model's time.
        mask = torch.zeros(attention_mask.shape, dtype=x.dtype, device=x.device)
        mask = mask.masked_fill(attention_mask == 0, float("-inf"))[:, None, None, :]
        for layer in self.layers:
            x = layer(x, mask)
        return x


class BertClassifier(Weights):
    """The encoder, the pooler (tanh of a dense layer on the first token) and the classifier:
    token ids and attention mask -> logits."""

    def __init__(self, bert: Bert, tensors: dict[str, torch.Tensor]) -> None:
        super().__init__(tensors)
        self.bert = bert

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        first = self.bert(input_ids, attention_mask)[:, 0]
        return self.linear("classifier", torch.tanh(self.linear("pooler", first)))


def load_bert(folder: Path, config: dict[str, Any], labels: int | None) -> Bert | BertClassifier:
    """The model of `folder` in eval mode on the CPU: a BertClassifier with `labels` outputs, or
    (labels None) the Bert encoder. ValueError names a tensor the file lacks or a head whose
    size is not `labels`."""
    from safetensors.torch import load_file

    saved = load_file(folder / WEIGHTS)
    prefix = "bert." if any(name.startswith("bert.") for name in saved) else ""
    take = _Take(saved)
    embeddings = f"{prefix}embeddings."
    bert = Bert(
        {
            "words": take(f"{embeddings}word_embeddings.weight"),
            "positions": take(f"{embeddings}position_embeddings.weight"),
            "token_types": take(f"{embeddings}token_type_embeddings.weight"),
            **take.pair("embedding_norm", f"{embeddings}LayerNorm"),
        },
        [
            Layer(_layer_tensors(take, f"{prefix}encoder.layer.{i}."), config)
            for i in range(config["num_hidden_layers"])
        ],
        config,
    )
    if labels is None:
        return bert.eval()
    head = {**take.pair("pooler", "bert.pooler.dense"), **take.pair("classifier", "classifier")}
    if head["classifier_weight"].shape[0] != labels:
        raise ValueError(
            f"its classifier has {head['classifier_weight'].shape[0]} outputs but config.json "
            f"names {labels} labels"
        )
    return BertClassifier(bert, head).eval()


def _layer_tensors(take: _Take, prefix: str) -> dict[str, torch.Tensor]:
    """One layer's tensors under this module's names: query, key and value as one."""
    tensors = {
        f"qkv_{kind}": torch.cat([take(f"{prefix}attention.self.{part}.{kind}") for part in QKV])
        for kind in ("weight", "bias")
    }
    for theirs, own in LAYER_NAMES.items():
        tensors |= take.pair(own, f"{prefix}{theirs}")
    return tensors


class _Take:
    """Tensors of a safetensors file by transformers' names; ValueError names a missing one."""

    def __init__(self, saved: dict[str, torch.Tensor]) -> None:
        self.saved = saved

    def __call__(self, name: str) -> torch.Tensor:
        if name not in self.saved:
            raise ValueError(f"no tensor {name!r} in {WEIGHTS}")
        return self.saved[name]

    def pair(self, own: str, theirs: str) -> dict[str, torch.Tensor]:
        """A layer's weight and bias: {own_weight, own_bias}."""
        return {f"{own}_{kind}": self(f"{theirs}.{kind}") for kind in ("weight", "bias")}
