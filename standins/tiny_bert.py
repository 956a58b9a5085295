"""A tiny, randomly initialised BERT checkpoint (2 layers, hidden size 32) built offline.

Its WordPiece tokenizer (built with `tokenizers`) has a fixed vocabulary, WORDS plus single
characters, so every build gives the same bytes. It is made in about a second and behaves like
any Hub BERT to AutoTokenizer / AutoModel.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from arxivist.labels import LabelSet

# How far a bf16 forward pass's probabilities may be from fp32's: an 8-bit mantissa keeps about 3
# significant digits. Tests that compare with an fp32 reference pin fp32 or allow this.
TOLERANCE = {"fp32": 1e-5, "bf16": 1e-2}
BF16_TOLERANCE = TOLERANCE["bf16"]

WORDS = [
    "planning",
    "reasoning",
    "agents",
    "knowledge",
    "logic",
    "search",
    "retrieval",
    "ranking",
    "query",
    "recommender",
    "users",
    "documents",
    "index",
    "relevance",
    "robot",
    "grasping",
    "manipulation",
    "navigation",
    "control",
    "motion",
    "learning",
    "neural",
    "network",
    "transformer",
    "model",
    "data",
    "benchmark",
    "results",
    "method",
    "approach",
]


def model_params(checkpoint: Path) -> dict[str, str]:
    """params.yaml's `model` section for a local checkpoint folder, pinned by its content hash."""
    from arxivist.model.checkpoints import folder_hash

    return {"checkpoint": str(checkpoint), "revision": folder_hash(checkpoint)}


def build_tiny_bert(out: Path) -> Path:
    """Write a tiny BERT base model and its fast tokenizer to `out`."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
    from transformers import BertConfig, BertModel, BertTokenizerFast

    # A fixed vocabulary (not a trained one) so that every build gives the same bytes.
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    letters = sorted(set("".join(WORDS)) | set("0123456789.,;:-()"))
    pieces = special + sorted(set(WORDS)) + letters + [f"##{c}" for c in letters]
    vocab = {piece: i for i, piece in enumerate(pieces)}
    wordpiece = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]"))
    wordpiece.normalizer = normalizers.BertNormalizer(lowercase=True)
    wordpiece.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer = BertTokenizerFast(tokenizer_object=wordpiece, model_max_length=512)
    tokenizer.save_pretrained(out)

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=wordpiece.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
    )
    BertModel(config).save_pretrained(out)
    return out


LABELS = LabelSet.from_params(
    {"cs.AI": "Artificial Intelligence", "cs.IR": "Information Retrieval", "cs.RO": "Robotics"}
)


# Texts of different lengths whose fitted labels differ (label i % 3 for text i).
FIT_TEXTS = [
    " ".join(WORDS[start : start + length])
    for start, length in [(14, 3), (0, 12), (6, 1), (20, 9), (9, 5), (2, 20), (17, 2)]
]


def build_tiny_classifier(
    tiny_bert: Path, out: Path, labels: LabelSet = LABELS, fit_texts: list[str] = FIT_TEXTS
) -> Path:
    """A classifier on the tiny BERT labelled by display name, fitted for 30 steps on `fit_texts`
    (label i % n for text i) so that its predictions differ between inputs; saved with tokenizer."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(
        tiny_bert, num_labels=len(labels), id2label=labels.id2label, label2id=labels.label2id
    )
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    batch = tokenizer(fit_texts, padding=True, return_tensors="pt")
    targets = torch.arange(len(fit_texts)) % len(labels)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(30):
        optimizer.zero_grad()
        model(**batch, labels=targets).loss.backward()
        optimizer.step()
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


class _CreatesAFile:
    """Unpickled, it creates the file at `marker`: what a pickled checkpoint can do when loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return open, (str(self.marker), "w")


def save_pickled_payload(path: Path, marker: Path) -> Path:
    """A PyTorch checkpoint at `path` (pytorch_model.bin) whose loading would create `marker`."""
    import torch

    torch.save({"classifier.weight": _CreatesAFile(marker)}, path)
    return path


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of a tiny BERT checkpoint folder, built once per test session."""
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="session")
def tiny_classifier(tiny_bert: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved, briefly fitted 3-label classifier on the tiny BERT (display-name labels)."""
    return build_tiny_classifier(tiny_bert, tmp_path_factory.mktemp("tiny-classifier"))
