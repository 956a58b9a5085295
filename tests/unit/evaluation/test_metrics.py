"""The metric functions on inputs small enough to work out by hand."""

import warnings

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from arxivist.evaluation.metrics import (
    MetricsError,
    classification_metrics,
    confusion_cells,
    prediction_records,
    roc_rows,
)

CODES = ("cs.AI", "cs.IR", "cs.RO")

# Rows sum to 1; the argmax predicts [0, 1, 1, 1, 2, 0] for the labels [0, 0, 1, 1, 2, 2].
LABELS = np.array([0, 0, 1, 1, 2, 2])
PROBABILITIES = np.array(
    [
        [0.6, 0.3, 0.1],
        [0.3, 0.5, 0.2],
        [0.2, 0.7, 0.1],
        [0.1, 0.8, 0.1],
        [0.1, 0.2, 0.7],
        [0.5, 0.1, 0.4],
    ]
)


def test_perfect_predictions_score_one() -> None:
    labels = np.array([0, 1, 2, 2, 1, 0, 2])
    metrics = classification_metrics(labels, np.eye(3)[labels], CODES)
    assert metrics["roc_auc_ovr"] == metrics["macro_f1"] == metrics["accuracy"] == 1.0
    assert {code: m["support"] for code, m in metrics["per_class"].items()} == {
        "cs.AI": 2,
        "cs.IR": 2,
        "cs.RO": 3,
    }
    for per_class in metrics["per_class"].values():
        assert per_class["precision"] == per_class["recall"] == per_class["f1"] == 1.0
        assert per_class["roc_auc"] == 1.0


def test_a_known_confusion() -> None:
    metrics = classification_metrics(LABELS, PROBABILITIES, CODES)
    # cs.AI: TP 1, FP 1, FN 1; cs.IR: TP 2, FP 1, FN 0; cs.RO: TP 1, FP 0, FN 1.
    # One-vs-rest AUC: cs.AI wins 7 of its 8 (positive, negative) pairs, the others all 8.
    assert metrics == {
        "accuracy": 0.666667,
        "macro_f1": round((0.5 + 0.8 + 2 / 3) / 3, 6),
        "roc_auc_ovr": round((7 / 8 + 1 + 1) / 3, 6),
        "per_class": {
            "cs.AI": {"precision": 0.5, "recall": 0.5, "f1": 0.5, "roc_auc": 0.875, "support": 2},
            "cs.IR": {
                "precision": 0.666667,
                "recall": 1.0,
                "f1": 0.8,
                "roc_auc": 1.0,
                "support": 2,
            },
            "cs.RO": {
                "precision": 1.0,
                "recall": 0.5,
                "f1": 0.666667,
                "roc_auc": 1.0,
                "support": 2,
            },
        },
    }
    sklearn_ovr = roc_auc_score(LABELS, PROBABILITIES, multi_class="ovr")
    assert metrics["roc_auc_ovr"] == round(sklearn_ovr, 6)


def test_a_class_never_predicted_scores_zero_without_warnings() -> None:
    labels = np.array([0, 1, 2, 2])
    probabilities = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.5, 0.1, 0.4], [0.1, 0.6, 0.3]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        metrics = classification_metrics(labels, probabilities, CODES)
    assert metrics["per_class"]["cs.RO"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "roc_auc": 1.0,
        "support": 2,
    }
    assert metrics["macro_f1"] == round((2 / 3 + 2 / 3 + 0) / 3, 6)


@pytest.mark.parametrize(
    ("labels", "problem"),
    [(np.array([0, 1, 1, 0]), r"no paper of \['cs.RO'\]"), (np.array([0, 1, 2, 3]), "label 3")],
)
def test_labels_the_metrics_cannot_use(labels: np.ndarray, problem: str) -> None:
    with pytest.raises(MetricsError, match=problem):
        classification_metrics(labels, np.full((4, 3), 1 / 3), CODES)


def test_roc_rows_hold_every_class_curve_in_label_order_from_origin_to_one() -> None:
    rows = roc_rows(LABELS, PROBABILITIES, CODES)
    assert all(set(row) == {"class", "fpr", "tpr"} for row in rows)
    classes = [row["class"] for row in rows]
    assert list(dict.fromkeys(classes)) == list(CODES)
    assert classes == sorted(classes, key=CODES.index)  # each class's rows together
    curves = {
        code: [{"fpr": r["fpr"], "tpr": r["tpr"]} for r in rows if r["class"] == code]
        for code in CODES
    }
    for points in curves.values():
        assert points[0] == {"fpr": 0.0, "tpr": 0.0}
        assert points[-1] == {"fpr": 1.0, "tpr": 1.0}
        fpr = [p["fpr"] for p in points]
        tpr = [p["tpr"] for p in points]
        assert fpr == sorted(fpr) and tpr == sorted(tpr)
    # cs.IR separates perfectly: its curve reaches tpr 1 at fpr 0.
    assert {"fpr": 0.0, "tpr": 1.0} in curves["cs.IR"]
    assert {"fpr": 0.0, "tpr": 1.0} not in curves["cs.AI"]


def test_confusion_cells_and_prediction_records_name_codes_in_input_order() -> None:
    cells = confusion_cells(LABELS, PROBABILITIES, CODES)
    assert [(c["actual"], c["predicted"], c["papers"]) for c in cells] == [
        ("cs.AI", "cs.AI", 1),
        ("cs.AI", "cs.IR", 1),
        ("cs.AI", "cs.RO", 0),
        ("cs.IR", "cs.AI", 0),
        ("cs.IR", "cs.IR", 2),
        ("cs.IR", "cs.RO", 0),
        ("cs.RO", "cs.AI", 1),
        ("cs.RO", "cs.IR", 0),
        ("cs.RO", "cs.RO", 1),
    ]
    ids = [f"2401.0000{i}" for i in range(6)]
    records = prediction_records("test", ids, LABELS, PROBABILITIES, CODES)
    assert [r["id"] for r in records] == ids
    assert records[5] == {
        "set": "test",
        "id": "2401.00005",
        "label": "cs.RO",
        "predicted": "cs.AI",
        "probabilities": {"cs.AI": 0.5, "cs.IR": 0.1, "cs.RO": 0.4},
    }


def test_confusion_cells_keep_a_class_the_model_never_predicts() -> None:
    always_ai = np.tile([0.9, 0.05, 0.05], (len(LABELS), 1))
    cells = confusion_cells(LABELS, always_ai, CODES)
    assert len(cells) == len(CODES) ** 2
    assert all(c["papers"] == 0 for c in cells if c["predicted"] != "cs.AI")
    assert sum(c["papers"] for c in cells if c["predicted"] == "cs.AI") == len(LABELS)
