"""Fine-tune a sequence classifier with the Hugging Face Trainer, keeping the best epoch.

Each epoch ends with an evaluation on the validation split; the epoch with the highest macro
one-vs-rest ROC-AUC wins. dvclive records one row per epoch of train loss, validation loss and
validation ROC-AUC under `<reports>/plots/metrics/`, and `<reports>/metrics.json` carries the best
epoch's values. Trainer checkpoints live in a temporary folder outside the repository.
"""

from __future__ import annotations

import logging
import math
import tempfile
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
from datasets import DatasetDict
from dvclive import Live
from transformers import (
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

from arxivist.labels import LabelSet
from arxivist.metrics import check_labels, classification_metrics
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

    def save(self, path: Path) -> None:
        """Write the model (safetensors, config with id2label) and its tokenizer to `path`."""
        self.model.save_pretrained(path)
        self.tokenizer.save_pretrained(path)


def check_training(data: DatasetDict, labels: LabelSet) -> None:
    """Fail before any model is loaded when the splits lack a label or hold an unknown one."""
    for split in (TRAIN, VALIDATION):
        check_labels(np.asarray(data[split]["labels"]), labels.codes, f"the {split} split")


def balanced_class_weights(label_ids: list[int], num_labels: int) -> torch.Tensor:
    """scikit-learn's 'balanced' weights, n_samples / (n_classes * count), for each label id."""
    counts = np.bincount(label_ids, minlength=num_labels)
    return torch.tensor(len(label_ids) / (num_labels * counts), dtype=torch.float32)


def fine_tune(
    data: DatasetDict,
    labels: LabelSet,
    checkpoint: Path,
    params: TrainParams,
    seed: int,
    reports: Path,
) -> FineTuned:
    """Train on data["train"], pick the epoch by data["validation"] ROC-AUC, log curves to reports.

    `seed` seeds Python, NumPy and torch (so the new classification head), and the data order.
    Runs on a CUDA GPU when one is present.
    """
    check_training(data, labels)
    set_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    model = AutoModelForSequenceClassification.from_pretrained(
        checkpoint, num_labels=len(labels), id2label=labels.id2label, label2id=labels.label2id
    )
    weights = None
    if params.class_weights == "balanced":
        weights = balanced_class_weights(data[TRAIN]["labels"], len(labels))
    with (
        tempfile.TemporaryDirectory(prefix="arxivist-train-") as scratch,
        Live(dir=str(reports), dvcyaml=None, save_dvc_exp=False) as live,
    ):
        curves = _EpochCurves(live, params.epochs)
        callbacks: list[TrainerCallback] = [curves]
        if params.early_stopping_patience:
            callbacks.append(EarlyStoppingCallback(params.early_stopping_patience))
        trainer = Trainer(
            model=model,
            args=_arguments(params, seed, scratch, steps=_total_steps(params, len(data[TRAIN]))),
            train_dataset=data[TRAIN],
            eval_dataset=data[VALIDATION],
            data_collator=DataCollatorWithPadding(tokenizer),
            processing_class=tokenizer,
            compute_loss_func=WeightedCrossEntropy(weights),
            compute_metrics=partial(_validation_metrics, codes=labels.codes),
            callbacks=callbacks,
        )
        trainer.remove_callback(PrinterCallback)
        trainer.train()
        tuned = FineTuned(trainer.model, tokenizer, tuple(curves.history))
        live.summary.update(tuned.best.curves(), best_epoch=tuned.best.epoch)
    logger.info("kept the best of %d epochs, %s", len(tuned.history), tuned.best)
    return tuned


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
    """After each epoch's evaluation: one dvclive step (step = epoch) and one log line."""

    def __init__(self, live: Live, epochs: int) -> None:
        self.live = live
        self.epochs = epochs
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
        )
        self.history.append(result)
        self.live.step = result.epoch
        for name, value in result.curves().items():
            self.live.log_metric(name, value)
        self.live.next_step()
        logger.info("%s (of at most %d)", result, self.epochs)


def _validation_metrics(prediction: EvalPrediction, codes: tuple[str, ...]) -> dict[str, float]:
    """The evaluate stage's macro one-vs-rest ROC-AUC, from softmax probabilities."""
    probabilities = torch.softmax(torch.as_tensor(prediction.predictions), dim=-1).numpy()
    metrics = classification_metrics(prediction.label_ids, probabilities, codes)
    return {METRIC: metrics["roc_auc_ovr"]}


def _total_steps(params: TrainParams, train_size: int) -> int:
    return math.ceil(train_size / params.train_batch_size) * params.epochs


def _arguments(params: TrainParams, seed: int, scratch: str, steps: int) -> TrainingArguments:
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
        seed=seed,
        data_seed=seed,
        dataloader_pin_memory=torch.cuda.is_available(),
        report_to="none",
        disable_tqdm=True,
        log_level="warning",
    )
