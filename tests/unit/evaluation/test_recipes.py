"""The two-level bootstrap over seeds and papers: honest in the statistical sense on simulated
recipes (it covers the true difference of recipe means about 95% of the time, and finds a real
shift), the paired bootstrap's numbers exactly with one run a side, and the pick rule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from arxivist.evaluation.bootstrap import Difference, intervals, point, resamples
from arxivist.evaluation.metrics import HEADLINE
from arxivist.evaluation.recipes import choose, compare_recipes, pooled_sd, seeds_needed

PRIORS = (0.5, 0.3, 0.2)
SKILL = 1.5  # the true class's extra logit: ROC-AUC about 0.8
PAPERS = 300
DRAWS = 400


def papers(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Labels drawn with PRIORS, and each paper's own logits: what every run shares about it."""
    return rng.choice(len(PRIORS), size=n, p=PRIORS), rng.normal(size=(n, len(PRIORS)))


def run(
    labels: np.ndarray, shared: np.ndarray, skill: float, seed_sd: float, noise: float, rng
) -> np.ndarray:
    """One training run's probabilities: the papers' shared logits, the recipe's `skill` on the
    true class shifted by this seed's luck (SD `seed_sd`), and noise of this run on each paper."""
    logits = shared + noise * rng.normal(size=shared.shape)
    logits[np.arange(len(labels)), labels] += skill + rng.normal(0, seed_sd)
    probabilities = np.exp(logits)
    return probabilities / probabilities.sum(axis=1, keepdims=True)


