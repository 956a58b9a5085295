"""The levers' cross-validation (bench.crossval) on a tiny BERT: folds, out-of-fold predictions from
the train stage's own training, and the probe-keeping models (the weight average loads with plain
`pipeline()`)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from transformers import AutoModelForSequenceClassification, pipeline

from arxivist.data.tokenization import load_tokenizer, tokenize_splits
from arxivist.model.inference import load_classifier, predict_proba
from arxivist.model.training import fine_tune
from arxivist.params import TrainParams
from bench.crossval import (
    PROBE_AVERAGE,
    WEIGHT_AVERAGE,
    Setting,
    average_weights,
    fold_indices,
    fold_predictions,
)
from tests.unit.model.test_training import FP32, LABELS, MAX_LENGTH, TRAIN, frame

POOL = pd.concat([frame([14, 14, 6], seed=1), frame([5, 5, 3], seed=2)], ignore_index=True)


def test_folds_are_stratified_disjoint_and_cover_every_paper() -> None:
    labels = POOL["label"].to_numpy()
    folds = fold_indices(labels, 3, seed=42)
    together = np.concatenate(folds)
    assert sorted(together) == list(range(len(POOL)))
    for held in folds:  # each class split as evenly as the counts allow
        counts = np.bincount(labels[held], minlength=3)
        assert (np.abs(counts - np.bincount(labels) / 3) < 1).all(), counts
    again = fold_indices(labels, 3, seed=42)
    assert all((a == b).all() for a, b in zip(folds, again, strict=True))
    other = fold_indices(labels, 3, seed=7)
    assert any((a != b).any() for a, b in zip(folds, other, strict=True))


def test_fold_predictions_score_only_the_held_out_papers(tiny_bert: Path, tmp_path: Path) -> None:
    held = fold_indices(POOL["label"].to_numpy(), 3, seed=42)[0]
    setting = Setting("defaults", TrainParams(**TRAIN | {"head_init": "linear_probe"}), MAX_LENGTH)
    scores = fold_predictions(POOL, held, setting, LABELS, tiny_bert, FP32, 64 * MAX_LENGTH, True)

    assert set(scores) == {"defaults", PROBE_AVERAGE, WEIGHT_AVERAGE}
    for probabilities in scores.values():
        assert probabilities.shape == (len(held), 3)
        np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-6)
    # The train stage's training on the other folds only, scored as evaluate scores.
    rest = POOL.drop(index=held)
    tokenizer = load_tokenizer(tiny_bert, MAX_LENGTH)
    data = tokenize_splits({"train": rest, "validation": POOL.iloc[held]}, tokenizer, MAX_LENGTH)
    tuned = fine_tune(data, LABELS, tiny_bert, setting.train, tmp_path / "reports", FP32)
    tuned.save(tmp_path / "model", MAX_LENGTH)
    expected = predict_proba(
        load_classifier(tmp_path / "model", FP32),
        POOL.iloc[held]["abstract"].tolist(),
        compute=FP32,
        batch_tokens=64 * MAX_LENGTH,
    )
    np.testing.assert_allclose(scores["defaults"], expected, atol=1e-6)
    assert not np.allclose(scores[WEIGHT_AVERAGE], scores["defaults"])
    alone = fold_predictions(POOL, held, setting, LABELS, tiny_bert, FP32, 64 * MAX_LENGTH)
    np.testing.assert_allclose(alone["defaults"], scores["defaults"], atol=1e-6)  # seeded


def test_the_weight_average_is_a_plain_classifier_that_pipeline_loads(
    tiny_bert: Path, tmp_path: Path
) -> None:
    torch.manual_seed(0)
    first, second = (
        AutoModelForSequenceClassification.from_pretrained(
            tiny_bert, num_labels=3, id2label=LABELS.id2label, label2id=LABELS.label2id
        )
        for _ in range(2)
    )
    before = {name: weight.clone() for name, weight in first.state_dict().items()}
    theirs = second.state_dict()
    average_weights(first, second)

    for name, weight in first.state_dict().items():
        torch.testing.assert_close(weight, (before[name] + theirs[name]) / 2)
    assert not torch.equal(before["classifier.weight"], theirs["classifier.weight"])
    first.save_pretrained(tmp_path)
    classify = pipeline("text-classification", model=str(tmp_path), tokenizer=str(tiny_bert))
    assert classify("robot grasping")[0]["label"] in LABELS.id2label.values()


def test_weights_of_other_shapes_are_refused(tiny_bert: Path) -> None:
    three, two = (
        AutoModelForSequenceClassification.from_pretrained(tiny_bert, num_labels=n) for n in (3, 2)
    )
    with pytest.raises(RuntimeError):
        average_weights(three, two)
