"""Streamed softmax inference of a saved sequence classifier (models/model, models/published).

The one inference path of the evaluate stage and `arxivist predict`: texts are taken a chunk at a
time, truncated at the length the model was trained with (its tokenizer's model_max_length, as
`transformers.pipeline(..., truncation=True)` does), sorted by length inside the chunk and run in
batches bounded by tokens, so padding stays small and memory stays bounded; each chunk's rows come
back in input order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    BatchEncoding,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from arxivist.errors import ArxivistError
from arxivist.integrity.checksums import verify_folder
from arxivist.labels import LabelSet
from arxivist.model.checkpoints import SAFETENSORS, has_safetensors
from arxivist.model.compute import Compute

CHUNK_SIZE = 512  # texts tokenized, length-sorted and classified together


class InferenceError(ArxivistError):
    """A saved model that cannot serve the request; the message names the folder or the value."""


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

    @property
    def max_length(self) -> int:
        """The truncation length in tokens: the length the model was trained with."""
        return self.tokenizer.model_max_length

    def check_labels(self, labels: LabelSet, source: str | Path) -> None:
        """Fail unless the model's output columns are `labels`, in the same order."""
        if self.label_names != labels.names:
            raise InferenceError(
                f"{source} predicts {list(self.label_names)} but the labels are "
                f"{list(labels.names)}; retrain the model on these labels"
            )


def load_classifier(model_dir: str | Path, compute: Compute) -> Classifier:
    """Load a `save_pretrained` folder onto `compute.device`, in eval mode.

    A folder with a checksum list (checksums.sha256, as publish writes) is checked against it first:
    a damaged file fails with ModelIntegrityError naming it. Only safetensors weights load: a
    folder with pickled ones (pytorch_model.bin) fails naming the file, before anything reads it.
    """
    model_dir = Path(model_dir)
    if not (model_dir / "config.json").is_file():
        raise InferenceError(f"{model_dir} is not a saved model folder (no config.json)")
    verify_folder(model_dir)
    if not has_safetensors(model_dir):
        raise InferenceError(f"{model_dir} is not a saved model folder (no {SAFETENSORS[0]})")
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, use_safetensors=True)
    positions = getattr(model.config, "max_position_embeddings", None)
    if positions is not None and tokenizer.model_max_length > positions:
        raise InferenceError(
            f"{model_dir}: the tokenizer's model_max_length {tokenizer.model_max_length} exceeds "
            f"the model's {positions} positions; save the tokenizer with the trained length"
        )
    return Classifier(model.to(compute.device).eval(), tokenizer)


def token_batches(lengths: Sequence[int], batch_tokens: int) -> list[list[int]]:
    """Indices into `lengths`, longest first, grouped so that rows x padded length (the group's
    first, longest row) stays within `batch_tokens`; a row longer than that runs alone."""
    batches: list[list[int]] = []
    for i in sorted(range(len(lengths)), key=lambda i: -lengths[i]):
        if batches and (len(batches[-1]) + 1) * lengths[batches[-1][0]] <= batch_tokens:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


def iter_proba(
    classifier: Classifier,
    texts: Iterable[str],
    *,
    compute: Compute,
    batch_tokens: int,
    max_length: int | None = None,
    chunk_size: int = CHUNK_SIZE,
    progress: bool = False,
) -> Iterator[np.ndarray]:
    """Softmax probabilities (float64, one row per text) for each chunk of `texts`, in input order.

    `texts` is read lazily, `chunk_size` at a time. Truncation is at `max_length` (default and
    upper bound: the classifier's). `progress`: a bar over texts on stderr when it is a terminal.
    """
    if max_length is None:
        max_length = classifier.max_length
    elif max_length > classifier.max_length:
        raise InferenceError(
            f"max_length={max_length} exceeds the model's length {classifier.max_length}"
        )
    total = len(texts) if isinstance(texts, Sized) else None
    texts = iter(texts)
    with tqdm(total=total, desc="classify", unit="text", disable=None if progress else True) as bar:
        while chunk := list(islice(texts, chunk_size)):
            encoded = classifier.tokenizer(chunk, truncation=True, max_length=max_length)
            yield _classify(classifier, encoded, compute, batch_tokens, bar)


def predict_proba(
    classifier: Classifier,
    texts: Sequence[str],
    *,
    compute: Compute,
    batch_tokens: int,
    max_length: int | None = None,
    progress: bool = False,
) -> np.ndarray:
    """Softmax probabilities, shape (len(texts), n_labels), rows in the order of `texts`."""
    chunks = list(
        iter_proba(
            classifier,
            texts,
            compute=compute,
            batch_tokens=batch_tokens,
            max_length=max_length,
            progress=progress,
        )
    )
    if not chunks:
        return np.zeros((0, classifier.model.config.num_labels), dtype=np.float64)
    return np.concatenate(chunks)


def _classify(
    classifier: Classifier,
    encoded: BatchEncoding,
    compute: Compute,
    batch_tokens: int,
    bar: tqdm,
) -> np.ndarray:
    """The softmax rows of one tokenized chunk, in its order."""

    def softmax(batch: BatchEncoding) -> torch.Tensor:
        return classifier.model(**batch).logits.double().softmax(dim=-1)

    return forward_rows(classifier.tokenizer, encoded, softmax, compute, batch_tokens, bar)


def forward_rows(
    tokenizer: PreTrainedTokenizerBase,
    encoded: BatchEncoding,
    forward: Callable[[BatchEncoding], torch.Tensor],
    compute: Compute,
    batch_tokens: int,
    bar: tqdm | None = None,
) -> np.ndarray:
    """`forward`'s output rows (float64) for each text of a tokenized chunk, in its order: padded
    batches within `batch_tokens`, under the compute's autocast. Batches stay on the device until
    the chunk is done, so a GPU is not synchronised once per batch."""
    lengths = [len(ids) for ids in encoded["input_ids"]]
    batches = token_batches(lengths, batch_tokens)
    outputs = []
    with torch.inference_mode(), compute.autocast():
        for rows in batches:
            features = [{key: encoded[key][i] for key in encoded} for i in rows]
            batch = tokenizer.pad(features, return_tensors="pt")
            outputs.append(forward(batch.to(compute.device)).double())
            if bar is not None:
                bar.update(len(rows))
        in_batch_order = torch.cat(outputs).cpu().numpy()
    rows = np.empty_like(in_batch_order)
    rows[np.concatenate(batches)] = in_batch_order
    return rows
