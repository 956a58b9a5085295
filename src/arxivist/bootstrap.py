"""Stratified bootstrap intervals for the headline metrics, and paired differences between systems.

A resample draws, within each class, as many papers as the class has, with replacement, so every
resample keeps the class sizes (and every class, which ROC-AUC needs). Intervals are the 2.5th and
97.5th percentiles of a metric over the resamples. A paired difference scores two systems on the
*same* resamples of the same papers, so what both get right or wrong together cancels out: it is
far narrower than the two intervals side by side. The resamples come from a seeded generator, so
the same predictions and seed give the same numbers.

The metrics are computed for all resamples at once (ROC-AUC from ranks, macro-F1 from confusion
counts) and agree with scikit-learn's `roc_auc_score(..., multi_class="ovr")` and `f1_score(...,
average="macro")` on every resample (tested).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import numpy as np
from scipy.stats import rankdata

from arxivist.metrics import HEADLINE, classification_metrics, round_value

LEVEL = 0.95
CHUNK = 200  # resamples scored at once: bounds memory at CHUNK x papers floats per array

Verdict = Literal["better", "worse", "no evidence"]
T = TypeVar("T", bound="Interval")


@dataclass(frozen=True)
class Interval:
    """A point estimate on all papers and its bootstrap interval."""

    value: float
    low: float
    high: float

    def record(self) -> dict[str, float]:
        return {
            "value": round_value(self.value),
            "low": round_value(self.low),
            "high": round_value(self.high),
        }

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


@dataclass(frozen=True)
class Difference(Interval):
    """A paired difference A - B with its interval and what it says."""

    @property
    def verdict(self) -> Verdict:
        """better: the whole interval above 0; worse: below 0; else no evidence either way."""
        if self.low > 0:
            return "better"
        if self.high < 0:
            return "worse"
        return "no evidence"

    def record(self) -> dict[str, float | str]:
        return {**super().record(), "verdict": self.verdict}

    def __str__(self) -> str:
        return f"{self.value:+.3f} [{self.low:+.3f}, {self.high:+.3f}]"


@dataclass(frozen=True)
class Resamples:
    """Stratified bootstrap resamples of a labelled set of papers, drawn in chunks on demand.

    Papers are grouped by class (`order`); each resample is a row of positions into that order
    whose first `sizes[0]` entries are class 0, the next `sizes[1]` class 1, and so on.
    """

    labels: np.ndarray
    n_classes: int
    count: int
    seed: int

    @property
    def order(self) -> np.ndarray:
        return np.argsort(self.labels, kind="stable")

    @property
    def sizes(self) -> np.ndarray:
        return np.bincount(self.labels, minlength=self.n_classes)

    def chunks(self) -> Iterator[np.ndarray]:
        """Paper indices, shape (resamples in the chunk, papers), CHUNK resamples at a time."""
        rng = np.random.default_rng(self.seed)
        order, sizes = self.order, self.sizes
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        for first in range(0, self.count, CHUNK):
            rows = min(CHUNK, self.count - first)
            picks = [
                start + rng.integers(0, size, size=(rows, size))
                for start, size in zip(starts, sizes, strict=True)
            ]
            yield order[np.concatenate(picks, axis=1)]


def resamples(labels: np.ndarray, n_classes: int, count: int, seed: int) -> Resamples:
    """`count` stratified resamples of papers with `labels` (ids 0..n_classes-1, each present)."""
    labels = np.asarray(labels)
    if count < 1:
        raise ValueError(f"resamples: count must be >= 1, got {count}")
    if (np.bincount(labels, minlength=n_classes) == 0).any():
        raise ValueError("resamples: every class needs a paper")
    return Resamples(labels, n_classes, count, seed)


def macro_f1(labels: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """Macro-F1 of each row of (resamples, papers) label and prediction arrays."""
    rows = labels.shape[0]
    cells = labels * n_classes + predicted + (np.arange(rows) * n_classes**2)[:, None]
    counts = np.bincount(cells.ravel(), minlength=rows * n_classes**2)
    confusion = counts.reshape(rows, n_classes, n_classes)
    hits = np.diagonal(confusion, axis1=1, axis2=2)
    denominator = confusion.sum(axis=1) + confusion.sum(axis=2)  # predicted + actual = 2tp+fp+fn
    f1 = np.divide(2 * hits, denominator, out=np.zeros(hits.shape), where=denominator > 0)
    return f1.mean(axis=1)


def roc_auc_ovr(probabilities: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Macro one-vs-rest ROC-AUC of each row of (resamples, papers, classes) probabilities whose
    papers are grouped by class in blocks of `sizes` (as Resamples lays them out)."""
    papers = probabilities.shape[1]
    ends = np.cumsum(sizes)
    aucs = []
    for i, (end, size) in enumerate(zip(ends, sizes, strict=True)):
        ranks = rankdata(probabilities[:, :, i], axis=1)  # ties share their mean rank
        positives = ranks[:, end - size : end].sum(axis=1)
        aucs.append((positives - size * (size + 1) / 2) / (size * (papers - size)))
    return np.mean(aucs, axis=0)


