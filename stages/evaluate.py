"""evaluate: the model and a TF-IDF baseline on the test split -> metrics, plots and predictions.

reports/eval/metrics.json holds the headline numbers (what `dvc metrics show`, `dvc metrics diff`
and `dvc exp show` compare); reports/eval/details.json accuracy, the per-class detail, the test
size and the compute used.
"""

import logging
from pathlib import Path

import pandas as pd

from arxivist.atomic import atomic_path, write_json, write_jsonl
from arxivist.baseline import fit_baseline
from arxivist.compute import resolve
from arxivist.inference import load_classifier, predict_proba
from arxivist.labels import LabelSet
from arxivist.metrics import (
    HEADLINE,
    check_labels,
    classification_metrics,
    confusion_cells,
    headline,
    prediction_records,
    roc_rows,
)
from arxivist.params import load_params
from arxivist.stage import run_stage
from arxivist.tokenization import TEXT

log = logging.getLogger("evaluate")


def evaluate(model: Path, splits: Path, labels: Path, out: Path) -> None:
    params = load_params()
    label_set = LabelSet.load(labels)
    codes = label_set.codes
    train = pd.read_parquet(splits / "train.parquet")
    test = pd.read_parquet(splits / "test.parquet")
    truth = test["label"].to_numpy()
    check_labels(truth, codes, str(splits / "test.parquet"))
    compute = resolve(params.evaluate.precision)
    classifier = load_classifier(model, compute)
    classifier.check_labels(label_set, model)

    baseline = fit_baseline(train[TEXT], train["label"].to_numpy(), codes, params.evaluate)
    scores = {
        "model": predict_proba(
            classifier,
            test[TEXT].tolist(),
            compute=compute,
            batch_tokens=params.evaluate.batch_tokens,
            progress=True,
        ),
        "baseline": baseline.predict_proba(test[TEXT]),
    }
    metrics = {name: classification_metrics(truth, p, codes) for name, p in scores.items()}
    write_json(out / "metrics.json", {name: headline(m) for name, m in metrics.items()})
    rest = {name: {k: v for k, v in m.items() if k not in HEADLINE} for name, m in metrics.items()}
    write_json(out / "details.json", {**rest, "n_test": len(test), "compute": compute.describe()})
    write_jsonl(
        out / "predictions.jsonl", prediction_records(test["id"], truth, scores["model"], codes)
    )
    with atomic_path(out / "plots") as plots:
        write_json(plots / "confusion.json", confusion_cells(truth, scores["model"], codes))
        write_json(plots / "roc.json", roc_rows(truth, scores["model"], codes))
    for name, m in metrics.items():
        log.info(
            "%s: roc_auc_ovr=%s macro_f1=%s accuracy=%s",
            name,
            m["roc_auc_ovr"],
            m["macro_f1"],
            m["accuracy"],
        )


if __name__ == "__main__":
    run_stage(evaluate, "model", "splits", "labels", "out", doc=__doc__)
