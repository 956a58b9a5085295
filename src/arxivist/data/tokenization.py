"""Turn the split parquet files into an unpadded, truncated `datasets.DatasetDict`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from datasets import Dataset, DatasetDict
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from arxivist.data.papers import TEXT
from arxivist.errors import ArxivistError


class TokenizeError(ArxivistError):
    """The tokenizer cannot serve the configured params."""


def load_tokenizer(checkpoint_dir: Path, max_length: int) -> PreTrainedTokenizerBase:
    """The checkpoint's fast tokenizer, checked against tokenize.max_length."""
    tokenizer = AutoTokenizer.from_pretrained(checkpoint_dir, use_fast=True)
    if not tokenizer.is_fast:
        raise TokenizeError(f"{checkpoint_dir} has no fast tokenizer (model.checkpoint)")
    limit = tokenizer.model_max_length
    if max_length > limit:
        raise TokenizeError(f"tokenize.max_length={max_length} exceeds the model's limit {limit}")
    return tokenizer


def tokenize_splits(
    splits: Mapping[str, pd.DataFrame], tokenizer: PreTrainedTokenizerBase, max_length: int
) -> DatasetDict:
    """input_ids/attention_mask truncated at max_length, no padding, plus `labels` and `id`."""

    def encode(batch: dict) -> dict:
        return tokenizer(batch[TEXT], truncation=True, max_length=max_length)

    parts = {}
    for name, frame in splits.items():
        dataset = Dataset.from_pandas(frame[["id", TEXT, "label"]], preserve_index=False)
        dataset = dataset.map(encode, batched=True, remove_columns=[TEXT], desc=f"tokenize {name}")
        parts[name] = dataset.rename_column("label", "labels")
    return DatasetDict(parts)