def recipes(
    seed: int, runs: int, shift: float, seed_sd: float, noise: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels and `runs` runs of recipes A (SKILL) and B (SKILL + shift) on PAPERS papers."""
    rng = np.random.default_rng(seed)
    labels, shared = papers(PAPERS, rng)
    a, b = (
        np.stack([run(labels, shared, skill, seed_sd, noise, rng) for _ in range(runs)])
        for skill in (SKILL, SKILL + shift)
    )
    return labels, a, b


def true_difference(shift: float, seed_sd: float, noise: float) -> dict[str, float]:
    """E[B's metric] - E[A's] over seeds and papers: 20 pairs of runs on 20,000 papers, each
    pair with the same luck but for the shift (common random numbers: a precise difference)."""
    rng = np.random.default_rng(12345)
    labels, shared = papers(20_000, rng)
    differences = []
    for _ in range(20):
        state = rng.bit_generator.state
        a = point(labels, run(labels, shared, SKILL, seed_sd, noise, rng))
        rng.bit_generator.state = state
        b = point(labels, run(labels, shared, SKILL + shift, seed_sd, noise, rng))
        differences.append([b[m] - a[m] for m in HEADLINE])
    return dict(zip(HEADLINE, np.mean(differences, axis=0), strict=True))


def coverage(runs: int, shift: float, seed_sd: float, noise: float, samples: int) -> dict:
    """How often the 95% interval of B - A holds the true difference, over seeded samples."""
    truth = true_difference(shift, seed_sd, noise) if shift else dict.fromkeys(HEADLINE, 0.0)
    covered = dict.fromkeys(HEADLINE, 0)
    for sample in range(samples):
        labels, a, b = recipes(sample, runs, shift, seed_sd, noise)
        for metric, result in compare_recipes(labels, a, b, DRAWS, sample).items():
            covered[metric] += result.difference.low <= truth[metric] <= result.difference.high
    return {metric: count / samples for metric, count in covered.items()}


def test_the_interval_covers_the_true_difference_of_recipe_means_about_95_percent() -> None:
    """Seeds and papers both matter here (seed SD about 0.023 ROC-AUC, a paired interval of two
    runs about ±0.010): 200 seeded samples of 5 runs a side. Binomial(200, 0.95) / 200 is in
    [0.9, 0.985] with probability 0.99."""
    found = coverage(runs=5, shift=0.1, seed_sd=0.15, noise=0.2, samples=200)
    assert all(0.88 <= share <= 0.99 for share in found.values()), found


@pytest.mark.parametrize(
    ("runs", "seed_sd", "noise"),
    [(5, 0.15, 0.2), (2, 0.3, 0.1)],
    ids=["5-seeds-a-side", "2-seeds-a-side-the-seeds-dominating"],
)
def test_two_groups_of_one_recipe_give_no_evidence_about_95_percent(
    runs: int, seed_sd: float, noise: float
) -> None:
    """With 2 seeds a side and the seeds dominating, the plain two-level bootstrap said "better"
    or "worse" in about 1 of 3 samples; its few-seeds correction keeps that near 1 in 20."""
    found = coverage(runs, shift=0.0, seed_sd=seed_sd, noise=noise, samples=200)
    assert all(0.88 <= share <= 0.99 for share in found.values()), found


def test_a_shift_of_several_seed_sds_is_found_with_five_seeds_a_side() -> None:
    found = [
        compare_recipes(*recipes(sample, 5, shift=0.5, seed_sd=0.1, noise=0.2), DRAWS, sample)
        for sample in range(20)
    ]
    results = [by_metric["roc_auc_ovr"] for by_metric in found]
    seed_sd = np.mean([pooled_sd([r.a.scores, r.b.scores]) for r in results])
    assert np.mean([r.difference.value for r in results]) > 4 * seed_sd
    assert [r.difference.verdict for r in results] == ["better"] * 20


def test_one_run_a_side_gives_the_paired_bootstrap_bit_for_bit() -> None:
    labels, a, b = recipes(7, runs=1, shift=0.1, seed_sd=0.15, noise=0.2)
    systems, differences = intervals({"B": b[0], "A": a[0]}, resamples(labels, 3, 2000, 0))

    found = compare_recipes(labels, a, b, 2000, 0)

    for metric, result in found.items():
        assert result.difference == differences["B - A"][metric]
        assert (result.a.mean, result.b.mean) == (systems["A"][metric], systems["B"][metric])
        assert math.isnan(result.a.sd) and result.beats in (0.0, 1.0)


def test_a_run_of_b_beats_a_run_of_a_over_the_seed_pairs_ties_counting_half() -> None:
    labels, a, b = recipes(3, runs=3, shift=0.0, seed_sd=0.3, noise=0.1)
    b = np.concatenate([b[:2], a[:1]])  # B's third run is A's first: a tie
    result = compare_recipes(labels, a, b, 50, 0)["roc_auc_ovr"]
    pairs = [
        (x > y) + 0.5 * (x == y) for x in result.b.scores for y in result.a.scores
    ]  # B's score against A's
    assert result.beats == sum(pairs) / 9
    assert result.b.scores[2] == result.a.scores[0]


def test_the_seeds_needed_grow_with_the_spread_and_stop_at_the_papers_noise() -> None:
    clear = Difference(0.01, 0.004, 0.016)  # a paired interval whose papers' part is ±0.006
    assert seeds_needed(clear, sd=0.0) == 2
    assert seeds_needed(clear, sd=0.002) < seeds_needed(clear, sd=0.005) < 1000
    assert seeds_needed(Difference(0.002, -0.004, 0.008), sd=0.001) is None  # papers too noisy
    assert seeds_needed(Difference(0.0, 0.0, 0.0), sd=0.001) is None  # nothing to resolve


def test_the_seed_sd_is_pooled_over_recipes_with_two_runs_or_more() -> None:
    assert pooled_sd([(0.5,), (0.7,)]) is None
    assert pooled_sd([(1.0, 3.0), (5.0,)]) == pytest.approx(math.sqrt(2))
    assert pooled_sd([(1.0, 3.0), (0.0, 0.0, 0.0)]) == pytest.approx(math.sqrt(2 / 3))


def test_the_pick_keeps_the_baseline_unless_another_recipe_is_better_on_validation() -> None:
    means = {"256": 0.980, "512": 0.983, "128": 0.985}
    assert choose("256", means, {"512": "no evidence", "128": "no evidence"}) == (
        "256",
        "baseline",
    )
    assert choose("256", means, {"512": "better", "128": "no evidence"}) == ("512", "better")
    assert choose("256", means, {"512": "better", "128": "better"}) == ("128", "better")
    assert choose(None, means, {}) == ("128", "best mean")
