"""The one inference path of evaluate and predict: token-bounded batches, lazy chunks in input
order, and the truncation length that travels with the model as transformers.pipeline() reads it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
import torch

from arxivist.cli import main
from arxivist.model.compute import resolve
from arxivist.model.inference import InferenceError, iter_proba, predict_proba, token_batches
from arxivist.model.torch_inference import load_classifier, load_encoder
from standins.tiny_bert import LABELS, WORDS

FP32 = resolve("fp32")


def pipeline_scores(model_dir: Path, texts: list[str], **tokenizer_kwargs: object) -> np.ndarray:
    """Every label's score for each text from transformers' own pipeline, in LABELS order."""
    from transformers import pipeline

    classify = pipeline("text-classification", model=str(model_dir), top_k=None)
    rows = [
        {s["label"]: s["score"] for s in scores} for scores in classify(texts, **tokenizer_kwargs)
    ]
    return np.array([[row[name] for name in LABELS.names] for row in rows])


def mixed_texts(count: int, seed: int = 0) -> list[str]:
    """Texts of 0 to 40 words, so that length-sorting reorders them inside a chunk."""
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=n)) for n in rng.integers(0, 41, size=count)]


def test_token_batches_stay_within_the_budget_except_a_lone_long_row() -> None:
    rng = np.random.default_rng(0)
    lengths = [*rng.integers(1, 60, size=200).tolist(), 100, 75]  # the last two exceed 64

    batches = token_batches(lengths, batch_tokens=64)

    assert sorted(i for rows in batches for i in rows) == list(range(len(lengths)))
    assert batches[:2] == [[200], [201]]  # too long for the budget: alone, longest first
    for rows, following in pairwise(batches):
        width = lengths[rows[0]]  # the first row is the longest: the padded width
        assert width == max(lengths[i] for i in rows)
        assert len(rows) * width <= 64 or len(rows) == 1
        assert (len(rows) + 1) * width > 64  # packed tightly: the next row did not fit
        assert lengths[following[0]] <= width
    assert token_batches([], batch_tokens=64) == []


def test_chunks_are_read_lazily_and_keep_input_order_like_pipeline(tiny_classifier: Path) -> None:
    texts = mixed_texts(23)
    consumed = 0

    def lazily() -> Iterator[str]:
        nonlocal consumed
        for text in texts:
            consumed += 1
            yield text

    classifier = load_classifier(tiny_classifier, FP32)
    chunks = iter_proba(classifier, lazily(), batch_tokens=40, chunk_size=5)

    first = next(chunks)
    assert consumed == 5 and first.shape == (5, len(LABELS)) and first.dtype == np.float64
    rest = list(chunks)
    assert [len(chunk) for chunk in rest] == [5, 5, 5, 3]
    probabilities = np.concatenate([first, *rest])
    expected = pipeline_scores(tiny_classifier, texts)
    np.testing.assert_allclose(probabilities, expected, atol=1e-6)
    assert np.ptp(expected[:, 0]) > 1e-3  # rows differ, so a misordering would show


def test_predict_proba_equals_one_padded_forward_of_transformers(tiny_classifier: Path) -> None:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    texts = mixed_texts(9, seed=1)
    classifier = load_classifier(tiny_classifier, FP32)
    tokenizer = AutoTokenizer.from_pretrained(tiny_classifier)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_classifier).eval()
    batch = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
    with torch.inference_mode():
        reference = model(**batch).logits.softmax(dim=-1).numpy()

    probabilities = predict_proba(classifier, texts, batch_tokens=64)

    assert probabilities.shape == (len(texts), len(LABELS))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(probabilities, reference, atol=1e-5)
    assert classifier.label_names == LABELS.names


def test_predict_proba_edge_cases(tiny_classifier: Path, tmp_path: Path) -> None:
    classifier = load_classifier(tiny_classifier, FP32)
    assert predict_proba(classifier, [], batch_tokens=64).shape == (0, 3)
    with pytest.raises(InferenceError, match="max_length=513 exceeds the model's length 512"):
        predict_proba(classifier, ["a robot"], batch_tokens=64, max_length=513)
    with pytest.raises(InferenceError, match=r"no config\.json"):
        load_classifier(tmp_path, FP32)


def with_max_length(model_dir: Path, out: Path, max_length: int) -> Path:
    """A copy of the classifier folder whose tokenizer says `max_length`, as train saves it."""
    from transformers import AutoTokenizer

    shutil.copytree(model_dir, out)
    tokenizer = AutoTokenizer.from_pretrained(out)
    tokenizer.model_max_length = max_length
    tokenizer.save_pretrained(out)
    return out


def test_a_tokenizer_longer_than_the_positions_is_refused(
    tiny_classifier: Path, tmp_path: Path
) -> None:
    folder = with_max_length(tiny_classifier, tmp_path / "long", 1024)
    with pytest.raises(InferenceError, match="model_max_length 1024 exceeds the model's 512"):
        load_classifier(folder, FP32)


def test_pipeline_predict_and_evaluate_truncate_at_the_saved_length(
    tiny_classifier: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    short = with_max_length(tiny_classifier, tmp_path / "short", 16)
    text = " ".join(np.random.default_rng(2).choice(WORDS, size=40))  # 42 tokens with [CLS], [SEP]
    classifier = load_classifier(short, FP32)
    assert classifier.tokenizer.max_length == 16

    piped = pipeline_scores(short, [text], truncation=True)
    evaluated = predict_proba(classifier, [text], batch_tokens=64)
    argv = ["--model", str(short), "--precision", "fp32", "--format", "jsonl", "--all-scores"]
    code = main(["predict", *argv, text])
    out, _ = capsys.readouterr()
    predicted = np.array([list(json.loads(out)["scores"].values())])

    assert code == 0
    np.testing.assert_allclose(evaluated, piped, atol=1e-6)
    np.testing.assert_allclose(predicted, piped, atol=1e-6)
    untruncated = pipeline_scores(tiny_classifier, [text], truncation=True)
    assert np.abs(untruncated - piped).max() > 1e-3


def tiny_distilbert_classifier(tiny_bert: Path, out: Path) -> Path:
    """A DistilBERT classifier (an architecture arxivist.model.bert does not compute) with the tiny
    BERT's tokenizer, randomly initialised from a fixed seed."""
    from transformers import AutoTokenizer, DistilBertConfig, DistilBertForSequenceClassification

    torch.manual_seed(0)
    config = DistilBertConfig(
        vocab_size=AutoTokenizer.from_pretrained(tiny_bert).vocab_size,
        dim=32,
        n_layers=2,
        n_heads=2,
        hidden_dim=64,
        id2label=LABELS.id2label,
        label2id=LABELS.label2id,
    )
    DistilBertForSequenceClassification(config).save_pretrained(out)
    AutoTokenizer.from_pretrained(tiny_bert).save_pretrained(out)
    return out


