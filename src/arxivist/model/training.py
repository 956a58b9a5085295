"""Fine-tune a sequence classifier with the Hugging Face Trainer, keeping the best epoch.

Each epoch ends with an evaluation on the validation split; the epoch with the highest macro
one-vs-rest ROC-AUC wins. dvclive records one row per epoch of train loss, validation loss,
validation ROC-AUC and macro-F1, and the two splits' paper counts (`train_papers`, `val_papers`:
the plots' titles state them) under `<reports>/plots/metrics/`; `<reports>/metrics.json` carries
the best epoch and its validation ROC-AUC (what DVC's tables compare) and `<reports>/details.json`
its other values, the compute and the number of processes. Trainer checkpoints live in a
temporary folder outside the repository.
"""

from __future__ import annotations

import logging
import math
import sys
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
from datasets import Dataset, DatasetDict
from dvclive import Live
from sklearn.linear_model import LogisticRegression
from torch.utils.data import DataLoader
from transformers import (
    AutoConfig,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    EarlyStoppingCallback,
    EvalPrediction,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    PrinterCallback,
    Trainer,
    TrainerCallback,
    TrainingArguments,
    set_seed,
)

from arxivist.atomic import write_json
from arxivist.errors import ArxivistError
from arxivist.evaluation.metrics import check_labels, classification_metrics
from arxivist.labels import LabelSet
from arxivist.model.compute import Compute
from arxivist.model.processes import is_main, shared_scratch, world_size
from arxivist.params import TrainParams

logger = logging.getLogger(__name__)

TRAIN, VALIDATION = "train", "validation"
METRIC = "roc_auc"  # the Trainer reports it as eval_roc_auc


@dataclass(frozen=True)
class EpochResult:
    """One epoch's curves; the field names are the dvclive metric names."""

    epoch: int
    train_loss: float
    val_loss: float
    val_roc_auc: float
    val_macro_f1: float

    def curves(self) -> dict[str, float]:
        return {name: value for name, value in asdict(self).items() if name != "epoch"}

    def __str__(self) -> str:
        values = " ".join(f"{name}={value:.4f}" for name, value in self.curves().items())
        return f"epoch {self.epoch}: {values}"


