"""Stratified bootstrap intervals for the headline metrics, and paired differences between systems.

A resample draws, within each class, as many papers as the class has, with replacement, so every
resample keeps the class sizes (and every class, which ROC-AUC needs). Intervals are the 2.5th and
97.5th percentiles of a metric over the resamples. A paired difference scores two systems on the
*same* resamples of the same papers, so what both get right or wrong together cancels out: it is
far narrower than the two intervals side by side. The resamples come from a seeded generator, so
the same predictions and seed give the same numbers.

The metrics are computed for all resamples at once, from how many times each resample drew each
paper: ROC-AUC from the Mann-Whitney U counted in integers over papers ranked once, macro-F1 from
confusion counts. They agree with scikit-learn's `roc_auc_score(..., multi_class="ovr")` and
`f1_score(..., average="macro")` on every resample (tested).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import numpy as np

from arxivist.evaluation.metrics import HEADLINE, classification_metrics, round_value

LEVEL = 0.95
CHUNK = 200  # resamples scored at once: bounds memory at CHUNK x papers floats per array

Verdict = Literal["better", "worse", "no evidence"]
T = TypeVar("T", bound="Interval")
K = TypeVar("K", bound=Hashable)


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


def weights(indices: np.ndarray, papers: int) -> np.ndarray:
    """How many times each resample (row of `indices`) drew each paper: (resamples, papers)."""
    rows = indices.shape[0]
    offsets = (np.arange(rows) * papers)[:, None]
    counts = np.bincount((indices + offsets).ravel(), minlength=rows * papers)
    return counts.reshape(rows, papers).astype(np.int32)  # half the memory traffic of int64


@dataclass(frozen=True)
class Ranked:
    """One system's probabilities, made ready to score any resample of its papers: for each
    class, its papers, the other papers in order of that class's probability, and for each paper
    of the class how many of the others score below it and how many at most as high; and each
    paper's confusion cell."""

    positives: tuple[np.ndarray, ...]
    negatives: tuple[np.ndarray, ...]
    below: tuple[np.ndarray, ...]
    up_to: tuple[np.ndarray, ...]
    cells: np.ndarray  # (papers, classes^2): one-hot of label * classes + predicted class


def ranked(labels: np.ndarray, probabilities: np.ndarray) -> Ranked:
    """`probabilities` (papers, classes) of papers with `labels`, ranked per class."""
    n_classes = probabilities.shape[1]
    parts: list[list[np.ndarray]] = [[], [], [], []]
    for i in range(n_classes):
        scores = probabilities[:, i]
        negatives = np.flatnonzero(labels != i)
        negatives = negatives[np.argsort(scores[negatives], kind="stable")]
        positives = np.flatnonzero(labels == i)
        ordered = scores[negatives]
        for part, value in zip(
            parts,
            (
                positives,
                negatives,
                np.searchsorted(ordered, scores[positives], side="left"),
                np.searchsorted(ordered, scores[positives], side="right"),
            ),
            strict=True,
        ):
            part.append(value)
    cells = np.zeros((len(labels), n_classes**2))
    cells[np.arange(len(labels)), labels * n_classes + probabilities.argmax(axis=1)] = 1
    return Ranked(*(tuple(part) for part in parts), cells)


def macro_f1(system: Ranked, drawn: np.ndarray) -> np.ndarray:
    """Macro-F1 on each resample, given as (resamples, papers) draw counts."""
    n_classes = len(system.positives)
    confusion = (drawn @ system.cells).reshape(-1, n_classes, n_classes)  # exact: integer sums
    hits = np.diagonal(confusion, axis1=1, axis2=2)
    denominator = confusion.sum(axis=1) + confusion.sum(axis=2)  # predicted + actual = 2tp+fp+fn
    f1 = np.divide(2 * hits, denominator, out=np.zeros(hits.shape), where=denominator > 0)
    return f1.mean(axis=1)


def roc_auc_ovr(system: Ranked, drawn: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Macro one-vs-rest ROC-AUC on each resample, given as (resamples, papers) draw counts
    that draw `sizes` papers of each class: the Mann-Whitney U of each class against the rest
    (a tie counts half), counted in integers, over the product of the two classes' sizes."""
    papers = int(sizes.sum())
    aucs = []
    for positives, negatives, below, up_to, size in zip(
        system.positives, system.negatives, system.below, system.up_to, sizes, strict=True
    ):
        under = np.zeros((drawn.shape[0], len(negatives) + 1), dtype=drawn.dtype)
        np.cumsum(drawn[:, negatives], axis=1, out=under[:, 1:])  # drawn others under each rank
        twice_u = (drawn[:, positives] * (under[:, below] + under[:, up_to])).sum(1, np.int64)
        aucs.append(twice_u / 2 / (size * (papers - size)))
    return np.mean(aucs, axis=0)


def headline_draws(system: Ranked, drawn: np.ndarray, sizes: np.ndarray) -> dict[str, np.ndarray]:
    """Each HEADLINE metric on each resample, given as (resamples, papers) draw counts."""
    return {"roc_auc_ovr": roc_auc_ovr(system, drawn, sizes), "macro_f1": macro_f1(system, drawn)}


def point(labels: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    """The HEADLINE metrics on all papers: every paper drawn once."""
    sizes = np.bincount(labels, minlength=probabilities.shape[1])
    every = np.ones((1, len(labels)), dtype=np.int64)
    draws = headline_draws(ranked(labels, probabilities), every, sizes)
    return {metric: float(values[0]) for metric, values in draws.items()}


def metric_draws(
    probabilities: Mapping[K, np.ndarray], draws: Resamples
) -> dict[K, dict[str, np.ndarray]]:
    """Each HEADLINE metric of each system on each resample: {system: {metric: (count,)}}, every
    system scored on the same resamples. `probabilities`: (papers, classes) in `draws.labels`'s
    order."""
    parts: dict[K, dict[str, list[np.ndarray]]] = {
        name: {metric: [] for metric in HEADLINE} for name in probabilities
    }
    systems = {name: ranked(draws.labels, p) for name, p in probabilities.items()}
    for indices in draws.chunks():
        drawn = weights(indices, len(draws.labels))
        for name, system in systems.items():
            for metric, values in headline_draws(system, drawn, draws.sizes).items():
                parts[name][metric].append(values)
    return {
        name: {metric: np.concatenate(chunks) for metric, chunks in metrics.items()}
        for name, metrics in parts.items()
    }


def intervals(
    probabilities: dict[str, np.ndarray], draws: Resamples
) -> tuple[dict[str, dict[str, Interval]], dict[str, dict[str, Difference]]]:
    """Each system's HEADLINE intervals and, for each system after the first, the paired
    difference first - system, all on the same resamples.

    `probabilities`: system name -> (papers, classes), rows in the order of `draws.labels`.
    Returns ({system: {metric: Interval}}, {"first - system": {metric: Difference}}).
    """
    drawn = metric_draws(probabilities, draws)
    points = {name: point(draws.labels, p) for name, p in probabilities.items()}
    systems = {
        name: {m: interval(Interval, points[name][m], drawn[name][m]) for m in HEADLINE}
        for name in probabilities
    }
    first, *others = probabilities
    differences = {
        f"{first} - {other}": {
            m: interval(
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


def interval(kind: type[T], value: float, draws: np.ndarray) -> T:
    """`value` with the central LEVEL interval of `draws`."""
    low, high = np.percentile(draws, [100 * (1 - LEVEL) / 2, 100 * (1 + LEVEL) / 2])
    return kind(float(value), float(low), float(high))
