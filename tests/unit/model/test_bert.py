"""The lean BERT (arxivist.model.bert) replaces transformers' BERT classes at inference: on the
same folder and the same padded batch it computes what BertModel and
BertForSequenceClassification compute, in fp32."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from arxivist.model.bert import Bert, BertClassifier, load_bert, supports
from standins.tiny_bert import LABELS, WORDS

# fp32 on the CPU: the same operations in a different order (one fused query-key-value matmul,
# PyTorch's fused attention) differ by rounding only.
TOLERANCE = {"rtol": 1e-5, "atol": 1e-6}


def padded_batch(folder: Path) -> dict[str, torch.Tensor]:
    """Texts of 1 to 40 words, tokenized by the folder's tokenizer and padded to the longest."""
    from transformers import AutoTokenizer

    rng = np.random.default_rng(5)
    texts = [" ".join(rng.choice(WORDS, size=n)) for n in (1, 40, 7, 23, 3)]
    batch = AutoTokenizer.from_pretrained(folder)(texts, padding=True, return_tensors="pt")
    assert (batch["attention_mask"] == 0).any(), "the batch must hold padding"
    return batch


def config_of(folder: Path) -> dict:
    return json.loads((folder / "config.json").read_text(encoding="utf-8"))


def test_the_encoder_gives_bertmodels_last_hidden_states(tiny_bert: Path) -> None:
    from transformers import BertModel

    batch = padded_batch(tiny_bert)
    config = config_of(tiny_bert)
    reference = BertModel.from_pretrained(tiny_bert).eval()

    lean = load_bert(tiny_bert, config, labels=None)
    with torch.inference_mode():
        expected = reference(**batch).last_hidden_state
        got = lean(batch["input_ids"], batch["attention_mask"])

    assert supports(config, tiny_bert) and isinstance(lean, Bert)
    assert got.dtype == torch.float32 and got.shape == expected.shape
    torch.testing.assert_close(got, expected, **TOLERANCE)  # padded positions too


def test_the_classifier_gives_bertforsequenceclassifications_logits(
    tiny_classifier: Path,
) -> None:
    from transformers import BertForSequenceClassification

    batch = padded_batch(tiny_classifier)
    reference = BertForSequenceClassification.from_pretrained(tiny_classifier).eval()

    lean = load_bert(tiny_classifier, config_of(tiny_classifier), labels=len(LABELS))
    with torch.inference_mode():
        expected = reference(**batch).logits
        got = lean(batch["input_ids"], batch["attention_mask"])

    assert isinstance(lean, BertClassifier) and got.shape == (5, len(LABELS))
    torch.testing.assert_close(got, expected, **TOLERANCE)
    assert expected.argmax(dim=1).unique().numel() > 1, "the fixture must not be constant"


def test_a_head_of_another_size_is_refused_naming_both_counts(tiny_classifier: Path) -> None:
    with pytest.raises(ValueError, match=r"its classifier has 3 outputs but config\.json names 4"):
        load_bert(tiny_classifier, config_of(tiny_classifier), labels=4)
