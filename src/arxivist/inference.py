"""Batched softmax inference of a saved sequence classifier (models/model) over a list of texts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from arxivist.errors import ArxivistError
from arxivist.labels import LabelSet


class InferenceError(ArxivistError):
    """A saved model that cannot serve the request; the message names the folder or the param."""


@dataclass(frozen=True)
class Classifier:
    """A fine-tuned model in eval mode and the tokenizer saved beside it."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase

    @property
    def label_names(self) -> tuple[str, ...]:
        """The display names of the output columns, in column order (config.id2label)."""
        id2label = self.model.config.id2label
        return tuple(id2label[i] for i in range(len(id2label)))

    def check_labels(self, labels: LabelSet, source: str | Path) -> None:
        """Fail unless the model's output columns are `labels`, in the same order."""
        if self.label_names != labels.names:
            raise InferenceError(
                f"{source} predicts {list(self.label_names)} but the labels are "
                f"{list(labels.names)}; retrain the model on these labels"
            )


def load_classifier(model_dir: str | Path, device: str | torch.device | None = None) -> Classifier:
    """Load a `save_pretrained` folder onto `device` (default: CUDA when available, else CPU)."""
    model_dir = Path(model_dir)
    if not (model_dir / "config.json").is_file():
        raise InferenceError(f"{model_dir} is not a saved model folder (no config.json)")
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).to(device).eval()
    return Classifier(model, tokenizer)


def predict_proba(
    classifier: Classifier | str | Path,
    texts: Sequence[str],
    *,
    batch_size: int,
    max_length: int,
    progress: bool = False,
) -> np.ndarray:
    """Softmax probabilities, shape (len(texts), n_labels), rows in the order of `texts`.

    Texts are truncated at `max_length` tokens and run longest first in batches of similar length,
    so padding stays small; the rows are put back in input order.
    """
    if not isinstance(classifier, Classifier):
        classifier = load_classifier(classifier)
    model, tokenizer = classifier.model, classifier.tokenizer
    if max_length > tokenizer.model_max_length:
        raise InferenceError(
            f"max_length={max_length} exceeds the model's limit {tokenizer.model_max_length}"
        )
    probabilities = np.zeros((len(texts), model.config.num_labels), dtype=np.float64)
    if not texts:
        return probabilities
    encoded = tokenizer(list(texts), truncation=True, max_length=max_length)
    order = sorted(range(len(texts)), key=lambda i: -len(encoded["input_ids"][i]))
    collate = DataCollatorWithPadding(tokenizer, return_tensors="pt")
    batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
    with torch.inference_mode():
        for rows in tqdm(batches, desc="predict", unit="batch", disable=not progress):
            batch = collate([{key: encoded[key][i] for key in encoded} for i in rows])
            logits = model(**batch.to(model.device)).logits
            probabilities[rows] = logits.float().softmax(dim=-1).cpu().numpy()
    return probabilities
