"""Stratified bootstrap intervals and paired differences: exact where they can be, and honest in
the statistical sense (they cover the population value about 95% of the time)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import rankdata
from sklearn.metrics import f1_score, roc_auc_score

from arxivist.evaluation.bootstrap import (
    Difference,
    headline_draws,
    intervals,
    ranked,
    resamples,
    set_report,
    weights,
)
from arxivist.evaluation.metrics import HEADLINE

CODES = ("a", "b", "c")
PRIORS = (0.5, 0.3, 0.2)


def simulated(n: int, seed: int, skill: float = 1.2) -> tuple[np.ndarray, np.ndarray]:
    """Labels drawn with PRIORS and softmax scores whose true class gets `skill` extra logit."""
    rng = np.random.default_rng(seed)
    labels = rng.choice(len(CODES), size=n, p=PRIORS)
    logits = rng.normal(size=(n, len(CODES)))
    logits[np.arange(n), labels] += skill
    probabilities = np.exp(logits)
    return labels, probabilities / probabilities.sum(axis=1, keepdims=True)


def test_vectorised_metrics_equal_scikit_learn_on_every_resample() -> None:
    labels, probabilities = simulated(300, seed=1)
    probabilities[:10] = probabilities[10:20]  # tied scores: ranks must average them
    draws = resamples(labels, len(CODES), count=25, seed=0)
    (indices,) = list(draws.chunks())

    drawn = headline_draws(ranked(labels, probabilities), weights(indices, 300), draws.sizes)

    for row, picked in enumerate(indices):
        y, p = labels[picked], probabilities[picked]
        assert drawn["roc_auc_ovr"][row] == pytest.approx(roc_auc_score(y, p, multi_class="ovr"))
        assert drawn["macro_f1"][row] == pytest.approx(f1_score(y, p.argmax(1), average="macro"))


def test_the_integer_u_gives_the_bits_that_average_ranks_give() -> None:
    """The intervals of reports written before the counts replaced ranks stay the same, bit for
    bit: ROC-AUC as (sum of the positives' average ranks - n(n+1)/2) / (n * (N - n)), per class."""
    labels, probabilities = simulated(300, seed=4)
    probabilities = np.round(probabilities, 2)  # many ties
    draws = resamples(labels, len(CODES), count=50, seed=1)
    (indices,) = list(draws.chunks())

    drawn = headline_draws(ranked(labels, probabilities), weights(indices, 300), draws.sizes)

    picked, ends = probabilities[indices], np.cumsum(draws.sizes)  # resamples group by class
    aucs = []
    for i, (end, size) in enumerate(zip(ends, draws.sizes, strict=True)):
        positives = rankdata(picked[:, :, i], axis=1)[:, end - size : end].sum(axis=1)
        aucs.append((positives - size * (size + 1) / 2) / (size * (300 - size)))
    assert (drawn["roc_auc_ovr"] == np.mean(aucs, axis=0)).all()


def test_resamples_keep_every_class_size_and_are_seeded() -> None:
    labels, _ = simulated(250, seed=2)
    draws = resamples(labels, len(CODES), count=450, seed=3)
    chunks = list(draws.chunks())

    assert [len(c) for c in chunks] == [200, 200, 50]
    for indices in chunks:
        counts = np.stack([np.bincount(row, minlength=3) for row in labels[indices]])
        assert (counts == np.bincount(labels)).all()
    again = list(resamples(labels, len(CODES), count=450, seed=3).chunks())
    assert all((a == b).all() for a, b in zip(chunks, again, strict=True))
    other = next(resamples(labels, len(CODES), count=450, seed=4).chunks())
    assert not (other == chunks[0]).all()


def test_every_class_needs_a_paper() -> None:
    with pytest.raises(ValueError, match="every class needs a paper"):
        resamples(np.array([0, 0, 1]), 3, count=10, seed=0)


def test_the_same_predictions_give_the_same_bytes() -> None:
    labels, probabilities = simulated(400, seed=5)
    other = simulated(400, seed=6)[1]
    scores = {"model": probabilities, "baseline": other}

    first = json.dumps(set_report(labels, scores, CODES, count=300, seed=0), sort_keys=True)
    again = json.dumps(set_report(labels, scores, CODES, count=300, seed=0), sort_keys=True)
    reseeded = json.dumps(set_report(labels, scores, CODES, count=300, seed=1), sort_keys=True)

    assert first == again and first != reseeded


def test_the_95_percent_interval_covers_the_population_value_about_95_percent_of_the_time() -> None:
    """Population values from a million papers; 200 seeded samples of 400 papers each.
    Binomial(200, 0.95) lies in [180, 197] with probability > 0.99."""
    labels, scores = simulated(1_000_000, seed=100)
    population = {
        "roc_auc_ovr": roc_auc_score(labels, scores, multi_class="ovr"),
        "macro_f1": f1_score(labels, scores.argmax(1), average="macro"),
    }

    covered = dict.fromkeys(HEADLINE, 0)
    for sample in range(200):
        labels, probabilities = simulated(400, seed=sample)
        systems, _ = intervals({"model": probabilities}, resamples(labels, 3, 400, seed=sample))
        for metric, bounds in systems["model"].items():
            covered[metric] += bounds.low <= population[metric] <= bounds.high

    assert all(180 <= count <= 197 for count in covered.values()), covered


def test_identical_predictions_differ_by_exactly_zero() -> None:
    labels, probabilities = simulated(300, seed=7)
    _, differences = intervals(
        {"a": probabilities, "b": probabilities.copy()}, resamples(labels, 3, 500, seed=0)
    )

    for difference in differences["a - b"].values():
        assert (difference.value, difference.low, difference.high) == (0, 0, 0)
        assert difference.verdict == "no evidence"


def flipped(labels: np.ndarray, probabilities: np.ndarray, k: int) -> np.ndarray:
    """`probabilities` with the first k correctly classified papers turned into confident errors."""
    worse = probabilities.copy()
    right = np.flatnonzero(probabilities.argmax(1) == labels)[:k]
    worse[right] = np.roll(np.eye(3)[labels[right]] * 0.9 + 0.05, 1, axis=1)
    return worse


def test_flipping_correct_predictions_is_detected_once_there_are_enough() -> None:
    labels, probabilities = simulated(600, seed=8)
    draws = resamples(labels, 3, 1000, seed=0)

    def verdicts(k: int) -> dict[str, str]:
        _, differences = intervals(
            {"a": flipped(labels, probabilities, k), "b": probabilities}, draws
        )
        return {metric: d.verdict for metric, d in differences["a - b"].items()}

    assert verdicts(1) == {"roc_auc_ovr": "no evidence", "macro_f1": "no evidence"}
    assert verdicts(20) == {"roc_auc_ovr": "worse", "macro_f1": "worse"}


@pytest.mark.parametrize(
    ("low", "high", "verdict"),
    [(0.001, 0.02, "better"), (-0.02, -0.001, "worse"), (-0.01, 0.02, "no evidence")],
)
def test_the_verdict_reads_the_interval(low: float, high: float, verdict: str) -> None:
    assert Difference((low + high) / 2, low, high).verdict == verdict
