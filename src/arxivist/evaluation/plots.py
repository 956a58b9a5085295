"""The evaluate stage's plot data, drawn by dvc.yaml's top-level `plots` (templates in .dvc/plots/).

For each evaluation set, under `<plots>/<set>/`: the model's confusion cells and ROC curves; for
the later set also the systems side by side (each HEADLINE metric with its interval) and the
paired differences model - baseline. Every row carries `set_papers`, the set's paper count, which
the templates write into the chart's title where it says `{set_papers}`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from arxivist.atomic import write_json
from arxivist.evaluation.metrics import HEADLINE, confusion_cells, roc_rows
from arxivist.evaluation.sets import BASELINES

COMPARED = "later"  # the set whose systems and paired differences are drawn
METRIC_NAMES = {"roc_auc_ovr": "ROC-AUC", "macro_f1": "macro-F1"}
SYSTEM_NAMES = {
    "model": "fine-tuned model",
    "encoder": "frozen encoder + LR",
    "tfidf": "TF-IDF + LR",
}


def interval_rows(
    field: str, name: str, intervals: Mapping[str, Mapping[str, Any]], papers: int, **extra: Any
) -> list[dict[str, Any]]:
    """One row per HEADLINE metric, as template `intervals` draws them: {field: name, "metric",
    "value", "low", "high" (and whatever else the interval holds, e.g. a verdict), "set_papers",
    **extra}."""
    return [
        {field: name, "metric": METRIC_NAMES[m], **intervals[m], "set_papers": papers, **extra}
        for m in HEADLINE
    ]


def system_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The model and each baseline on one set (`report`: a set of details.json)."""
    return [
        row
        for system in ("model", *BASELINES)
        for row in interval_rows(
            "system", SYSTEM_NAMES[system], report[system]["intervals"], report["papers"]
        )
    ]


def pair_label(pair: str) -> str:
    """'model - encoder' -> 'fine-tuned model - frozen encoder + LR'."""
    first, _, second = pair.partition(" - ")
    return f"{SYSTEM_NAMES.get(first, first)} - {SYSTEM_NAMES.get(second, second)}"


def difference_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The paired differences model - baseline on one set, each with its verdict."""
    return [
        row
        for pair, by_metric in report["differences"].items()
        for row in interval_rows("pair", pair_label(pair), by_metric, report["papers"])
    ]


def write_plots(
    out: Path,
    sets: Mapping[str, pd.DataFrame],
    scores: Mapping[str, Mapping[str, np.ndarray]],
    reports: Mapping[str, Mapping[str, Any]],
    codes: Sequence[str],
) -> None:
    """Write the plot files under `out`. `scores`: set -> system -> probabilities; `reports`:
    set -> its report in details.json."""
    for name, frame in sets.items():
        truth, model = frame["label"].to_numpy(), scores[name]["model"]
        counted = {"set_papers": len(frame)}
        cells = confusion_cells(truth, model, codes)
        write_json(out / name / "confusion.json", [cell | counted for cell in cells])
        curves = roc_rows(truth, model, codes)
        write_json(out / name / "roc.json", [row | counted for row in curves])
    write_json(out / COMPARED / "systems.json", system_rows(reports[COMPARED]))
    write_json(out / COMPARED / "differences.json", difference_rows(reports[COMPARED]))
