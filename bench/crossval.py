"""Out-of-fold predictions of the pipeline's own training, for choosing levers on validation data.

The train and validation splits are pooled and cut into stratified folds. For each fold the train
stage's `fine_tune` trains on the other folds (the held-out fold plays the validation split: it
picks the best epoch, as validation does in the pipeline) and the saved model scores the held-out
fold through `arxivist.model.inference`, as the evaluate stage does. Every pooled paper then has a
prediction from a model that never saw it, so a setting is scored on all of train + validation
(1,785 papers of the blog sample rather than the 357 of validation alone), and two settings are
compared paired on the same papers. The test split and the later set are not touched.

Two models that keep the linear probe's strength come from the same folds at no extra training:
`probe average` (the mean of the fine-tuned and the probe's probabilities, which needs two models
at inference) and `weight average` (WiSE-FT, Wortsman et al. 2022: the mean of the fine-tuned and
the probe model's weights, one plain BERT classifier that `pipeline()` loads; it is saved and
scored through `load_classifier` to show it).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import StratifiedKFold
from transformers import DataCollatorWithPadding, PreTrainedModel, set_seed

from arxivist.data.tokenization import TEXT, load_tokenizer, tokenize_splits
from arxivist.labels import LabelSet
from arxivist.model.compute import Compute
from arxivist.model.inference import load_classifier, predict_proba
from arxivist.model.training import VALIDATION, FineTuned, fine_tune, fit_head, load_model
from arxivist.params import TrainParams

PROBE_AVERAGE, WEIGHT_AVERAGE = "probe average", "weight average"


@dataclass(frozen=True)
class Setting:
    """What one lever setting trains with: the train params and the trained length."""

    name: str
    train: TrainParams
    max_length: int


def fold_indices(labels: np.ndarray, folds: int, seed: int) -> list[np.ndarray]:
    """The held-out positions of each stratified, shuffled fold (seeded: the same folds for every
    setting, so settings are paired on the same papers and the same training sets)."""
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return [held for _, held in splitter.split(np.zeros(len(labels)), labels)]


def fold_predictions(
    pool: pd.DataFrame,
    held: np.ndarray,
    setting: Setting,
    labels: LabelSet,
    checkpoint: Path,
    compute: Compute,
    batch_tokens: int,
    with_probe: bool = False,
) -> dict[str, np.ndarray]:
    """{system: probabilities} on the held-out rows `held` of `pool` (rows in `held`'s order):
    the setting's fine-tuned model and, `with_probe`, the probe-keeping models built from it."""
    train = pool.drop(index=pool.index[held])
    held_out = pool.iloc[held]
    tokenizer = load_tokenizer(checkpoint, setting.max_length)
    data = tokenize_splits({"train": train, VALIDATION: held_out}, tokenizer, setting.max_length)
    texts = held_out[TEXT].tolist()
    with tempfile.TemporaryDirectory(prefix="arxivist-fold-") as scratch:
        tuned = fine_tune(
            data, labels, checkpoint, setting.train, Path(scratch) / "reports", compute
        )
        scores = {setting.name: _score(tuned, setting.max_length, texts, compute, batch_tokens)}
        if not with_probe:
            return scores
        set_seed(setting.train.seed)
        probe = load_model(checkpoint, labels, setting.train)
        fit_head(probe, data["train"], DataCollatorWithPadding(tokenizer), setting.train, compute)
        probe_scores = _score(
            FineTuned(probe, tokenizer, ()), setting.max_length, texts, compute, batch_tokens
        )
        average_weights(tuned.model, probe)
        scores[WEIGHT_AVERAGE] = _score(tuned, setting.max_length, texts, compute, batch_tokens)
    scores[PROBE_AVERAGE] = (scores[setting.name] + probe_scores) / 2
    return scores


def average_weights(model: PreTrainedModel, other: PreTrainedModel) -> None:
    """Set each floating-point weight of `model` to the mean of its and `other`'s (same shapes)."""
    theirs = other.state_dict()
    with torch.no_grad():
        for name, weight in model.state_dict().items():
            if weight.is_floating_point():
                weight.copy_((weight + theirs[name].to(weight.device)) / 2)


def _score(
    tuned: FineTuned, max_length: int, texts: list[str], compute: Compute, batch_tokens: int
) -> np.ndarray:
    """Save the model as the train stage does, load it as evaluate does, score `texts`."""
    with tempfile.TemporaryDirectory(prefix="arxivist-model-") as folder:
        tuned.save(Path(folder), max_length)
        classifier = load_classifier(folder, compute)
        return predict_proba(classifier, texts, compute=compute, batch_tokens=batch_tokens)