def test_another_architecture_loads_through_transformers_with_pipelines_scores(
    tiny_bert: Path, tmp_path: Path
) -> None:
    folder = tiny_distilbert_classifier(tiny_bert, tmp_path / "distilbert")
    texts = mixed_texts(7, seed=3)

    classifier = load_classifier(folder, FP32)
    probabilities = predict_proba(classifier, texts, batch_tokens=64)

    assert type(classifier.model).__name__ == "Transformers"
    np.testing.assert_allclose(probabilities, pipeline_scores(folder, texts), atol=1e-6)


def test_a_checkpoint_without_tokenizer_json_tokenizes_as_its_converted_tokenizer(
    tiny_bert: Path, tmp_path: Path
) -> None:
    """A checkpoint with the slow tokenizer's vocab.txt only (older Hub models): transformers
    converts it, and the frozen encoder embeds exactly as with tokenizer.json."""
    slow = Path(shutil.copytree(tiny_bert, tmp_path / "slow"))
    vocab = json.loads((slow / "tokenizer.json").read_text())["model"]["vocab"]
    (slow / "tokenizer.json").unlink()
    (slow / "vocab.txt").write_text("".join(f"{token}\n" for token in sorted(vocab, key=vocab.get)))
    texts = [*mixed_texts(5, seed=4), "Café (naïve), 3.5!"]

    embedded = {
        folder.name: load_encoder(folder, 16, FP32).embed(texts, batch_tokens=64)
        for folder in (tiny_bert, slow)
    }

    np.testing.assert_array_equal(embedded["slow"], embedded[tiny_bert.name])
