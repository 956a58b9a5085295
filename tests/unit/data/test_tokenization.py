"""arxivist.data.tokenization: truncation without padding, max_length within the model's limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from arxivist.data.tokenization import TokenizeError, load_tokenizer, tokenize_splits
from tests.unit.frames import LABELS, papers


def test_tokenize_truncates_without_padding(tiny_bert: Path) -> None:
    tokenizer = load_tokenizer(tiny_bert, max_length=8)
    frame = LABELS.encode(papers({"cs.AI": 2, "cs.IR": 2, "cs.RO": 2}))
    frame["abstract"] = "robot"
    frame.loc[0, "abstract"] = "planning " * 50
    tokenized = tokenize_splits({"train": frame}, tokenizer, max_length=8)["train"]
    lengths = [len(ids) for ids in tokenized["input_ids"]]
    assert lengths[0] == 8
    assert min(lengths) < 8
    assert set(tokenized.column_names) >= {"id", "input_ids", "attention_mask", "labels"}
    assert tokenized["labels"] == frame["label"].tolist()


def test_max_length_above_the_model_limit_names_the_param(tiny_bert: Path) -> None:
    with pytest.raises(TokenizeError, match=r"tokenize\.max_length=4096"):
        load_tokenizer(tiny_bert, max_length=4096)
