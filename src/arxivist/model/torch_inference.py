"""The inference path's torch backend: a saved model on the compute's device, in eval mode.

BERT models load as arxivist.model.bert's lean modules, every other architecture through
transformers' Auto classes (a slower start, the same outputs). The fine-tuned classifier (the
evaluate stage, `arxivist predict`) and the frozen encoder (the baselines stage) run their batches
through forward_rows: under torch.inference_mode and the compute's autocast, batches kept on the
device until the chunk is done. torch keeps its default of one thread per physical core.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from arxivist.model.bert import load_bert, supports
from arxivist.model.checkpoints import SAFETENSORS, has_safetensors
from arxivist.model.compute import Compute
from arxivist.model.inference import (
    Batch,
    InferenceError,
    TextTokenizer,
    label_names,
    read_config,
    rows_of,
)

if TYPE_CHECKING:  # a type only: predict starts without pandas
    from arxivist.labels import LabelSet

# token ids, attention mask -> a tensor with one row per text
Forward = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class Classifier:
    """A fine-tuned model (ids, mask -> logits) on `compute.device` and its saved tokenizer."""

    model: torch.nn.Module
    tokenizer: TextTokenizer
    label_names: tuple[str, ...]
    compute: Compute

    def probabilities(self, batches: list[Batch]) -> np.ndarray:
        """Softmax rows (float64) of every batch's rows, batch after batch."""
        return forward_rows(batches, self._softmax, self.compute)

    def _softmax(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids, attention_mask).double().softmax(dim=-1)

    def check_labels(self, labels: LabelSet, source: str | Path) -> None:
        """Fail unless the model's output columns are `labels`, in the same order."""
        if self.label_names != labels.names:
            raise InferenceError(
                f"{source} predicts {list(self.label_names)} but the labels are "
                f"{list(labels.names)}; retrain the model on these labels"
            )


@dataclass(frozen=True)
class Encoder:
    """A pretrained checkpoint's encoder (ids, mask -> last hidden states), used as it is."""

    model: torch.nn.Module
    tokenizer: TextTokenizer
    compute: Compute

    def embed(self, texts: list[str], batch_tokens: int) -> np.ndarray:
        """Mean-pooled, L2-normalised last hidden states (float64), one row per text in order,
        truncated at the tokenizer's max_length."""

        def pool(input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.model(input_ids, attention_mask).double()
            mask = attention_mask.unsqueeze(-1).double()
            mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)
            return torch.nn.functional.normalize(mean, dim=-1)

        def run(batches: list[Batch]) -> np.ndarray:
            return forward_rows(batches, pool, self.compute)

        if not texts:
            return np.zeros((0, self.model.hidden_size))
        max_length = self.tokenizer.max_length
        return rows_of(self.tokenizer, texts, run, max_length=max_length, batch_tokens=batch_tokens)


def load_classifier(model_dir: str | Path, compute: Compute) -> Classifier:
    """Load a `save_pretrained` classifier folder onto `compute.device`, in eval mode.

    A folder with a checksum list (checksums.sha256, as publish writes) is checked against it first:
    a damaged file fails with ModelIntegrityError naming it.
    """
    model_dir = Path(model_dir)
    config = read_config(model_dir)
    tokenizer = TextTokenizer.load(model_dir)
    positions = config.get("max_position_embeddings")
    if positions is not None and tokenizer.max_length > positions:
        raise InferenceError(
            f"{model_dir}: the tokenizer's model_max_length {tokenizer.max_length} exceeds "
            f"the model's {positions} positions; save the tokenizer with the trained length"
        )
    names = label_names(config)
    model = _load_model(model_dir, config, len(names))
    return Classifier(model.to(compute.device), tokenizer, names, compute)


def load_encoder(checkpoint: Path, max_length: int, compute: Compute) -> Encoder:
    """A checkpoint's base model (no head) and tokenizer, truncating at `max_length`."""
    model = _load_model(checkpoint, read_config(checkpoint), labels=None)
    return Encoder(model.to(compute.device), TextTokenizer.load(checkpoint, max_length), compute)


def _load_model(folder: Path, config: dict, labels: int | None) -> torch.nn.Module:
    """arxivist.model.bert's module where it supports the architecture, else transformers' Auto
    class behind the same call: (ids, mask) -> logits (`labels` given) or last hidden states. Only
    safetensors weights load: a folder with pickled ones only fails naming the file."""
    if not has_safetensors(folder):
        raise InferenceError(f"{folder} is not a saved model folder (no {SAFETENSORS[0]})")
    if supports(config, folder):
        try:
            return load_bert(folder, config, labels)
        except ValueError as err:
            raise InferenceError(f"{folder}: not a complete BERT model ({err})") from None
    from transformers import AutoModel, AutoModelForSequenceClassification
    from transformers.utils import logging as transformers_logging

    enabled = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()  # no 'Loading weights' bar: stderr is for errors
    try:
        if labels is None:
            encoder = AutoModel.from_pretrained(folder, use_safetensors=True)
            return Transformers(encoder, "last_hidden_state")
        classifier = AutoModelForSequenceClassification.from_pretrained(
            folder, use_safetensors=True
        )
        return Transformers(classifier, "logits")
    finally:
        if enabled:
            transformers_logging.enable_progress_bar()


class Transformers(torch.nn.Module):
    """A transformers model called as arxivist.model.bert's are: (ids, mask) -> one output
    tensor."""

    def __init__(self, model: torch.nn.Module, output: str) -> None:
        super().__init__()
        self.model = model.eval()
        self.output = output

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return getattr(self.model(input_ids=input_ids, attention_mask=attention_mask), self.output)

    @property
    def hidden_size(self) -> int:
        return self.model.config.hidden_size


def forward_rows(batches: list[Batch], forward: Forward, compute: Compute) -> np.ndarray:
    """`forward`'s output rows (float64) for every batch, batch after batch: under
    inference_mode and the compute's autocast. Batches stay on the device until
    all are done, so a GPU is not synchronised once per batch."""
    outputs = []
    with torch.inference_mode(), compute.autocast():
        for input_ids, attention_mask in batches:
            ids = torch.from_numpy(input_ids).to(compute.device)
            mask = torch.from_numpy(attention_mask).to(compute.device)
            outputs.append(forward(ids, mask).double())
        return torch.cat(outputs).cpu().numpy()
