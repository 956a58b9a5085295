"""Recipes, not runs: is recipe B better than recipe A over their training seeds and the papers?

A recipe is the params less `train.seed`; each of its runs trained with another seed, and every
run of both recipes scored the same papers. A two-level bootstrap answers for the recipes: each
draw resamples the seeds of each recipe (with replacement, as many as it has) and the papers
(stratified by label, the same papers for both recipes: paired), scores each drawn run on the
drawn papers, and takes each recipe's mean over its drawn seeds. The 95% interval of B's mean less
A's over the draws gives the verdict, as in arxivist.evaluation.bootstrap: better or worse when the
whole interval is on one side of 0, else no evidence. Beside it: each recipe's seed SD, and the
probability that a run of B beats a run of A, over the seed pairs (Bouthillier et al.,
"Accounting for variance in machine learning benchmarks", MLSys 2021).

Few seeds: resampling k seeds spreads their mean by only (k - 1) / k of its variance, and the
spread itself is guessed from k values, so where the seeds dominate, the plain bootstrap's 95%
interval covers about 65% with 2 seeds a side and 85% with 5 (tests/unit/evaluation/test_recipes.py
simulates it). Each draw's seed part (its recipe mean less the mean of all its runs on the same
papers) is therefore scaled by sqrt(k / (k - 1)) x t / z, with t Student's 97.5% quantile at k_A +
k_B - 2 degrees of freedom and z the normal one: where the seeds dominate, the interval is then the
two-sample t interval; where the papers do, it changes little.

The papers are drawn exactly as arxivist.evaluation.bootstrap draws them (the same seed, the same
resamples) and the seeds from a generator of their own, so with one run a side (no seed part) every
number is the paired bootstrap's, bit for bit: a verdict on those two models, not on their recipes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from arxivist.evaluation.bootstrap import (
    Difference,
    Interval,
    interval,
    metric_draws,
    point,
    resamples,
)
from arxivist.evaluation.metrics import HEADLINE

SEED_STREAM = 1  # the seeds' generator: default_rng((seed, SEED_STREAM)), apart from the papers'
Z_LEVEL = 1.959964  # the two-sided 95% normal quantile
Z_POWER = 0.841621  # 80% power: an interval that excludes 0 four times in five


@dataclass(frozen=True)
class Spread:
    """One recipe on one metric: each run's score on all papers, and their mean with its
    two-level interval."""

    scores: tuple[float, ...]
    mean: Interval

    @property
    def sd(self) -> float:
        """The SD between seeds (n - 1 in the denominator); nan with one run."""
        return float(np.std(self.scores, ddof=1)) if len(self.scores) > 1 else math.nan

    def __str__(self) -> str:
        return f"{self.mean.value:.4f} ± {self.sd:.4f}"


@dataclass(frozen=True)
class RecipeDifference:
    """Recipes A and B on one metric and set: B - A over seeds and papers."""

    a: Spread
    b: Spread
    difference: Difference

    @property
    def beats(self) -> float:
        """P(a run of B scores above a run of A), over every seed pair on all papers; a tie
        counts half."""
        a, b = np.array(self.a.scores)[None, :], np.array(self.b.scores)[:, None]
        return float(np.mean((b > a) + 0.5 * (b == a)))


def compare_recipes(
    labels: np.ndarray, a: np.ndarray, b: np.ndarray, count: int, seed: int
) -> dict[str, RecipeDifference]:
    """B - A on each HEADLINE metric from `count` two-level draws seeded with `seed`.

    `labels`: (papers,) label ids; `a`, `b`: (runs, papers, classes) probabilities of each
    recipe's runs, papers in the order of `labels`.
    """
    spreads, means = _draw(labels, {"a": a, "b": b}, count, seed)
    results = {}
    for metric in HEADLINE:
        a_spread, b_spread = spreads["a"][metric], spreads["b"][metric]
        value = b_spread.mean.value - a_spread.mean.value
        difference = interval(Difference, value, means["b"][metric] - means["a"][metric])
        results[metric] = RecipeDifference(a_spread, b_spread, difference)
    return results


def recipe_spread(labels: np.ndarray, runs: np.ndarray, count: int, seed: int) -> dict[str, Spread]:
    """One recipe's mean on each HEADLINE metric with its two-level interval (`runs` as a side
    of compare_recipes)."""
    spreads, _ = _draw(labels, {"a": runs}, count, seed)
    return spreads["a"]


def _draw(
    labels: np.ndarray, groups: dict[str, np.ndarray], count: int, seed: int
) -> tuple[dict[str, dict[str, Spread]], dict[str, dict[str, np.ndarray]]]:
    """Each group's Spread and its mean on each draw, by group and metric: all groups on the
    same paper resamples."""
    draws = resamples(labels, next(iter(groups.values())).shape[2], count, seed)
    runs = {(side, i): p for side, group in groups.items() for i, p in enumerate(group)}
    drawn = metric_draws(runs, draws)
    scores = {key: point(labels, p) for key, p in runs.items()}
    rng = np.random.default_rng((seed, SEED_STREAM))
    picks = {side: rng.integers(0, len(g), size=(count, len(g))) for side, g in groups.items()}
    widen = seed_scale(sum(len(group) - 1 for group in groups.values()))
    spreads: dict[str, dict[str, Spread]] = {side: {} for side in groups}
    means: dict[str, dict[str, np.ndarray]] = {side: {} for side in groups}
    for side, group in groups.items():
        for metric in HEADLINE:
            per_run = np.stack([drawn[side, i][metric] for i in range(len(group))])
            means[side][metric] = recipe_means(per_run, picks[side], widen)
            values = tuple(scores[side, i][metric] for i in range(len(group)))
            mean = interval(Interval, np.mean(values), means[side][metric])
            spreads[side][metric] = Spread(values, mean)
    return spreads, means


def seed_scale(freedom: int) -> float:
    """t / z: Student's 97.5% quantile at `freedom` degrees of freedom over the normal one."""
    from scipy.stats import t

    return float(t.ppf(0.975, freedom)) / Z_LEVEL if freedom > 0 else 1.0


