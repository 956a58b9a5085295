"""The inference path of predict, the evaluate stage and the frozen encoder, less the model.

Texts are taken a chunk at a time, tokenized by the model folder's own fast tokenizer
(tokenizer.json, through the `tokenizers` library), truncated at the length the model was trained
with (its tokenizer's model_max_length, as `transformers.pipeline(..., truncation=True)` does),
sorted by length inside the chunk and run in padded batches bounded by tokens, so padding stays
small and memory stays bounded; each chunk's rows come back in input order. What runs a batch is a
backend's: torch (arxivist.model.torch_inference) or ONNX Runtime's int8 model
(arxivist.model.onnx_inference). This module needs neither, so the int8 path starts without
importing torch.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from arxivist.errors import ArxivistError
from arxivist.integrity.checksums import verify_folder

CHUNK_SIZE = 512  # texts tokenized, length-sorted and classified together
TOKENIZER_FILE = "tokenizer.json"
# A padded batch: token ids and attention mask (1: a token, 0: padding), int64, rows x width.
Batch = tuple[np.ndarray, np.ndarray]


class InferenceError(ArxivistError):
    """A saved model that cannot serve the request; the message names the folder or the value."""


def read_config(model_dir: Path) -> dict[str, Any]:
    """The config.json of a saved model folder, after checking the folder against its checksum
    list (checksums.sha256, as publish writes) when it has one: a damaged file fails naming it."""
    path = model_dir / "config.json"
    if not path.is_file():
        raise InferenceError(f"{model_dir} is not a saved model folder (no config.json)")
    verify_folder(model_dir)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise InferenceError(f"{path}: not a readable config ({err})") from None


def label_names(config: dict[str, Any]) -> tuple[str, ...]:
    """The display names of a classifier's output columns, in column order (config id2label)."""
    id2label = {int(i): name for i, name in config.get("id2label", {}).items()}
    return tuple(id2label[i] for i in range(len(id2label)))


@dataclass(frozen=True)
class TextTokenizer:
    """A model folder's fast tokenizer, without padding, truncating at `max_length` tokens."""

    backend: Any  # tokenizers.Tokenizer
    max_length: int

    @classmethod
    def load(cls, folder: Path, max_length: int | None = None) -> TextTokenizer:
        """The tokenizer saved in `folder` (tokenizer.json; else converted from the slow
        tokenizer's files by transformers); `max_length` defaults to its model_max_length."""
        from tokenizers import Tokenizer

        if (folder / TOKENIZER_FILE).is_file():
            try:
                backend = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
            except Exception as err:  # tokenizers raises Exception itself, no subclass
                raise InferenceError(
                    f"{folder / TOKENIZER_FILE}: not a tokenizer ({err})"
                ) from None
        else:
            from transformers import AutoTokenizer

            backend = AutoTokenizer.from_pretrained(folder, use_fast=True).backend_tokenizer
        backend.no_padding()
        backend.no_truncation()
        return cls(backend, max_length or _model_max_length(folder))

    def encode(self, texts: list[str], max_length: int) -> list[list[int]]:
        """Each text's token ids, special tokens included, truncated at `max_length`."""
        self.backend.enable_truncation(max_length)
        return [encoding.ids for encoding in self.backend.encode_batch(texts)]


def _model_max_length(folder: Path) -> int:
    path = folder / "tokenizer_config.json"
    try:
        length = json.loads(path.read_text(encoding="utf-8")).get("model_max_length")
    except (OSError, ValueError) as err:
        raise InferenceError(f"{path}: cannot read the tokenizer's config ({err})") from None
    if not isinstance(length, int) or isinstance(length, bool) or length < 1:
        raise InferenceError(f"{path}: no model_max_length (the length the model was trained with)")
    return length


class Classifier(Protocol):
    """A loaded classifier, whichever backend runs it."""

    @property
    def label_names(self) -> tuple[str, ...]: ...

    @property
    def tokenizer(self) -> TextTokenizer: ...

    def probabilities(self, batches: list[Batch]) -> np.ndarray:
        """Softmax rows (float64) of every batch's rows, batch after batch."""
        ...


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


def padded(ids: Sequence[Sequence[int]], rows: Sequence[int]) -> Batch:
    """The `rows` of `ids` right-padded to the longest with id 0 (masked out, so its value never
    reaches an output), and their attention mask."""
    width = max(len(ids[i]) for i in rows)
    tokens = np.zeros((len(rows), width), dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for row, i in enumerate(rows):
        tokens[row, : len(ids[i])] = ids[i]
        mask[row, : len(ids[i])] = 1
    return tokens, mask


def rows_of(
    tokenizer: TextTokenizer,
    texts: list[str],
    run: Callable[[list[Batch]], np.ndarray],
    *,
    max_length: int,
    batch_tokens: int,
) -> np.ndarray:
    """`run`'s output rows for `texts`, in their order: tokenized, then run in length-sorted
    batches of at most `batch_tokens` padded tokens."""
    ids = tokenizer.encode(texts, max_length)
    batches = token_batches([len(row) for row in ids], batch_tokens)
    in_batch_order = run([padded(ids, rows) for rows in batches])
    rows = np.empty_like(in_batch_order)
    rows[np.concatenate(batches)] = in_batch_order
    return rows


def iter_proba(
    classifier: Classifier,
    texts: Iterable[str],
    *,
    batch_tokens: int,
    max_length: int | None = None,
    chunk_size: int = CHUNK_SIZE,
    progress: bool = False,
) -> Iterator[np.ndarray]:
    """Softmax probabilities (float64, one row per text) for each chunk of `texts`, in input order.

    `texts` is read lazily, `chunk_size` at a time. Truncation is at `max_length` (default and
    upper bound: the classifier's). `progress`: a bar over texts on stderr when it is a terminal.
    """
    limit = classifier.tokenizer.max_length
    if max_length is None:
        max_length = limit
    elif max_length > limit:
        raise InferenceError(f"max_length={max_length} exceeds the model's length {limit}")
    bar = _progress_bar(len(texts) if isinstance(texts, Sized) else None, progress)
    texts = iter(texts)
    try:
        while chunk := list(islice(texts, chunk_size)):
            yield rows_of(
                classifier.tokenizer,
                chunk,
                classifier.probabilities,
                max_length=max_length,
                batch_tokens=batch_tokens,
            )
            if bar is not None:
                bar.update(len(chunk))
    finally:
        if bar is not None:
            bar.close()


def predict_proba(
    classifier: Classifier,
    texts: Sequence[str],
    *,
    batch_tokens: int,
    max_length: int | None = None,
    progress: bool = False,
) -> np.ndarray:
    """Softmax probabilities, shape (len(texts), n_labels), rows in the order of `texts`."""
    chunks = list(
        iter_proba(
            classifier, texts, batch_tokens=batch_tokens, max_length=max_length, progress=progress
        )
    )
    if not chunks:
        return np.zeros((0, len(classifier.label_names)), dtype=np.float64)
    return np.concatenate(chunks)


def _progress_bar(total: int | None, progress: bool) -> Any:
    """A tqdm bar over texts on stderr when asked for and stderr is a terminal, else None
    (tqdm is imported only then: a piped run starts without it)."""
    if not progress or not sys.stderr.isatty():
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="classify", unit="text")
