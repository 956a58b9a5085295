"""Test-set metrics, ROC curves and per-paper predictions, computed from class probabilities.

Columns of a probability matrix are label ids, so column i belongs to `codes[i]`. Every float is
rounded to DIGITS decimals, so the same inputs always give the same bytes on disk.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
    roc_curve,
)

from arxivist.errors import ArxivistError

DIGITS = 6
# Stored per-paper probabilities keep more digits, so that few papers tie; metrics are computed from
# the stored values (`stored()`), so anyone who reads predictions.jsonl gets the same numbers.
PROBABILITY_DIGITS = 9


class MetricsError(ArxivistError):
    """Labels the metrics cannot be computed from (out of range, or a class with no paper)."""


def check_labels(labels: np.ndarray, codes: Sequence[str], source: str) -> None:
    """Fail unless every label is a valid id and every class has a paper (ROC-AUC needs both)."""
    labels = np.asarray(labels)
    if (bad := labels[(labels < 0) | (labels >= len(codes))]).size:
        raise MetricsError(f"{source}: label {bad[0]} is not an id of {list(codes)}")
    if missing := [code for i, code in enumerate(codes) if not (labels == i).any()]:
        raise MetricsError(f"{source} has no paper of {missing}; ROC-AUC needs every class")


# What `dvc metrics show` and `dvc exp show` compare; the per-class detail has its own file.
HEADLINE = ("roc_auc_ovr", "macro_f1")


def headline(metrics: dict[str, Any]) -> dict[str, Any]:
    """The HEADLINE numbers of a classification_metrics result."""
    return {key: metrics[key] for key in HEADLINE}


def classification_metrics(
    labels: np.ndarray, probabilities: np.ndarray, codes: Sequence[str]
) -> dict[str, Any]:
    """roc_auc_ovr, macro_f1, accuracy and per-class precision/recall/f1/roc_auc/support.

    The prediction is the most probable class. roc_auc_ovr is the macro mean of the one-vs-rest
    AUCs, i.e. scikit-learn's `roc_auc_score(..., multi_class="ovr")`; a class that is never
    predicted gets precision and f1 0 without a warning.
    """
    labels = np.asarray(labels)
    check_labels(labels, codes, "labels")
    predicted = probabilities.argmax(axis=1)
    ids = list(range(len(codes)))
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=ids, zero_division=0
    )
    auc = [roc_auc_score(labels == i, probabilities[:, i]) for i in ids]
    per_class = {
        code: {
            "precision": round_value(precision[i]),
            "recall": round_value(recall[i]),
            "f1": round_value(f1[i]),
            "roc_auc": round_value(auc[i]),
            "support": int(support[i]),
        }
        for i, code in enumerate(codes)
    }
    return {
        "roc_auc_ovr": round_value(np.mean(auc)),
        "macro_f1": round_value(np.mean(f1)),
        "accuracy": round_value(accuracy_score(labels, predicted)),
        "per_class": per_class,
    }


def roc_rows(
    labels: np.ndarray, probabilities: np.ndarray, codes: Sequence[str]
) -> list[dict[str, Any]]:
    """The one-vs-rest ROC curves of all classes as one table (one plot file, one line per class):
    rows {"class": code, "fpr", "tpr"}, class by class in label order, each curve running from
    (0, 0) to (1, 1)."""
    labels = np.asarray(labels)
    rows = []
    for i, code in enumerate(codes):
        fpr, tpr, _ = roc_curve(labels == i, probabilities[:, i])
        rows += [
            {"class": code, "fpr": round_value(x), "tpr": round_value(y)}
            for x, y in zip(fpr, tpr, strict=True)
        ]
    return rows


def confusion_cells(
    labels: np.ndarray, probabilities: np.ndarray, codes: Sequence[str]
) -> list[dict[str, Any]]:
    """One {"actual", "predicted", "papers"} row per cell of the confusion matrix, zeros included,
    in label order: the plot shows every class as a row and a column, even one never predicted."""
    counts = confusion_matrix(labels, probabilities.argmax(axis=1), labels=range(len(codes)))
    return [
        {"actual": actual, "predicted": predicted, "papers": int(counts[i, j])}
        for i, actual in enumerate(codes)
        for j, predicted in enumerate(codes)
    ]


def prediction_records(
    name: str,
    ids: Sequence[str],
    labels: np.ndarray,
    probabilities: np.ndarray,
    codes: Sequence[str],
) -> list[dict[str, Any]]:
    """One {"set", "id", "label", "predicted", "probabilities": {code: p}} record per paper of
    the evaluation set `name`."""
    predicted = probabilities.argmax(axis=1)
    return [
        {
            "set": name,
            "id": paper,
            "label": codes[label],
            "predicted": codes[guess],
            "probabilities": rounded(codes, row),
        }
        for paper, label, guess, row in zip(ids, labels, predicted, probabilities, strict=True)
    ]


def stored(probabilities: np.ndarray) -> np.ndarray:
    """Probabilities as predictions.jsonl stores them: rounded to PROBABILITY_DIGITS."""
    return np.round(probabilities, PROBABILITY_DIGITS)


def rounded(codes: Sequence[str], row: np.ndarray) -> dict[str, float]:
    """{code: probability} of one row, as stored."""
    return {code: float(p) for code, p in zip(codes, stored(row), strict=True)}


def round_value(value: float) -> float:
    """A metric as the reports write it: rounded to DIGITS."""
    return round(float(value), DIGITS)