@dataclass(frozen=True)
class FineTuned:
    """The best epoch's model, its tokenizer, and every epoch's results."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    history: tuple[EpochResult, ...]

    @property
    def best(self) -> EpochResult:
        """The first epoch with the highest validation ROC-AUC (the Trainer's choice, too)."""
        return max(self.history, key=lambda result: result.val_roc_auc)

    def save(self, path: Path, max_length: int) -> None:
        """Write the model (safetensors, config with id2label) and its tokenizer to `path`.

        The tokenizer's model_max_length becomes the trained length, so every reader of the folder
        (evaluate, `arxivist predict`, `pipeline(..., truncation=True)`) cuts where training did.
        """
        self.model.save_pretrained(path)
        self.tokenizer.model_max_length = max_length
        self.tokenizer.save_pretrained(path)


def check_training(data: DatasetDict, labels: LabelSet) -> None:
    """Fail before any model is loaded when the splits lack a label or hold an unknown one."""
    for split in (TRAIN, VALIDATION):
        check_labels(np.asarray(data[split]["labels"]), labels.codes, f"the {split} split")


def balanced_class_weights(label_ids: list[int], num_labels: int) -> torch.Tensor:
    """scikit-learn's 'balanced' weights, n_samples / (n_classes * count), for each label id."""
    counts = np.bincount(label_ids, minlength=num_labels)
    return torch.tensor(len(label_ids) / (num_labels * counts), dtype=torch.float32)


class TrainError(ArxivistError):
    """The checkpoint cannot be trained as the params ask; the message names the param."""


def fine_tune(
    data: DatasetDict,
    labels: LabelSet,
    checkpoint: Path,
    params: TrainParams,
    reports: Path,
    compute: Compute,
) -> FineTuned:
    """Train on data["train"], pick the epoch by data["validation"] ROC-AUC, log curves to reports.

    `params.seed` seeds Python, NumPy and torch (so the new classification head), and the data
    order.
    Runs on `compute.device` in `compute.precision`, in each of the stage's processes (data
    parallel: each process takes train_batch_size rows a step); only rank 0 writes `reports`.
    """
    check_training(data, labels)
    set_seed(params.seed)
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    model = load_model(checkpoint, labels, params)
    weights = None
    if params.class_weights == "balanced":
        weights = balanced_class_weights(data[TRAIN]["labels"], len(labels))
    collator = DataCollatorWithPadding(tokenizer)
    # Rank 0's head only: DistributedDataParallel starts every process from rank 0's weights.
    if params.head_init == "linear_probe" and is_main():
        fit_head(model, data[TRAIN], collator, params, compute)
    curves_log = Live(dir=str(reports), dvcyaml=None, save_dvc_exp=False) if is_main() else None
    with shared_scratch() as scratch, curves_log or nullcontext() as live:
        papers = {"train_papers": len(data[TRAIN]), "val_papers": len(data[VALIDATION])}
        curves = _EpochCurves(live, params.epochs, papers)
        callbacks: list[TrainerCallback] = [curves]
        if params.early_stopping_patience:
            callbacks.append(EarlyStoppingCallback(params.early_stopping_patience))
        steps = _total_steps(params, len(data[TRAIN]))
        trainer = Trainer(
            model=model,
            args=_arguments(params, scratch, steps, compute),
            train_dataset=data[TRAIN],
            eval_dataset=data[VALIDATION],
            data_collator=collator,
            processing_class=tokenizer,
            compute_loss_func=WeightedCrossEntropy(weights),
            compute_metrics=partial(_validation_metrics, codes=labels.codes),
            callbacks=callbacks,
        )
        trainer.remove_callback(PrinterCallback)
        trainer.train()
        tuned = FineTuned(trainer.model, tokenizer, tuple(curves.history))
        if live is not None:  # the best epoch's headline, not the last epoch's logged values
            for name in [*tuned.best.curves(), *papers]:
                live.summary.pop(name, None)
            live.summary.update(best_epoch=tuned.best.epoch, val_roc_auc=tuned.best.val_roc_auc)
    if is_main():
        details = {key: v for key, v in tuned.best.curves().items() if key != "val_roc_auc"}
        write_json(
            reports / "details.json",
            {**details, "compute": compute.describe(), "processes": world_size()},
        )
    logger.info("kept the best of %d epochs, %s", len(tuned.history), tuned.best)
    return tuned


def load_model(checkpoint: Path, labels: LabelSet, params: TrainParams) -> PreTrainedModel:
    """The checkpoint with a new head for `labels`, its attention dropout and frozen layers set.

    Attention dropout 0 lets PyTorch's scaled-dot-product attention take its fused kernel in
    training; frozen layers need no gradients, so the backward pass stops above them.
    """
    config = AutoConfig.from_pretrained(
        checkpoint, num_labels=len(labels), id2label=labels.id2label, label2id=labels.label2id
    )
    if not hasattr(config, "attention_probs_dropout_prob"):
        raise TrainError(
            f"train.attention_dropout: {checkpoint} is not a BERT-style checkpoint "
            "(its config has no attention_probs_dropout_prob)"
        )
    config.attention_probs_dropout_prob = params.attention_dropout
    model = AutoModelForSequenceClassification.from_pretrained(
        checkpoint, config=config, use_safetensors=True
    )
    layers = model.base_model.encoder.layer
    if params.frozen_layers > len(layers):
        raise TrainError(
            f"train.frozen_layers={params.frozen_layers} exceeds the {len(layers)} encoder "
            f"layers of {checkpoint}"
        )
    if params.frozen_layers:
        for module in (model.base_model.embeddings, *layers[: params.frozen_layers]):
            module.requires_grad_(False)
    return model


def fit_head(
    model: PreTrainedModel,
    train: Dataset,
    collator: DataCollatorWithPadding,
    params: TrainParams,
    compute: Compute,
) -> None:
    """LP-FT's first step: fit a logistic regression on the frozen model's pooled features and
    start the classification head from it, so fine-tuning starts at a linear probe's quality
    rather than at chance (Kumar et al. 2022)."""
    if not isinstance(getattr(model, "classifier", None), torch.nn.Linear):
        raise TrainError(
            "train.head_init: linear_probe needs a BERT-style head (a pooler and one linear "
            f"classifier), which {type(model).__name__} has not; use train.head_init: random"
        )
    features = pooled_features(model, train, collator, params.eval_batch_size, compute)
    targets = np.asarray(train["labels"])
    weighting = "balanced" if params.class_weights == "balanced" else None
    probe = LogisticRegression(max_iter=2000, class_weight=weighting).fit(features, targets)
    weight, bias = probe.coef_, probe.intercept_
    if weight.shape[0] == 1:  # two labels: softmax over (-z/2, z/2) is the probe's sigmoid(z)
        weight, bias = np.vstack([-weight / 2, weight / 2]), np.concatenate([-bias / 2, bias / 2])
    with torch.no_grad():
        model.classifier.weight.copy_(torch.as_tensor(weight))
        model.classifier.bias.copy_(torch.as_tensor(bias))
    logger.info("head initialised by a linear probe on %d frozen feature rows", len(targets))


def pooled_features(
    model: PreTrainedModel,
    dataset: Dataset,
    collator: DataCollatorWithPadding,
    batch_size: int,
    compute: Compute,
) -> np.ndarray:
    """The base model's pooled output (the head's input) for every row of `dataset`, in order."""
    inputs = collator.tokenizer.model_input_names
    rows = dataset.remove_columns([c for c in dataset.column_names if c not in inputs])
    loader = DataLoader(rows, batch_size=batch_size, collate_fn=collator)
    model.to(compute.device).eval()
    chunks = []
    with torch.inference_mode(), compute.autocast():
        for batch in loader:
            output = model.base_model(**batch.to(compute.device))
            chunks.append(output.pooler_output.float().cpu().numpy())
    return np.concatenate(chunks)


class WeightedCrossEntropy:
    """Cross-entropy with optional per-label weights, as the Trainer's `compute_loss_func`."""

    def __init__(self, weights: torch.Tensor | None) -> None:
        self.weights = weights

    def __call__(
        self, outputs, labels: torch.Tensor, num_items_in_batch: int | torch.Tensor | None = None
    ) -> torch.Tensor:
        logits = outputs["logits"]
        weights = None if self.weights is None else self.weights.to(logits.device)
        total = torch.nn.functional.cross_entropy(logits, labels, weight=weights, reduction="sum")
        return total / (labels.numel() if num_items_in_batch is None else num_items_in_batch)


class _EpochCurves(TrainerCallback):
    """After each epoch's evaluation: one dvclive step (step = epoch, rank 0 only: `live` is
    None elsewhere) with the epoch's curves and the `papers` counts, and one log line."""

    def __init__(self, live: Live | None, epochs: int, papers: dict[str, int]) -> None:
        self.live = live
        self.epochs = epochs
        self.papers = papers
        self.history: list[EpochResult] = []
        self._train_loss = math.nan

    def on_log(self, args, state, control, logs=None, **kwargs) -> None:
        if logs and "loss" in logs:  # the epoch's mean training loss, logged before evaluation
            self._train_loss = float(logs["loss"])

    def on_evaluate(self, args, state, control, metrics=None, **kwargs) -> None:
        result = EpochResult(
            epoch=len(self.history) + 1,
            train_loss=self._train_loss,
            val_loss=float(metrics["eval_loss"]),
            val_roc_auc=float(metrics[f"eval_{METRIC}"]),
            val_macro_f1=float(metrics["eval_macro_f1"]),
        )
        self.history.append(result)
        if self.live is not None:
            self.live.step = result.epoch
            for name, value in {**result.curves(), **self.papers}.items():
                self.live.log_metric(name, value)
            self.live.next_step()
        logger.info("%s (of at most %d)", result, self.epochs)


def _validation_metrics(prediction: EvalPrediction, codes: tuple[str, ...]) -> dict[str, float]:
    """The evaluate stage's macro one-vs-rest ROC-AUC and macro-F1, from softmax probabilities."""
    probabilities = torch.softmax(torch.as_tensor(prediction.predictions), dim=-1).numpy()
    metrics = classification_metrics(prediction.label_ids, probabilities, codes)
    return {METRIC: metrics["roc_auc_ovr"], "macro_f1": metrics["macro_f1"]}


def _total_steps(params: TrainParams, train_size: int) -> int:
    """Optimizer steps of the run: each step takes train_batch_size rows in every process."""
    return math.ceil(train_size / (params.train_batch_size * world_size())) * params.epochs


def _arguments(
    params: TrainParams, scratch: str, steps: int, compute: Compute
) -> TrainingArguments:
    return TrainingArguments(
        output_dir=scratch,
        learning_rate=params.learning_rate,
        per_device_train_batch_size=params.train_batch_size,
        per_device_eval_batch_size=params.eval_batch_size,
        num_train_epochs=params.epochs,
        weight_decay=params.weight_decay,
        lr_scheduler_type="linear",
        # An int: the Trainer would read a float 1.0 as one step rather than as a ratio.
        warmup_steps=math.ceil(steps * params.warmup_ratio),
        eval_strategy="epoch",
        logging_strategy="epoch",
        save_strategy="epoch",
        save_only_model=True,
        save_total_limit=1,
        load_best_model_at_end=True,
        metric_for_best_model=METRIC,
        greater_is_better=True,
        seed=params.seed,
        data_seed=params.seed,
        train_sampling_strategy="group_by_length" if params.group_by_length else "random",
        bf16=compute.precision == "bf16",
        use_cpu=compute.device == "cpu",
        dataloader_pin_memory=compute.device == "cuda",
        report_to="none",
        # A progress bar with ETA over the steps in a terminal; none in a log file.
        disable_tqdm=not sys.stderr.isatty(),
        log_level="warning",
    )
