"""The model card's contents, before any markdown: the reports it states, loaded and checked
(CardError names the file and key a report lacks), and the summary of the data it describes.
The rendering is arxivist.publishing.card_text's.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from arxivist.data.dedup import FETCH_KINDS
from arxivist.errors import ArxivistError
from arxivist.evaluation.metrics import HEADLINE
from arxivist.evaluation.sets import BASELINES, SETS
from arxivist.labels import LabelSet

# (model-index metric type, its config, the name shown, the key in reports/eval/details.json)
METRICS = (
    ("roc_auc", "ovr", "ROC-AUC (one-vs-rest)", "roc_auc_ovr"),
    ("f1", "macro", "F1 (macro)", "macro_f1"),
    ("accuracy", None, "Accuracy", "accuracy"),
)
PER_CLASS = ("precision", "recall", "f1", "roc_auc", "support")
SYSTEMS = ("model", *BASELINES)


class CardError(ArxivistError):
    """A metrics report that lacks what the card must state; the message names file and key."""


@dataclass(frozen=True)
class DataSummary:
    """Papers per category and split, and the span of their publication dates when known, in all
    and per category (None: no date known)."""

    splits: tuple[str, ...]
    counts: dict[str, dict[str, int]]  # category code -> split name -> papers
    first_published: dt.date | None
    last_published: dt.date | None
    spans: dict[str, tuple[dt.date, dt.date] | None]  # category code -> first, last published

    @classmethod
    def from_splits(cls, splits: Mapping[str, pd.DataFrame], labels: LabelSet) -> DataSummary:
        counts = {code: dict.fromkeys(splits, 0) for code in labels.codes}
        for name, frame in splits.items():
            for label, n in frame["label"].value_counts().items():
                counts[labels.codes[int(label)]][name] = int(n)
        rows = pd.concat([frame[["label", "published"]] for frame in splits.values()])
        rows["published"] = pd.to_datetime(
            rows["published"], utc=True, format="ISO8601", errors="coerce"
        )
        dates = rows.dropna(subset=["published"])
        spans: dict[str, tuple[dt.date, dt.date] | None] = dict.fromkeys(labels.codes)
        for label, days in dates.groupby("label")["published"]:
            spans[labels.codes[int(label)]] = (days.min().date(), days.max().date())
        if dates.empty:
            return cls(tuple(splits), counts, None, None, spans)
        first, last = dates["published"].min().date(), dates["published"].max().date()
        return cls(tuple(splits), counts, first, last, spans)


def load_report(metrics: Path, details: Path) -> dict[str, Any]:
    """A stage's two reports as one mapping: the headline numbers of `metrics` (what DVC's tables
    compare) merged, mapping by mapping, with the rest in `details`."""
    parts = [json.loads(path.read_text(encoding="utf-8")) for path in (metrics, details)]
    if not all(isinstance(part, dict) for part in parts):
        raise CardError(f"{metrics} and {details} must hold JSON objects")
    return _merge(parts[1], parts[0])


def load_fetch_report(path: Path) -> dict[str, Any]:
    """reports/fetch/papers.json: a count and examples for each kind of repair and drop."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise CardError(f"{path}: not JSON ({err})") from None
    for kind in FETCH_KINDS:
        tally = report.get(kind) if isinstance(report, dict) else None
        if not (
            isinstance(tally, dict)
            and isinstance(tally.get("count"), int)
            and isinstance(tally.get("examples"), list)
        ):
            raise CardError(f"{path}: missing {kind} (a count and examples)")
    return report


def _merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in update.items():
        both = isinstance(value, dict) and isinstance(merged.get(key), dict)
        merged[key] = _merge(merged[key], value) if both else value
    return merged


def check_eval_metrics(metrics: Any, labels: LabelSet, source: str) -> None:
    """Fail unless `metrics` has every number the card states, for each evaluation set: each
    system's metrics, per class and intervals, and the model's paired differences."""
    if not isinstance(metrics, dict):
        raise CardError(f"{source}: expected a JSON object")
    for name in SETS:
        report = metrics.get(name)
        if not isinstance(report, dict) or not isinstance(report.get("papers"), int):
            raise CardError(f"{source}: missing integer {name}.papers")
        for system in SYSTEMS:
            part = report.get(system)
            for *_, key in METRICS:
                if not isinstance(part, dict) or not isinstance(part.get(key), int | float):
                    raise CardError(f"{source}: missing number {name}.{system}.{key}")
            per_class = part.get("per_class")
            for code in labels.codes:
                scores = per_class.get(code) if isinstance(per_class, dict) else None
                if not isinstance(scores, dict) or any(k not in scores for k in PER_CLASS):
                    raise CardError(
                        f"{source}: {name}.{system}.per_class.{code} needs {', '.join(PER_CLASS)}"
                    )
            _check_intervals(part.get("intervals"), f"{source}: {name}.{system}.intervals")
        differences = report.get("differences")
        for baseline in SYSTEMS[1:]:
            pair = differences.get(f"model - {baseline}") if isinstance(differences, dict) else None
            _check_intervals(pair, f"{source}: {name}.differences.model - {baseline}")


def _check_intervals(intervals: Any, where: str) -> None:
    for key in HEADLINE:
        bounds = intervals.get(key) if isinstance(intervals, dict) else None
        if not isinstance(bounds, dict) or any(
            not isinstance(bounds.get(k), int | float) for k in ("value", "low", "high")
        ):
            raise CardError(f"{where}.{key} needs value, low and high")