def recipe_means(per_run: np.ndarray, picks: np.ndarray, widen: float) -> np.ndarray:
    """A recipe's mean on each draw: `per_run` (runs, draws) scores, each draw's seeds `picks`
    (draws, runs); its seed part scaled by sqrt(k / (k - 1)) x `widen` (none with one run), kept
    within the metrics' range [0, 1]."""
    runs, count = per_run.shape
    picked = per_run[picks, np.arange(count)[:, None]].mean(axis=1)
    if runs == 1:
        return picked
    everyone = per_run.mean(axis=0)
    widened = everyone + math.sqrt(runs / (runs - 1)) * widen * (picked - everyone)
    return np.clip(widened, 0.0, 1.0)  # a metric's range: few seeds widen a lot


def seeds_needed(difference: Difference, sd: float, most: int = 1000) -> int | None:
    """About how many seeds a side a recipe comparison needs for its interval to exclude 0 four
    times in five, were the true difference `difference`'s value and the seed SD `sd`.

    Normal approximation of the two-level interval: with n seeds a side, its seeds' part has SD
    s = sd sqrt(2 / n), widened by t / z as compare_recipes widens it (t at 2n - 2 degrees of
    freedom), and its papers' part SD p, from `difference` (a one-run-a-side paired interval):
    the least n >= 2 with sqrt((t s)^2 + (z p)^2) + z_80% sqrt(s^2 + p^2) <= |difference|.
    None when `most` would not do: no difference, or the papers' noise alone is too large.
    """
    papers = (difference.high - difference.low) / (2 * Z_LEVEL)
    target = abs(difference.value)
    if (Z_LEVEL + Z_POWER) * papers >= target:
        return None
    for n in range(2, most + 1):
        seeds = sd * math.sqrt(2 / n)
        t = seed_scale(2 * n - 2) * Z_LEVEL
        half = math.hypot(t * seeds, Z_LEVEL * papers)
        if half + Z_POWER * math.hypot(seeds, papers) <= target:
            return n
    return None


def pooled_sd(spreads: list[tuple[float, ...]]) -> float | None:
    """The seed SD pooled over recipes with at least two runs (each weighted by runs - 1); None
    when none has two."""
    spread = [s for s in spreads if len(s) > 1]
    if not spread:
        return None
    squares = sum(float(np.var(s, ddof=1)) * (len(s) - 1) for s in spread)
    return math.sqrt(squares / sum(len(s) - 1 for s in spread))


Choice = Literal["baseline", "better", "best mean"]


def choose(
    baseline: str | None, means: Mapping[str, float], verdicts: Mapping[str, str]
) -> tuple[str, Choice]:
    """The pick among recipes, and why: the baseline's recipe stays unless another is better
    than it (`verdicts[recipe]`: B = recipe against A = baseline, on the selection set), and
    of those the one with the highest mean wins; with no baseline among them, the highest mean.
    Ties go to the first recipe in `means`'s order."""
    if baseline is None:
        return max(means, key=lambda recipe: means[recipe]), "best mean"
    better = [recipe for recipe, verdict in verdicts.items() if verdict == "better"]
    if not better:
        return baseline, "baseline"
    return max(better, key=lambda recipe: means[recipe]), "better"