def headline_draws(
    labels: np.ndarray, probabilities: np.ndarray, indices: np.ndarray, sizes: np.ndarray
) -> dict[str, np.ndarray]:
    """Each HEADLINE metric on each resample (rows of `indices`)."""
    n_classes = probabilities.shape[1]
    drawn = probabilities[indices]
    return {
        "roc_auc_ovr": roc_auc_ovr(drawn, sizes),
        "macro_f1": macro_f1(labels[indices], drawn.argmax(axis=2), n_classes),
    }


def _point(labels: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    """The HEADLINE metrics on all papers: the identity resample."""
    identity = np.argsort(labels, kind="stable")[None, :]
    sizes = np.bincount(labels, minlength=probabilities.shape[1])
    draws = headline_draws(labels, probabilities, identity, sizes)
    return {metric: float(values[0]) for metric, values in draws.items()}


def intervals(
    probabilities: dict[str, np.ndarray], draws: Resamples
) -> tuple[dict[str, dict[str, Interval]], dict[str, dict[str, Difference]]]:
    """Each system's HEADLINE intervals and, for each system after the first, the paired
    difference first - system, all on the same resamples.

    `probabilities`: system name -> (papers, classes), rows in the order of `draws.labels`.
    Returns ({system: {metric: Interval}}, {"first - system": {metric: Difference}}).
    """
    labels = draws.labels
    per_system: dict[str, dict[str, list[np.ndarray]]] = {
        name: {metric: [] for metric in HEADLINE} for name in probabilities
    }
    for indices in draws.chunks():
        for name, p in probabilities.items():
            for metric, values in headline_draws(labels, p, indices, draws.sizes).items():
                per_system[name][metric].append(values)
    drawn = {
        name: {metric: np.concatenate(parts) for metric, parts in metrics.items()}
        for name, metrics in per_system.items()
    }
    points = {name: _point(labels, p) for name, p in probabilities.items()}
    systems = {
        name: {m: _interval(Interval, points[name][m], drawn[name][m]) for m in HEADLINE}
        for name in probabilities
    }
    first, *others = probabilities
    differences = {
        f"{first} - {other}": {
            m: _interval(
                Difference,
                points[first][m] - points[other][m],
                drawn[first][m] - drawn[other][m],
            )
            for m in HEADLINE
        }
        for other in others
    }
    return systems, differences


def set_report(
    labels: np.ndarray,
    scores: dict[str, np.ndarray],
    codes: Sequence[str],
    count: int,
    seed: int,
) -> dict[str, Any]:
    """One evaluation set's full report: each system's metrics with the bootstrap interval of
    each HEADLINE metric, and the paired differences between the first system and each other.

    `scores`: system name -> probabilities, the model first; `count` resamples drawn from `seed`.
    """
    systems, differences = intervals(scores, resamples(labels, len(codes), count, seed))
    report: dict[str, Any] = {"papers": len(labels)}
    for name, probabilities in scores.items():
        metrics = classification_metrics(labels, probabilities, codes)
        metrics["intervals"] = {m: systems[name][m].record() for m in HEADLINE}
        report[name] = metrics
    report["differences"] = {
        pair: {m: difference.record() for m, difference in by_metric.items()}
        for pair, by_metric in differences.items()
    }
    return report


def _interval(kind: type[T], value: float, draws: np.ndarray) -> T:
    low, high = np.percentile(draws, [100 * (1 - LEVEL) / 2, 100 * (1 + LEVEL) / 2])
    return kind(float(value), float(low), float(high))
