"""Seed sweeps of DVC experiments by plan (PLANS): the levers as recipes, the noise floor, the
learning curve, each statistic arxivist's own. docs/benchmarks.md says what each plan compares, and
gives a dry run of minutes."""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arxivist.arguments import positive_int
from arxivist.data.papers import submission_month
from arxivist.data.sources.snapshot import read_snapshot
from arxivist.evaluation.bootstrap import Difference
from arxivist.evaluation.compare import RecipeResult, Revision, Side, compare_sides
from arxivist.evaluation.metrics import HEADLINE, round_value
from arxivist.evaluation.recipe_compare import (
    PICKED_BY,
    REPORTED,
    choose_recipe,
    recipe_on,
    reported,
)
from arxivist.evaluation.recipes import Z_LEVEL, RecipeDifference, Spread, pooled_sd, seeds_needed
from arxivist.evaluation.sets import BASELINES, SELECTION
from arxivist.params import Params, load_params
from bench.experiments import (
    SHARED_STAGES,
    baseline,
    by_recipe,
    categories_override,
    recipe,
    run_experiments,
    seed_sweep,
    shared_stages,
    work_workspace,
)
from bench.harness import (
    RESULTS,
    arguments,
    begin,
    bench_overrides,
    finish,
    params_record,
    parse,
    parse_list,
    parse_seeds,
)
from bench.report import METRIC_NAMES, interval_text, machine_line, table

Recipes = dict[str, tuple[str, ...]]  # recipe name -> its `dvc exp run -S` overrides
BASE = "base"
FLOOR = ("sd", "seed_noise_95", "median_paired_half_width")
LEVERS: Recipes = {
    BASE: (),
    "len512": ("tokenize.max_length=512",),
    "plain": ("train.frozen_layers=0", "train.head_init=random"),
}


@dataclass(frozen=True)
class Plan:
    """A sweep: its recipes (from the workspace's params and the command line), its seeds, and
    what it compares besides each recipe's spread."""

    recipes: Callable[[Params, argparse.Namespace], Recipes]
    seeds: tuple[int, ...]
    work: str  # bench/results/work/<work>, the result bench/results/<work with _>.json
    shared: tuple[str, ...] = SHARED_STAGES  # reproduced and committed before the experiments
    pick: tuple[str, ...] = ()  # chosen among on validation, the first the baseline's recipe
    baselines: tuple[str, ...] = ()  # each recipe outside `pick` against these of its runs
    pairs: bool = False  # every pair of a recipe's seeds, run against run (the noise floor)

    @property
    def out(self) -> str:
        return f"{self.work.replace('-', '_')}.json"


def levers(params: Params, args: argparse.Namespace) -> Recipes:
    """LEVERS, and n<few>: `--few` papers a category."""
    return {
        **LEVERS,
        f"n{args.few}": (categories_override(dict.fromkeys(params.labels, args.few)),),
    }


def sizes(params: Params, args: argparse.Namespace) -> Recipes:
    """size-<size>: `--sizes` papers a category, each capped at its category's pool."""
    pools = category_pools(str(params.fetch.snapshot_path), params)
    samples = sample_plan(args.sizes, pools)
    print(f"pools before {params.later.submitted_from}: {pools}; samples: {samples}", flush=True)
    return {name: (categories_override(sample),) for name, sample in samples.items()}


PLANS = {
    "recipes": Plan(levers, (42, 43, 44), "recipes", pick=tuple(LEVERS), baselines=("encoder",)),
    "noise": Plan(lambda params, args: {BASE: ()}, (42, 43, 44, 45, 46), "noise-floor", pairs=True),
    "curve": Plan(sizes, (42, 43, 44), "learning-curve", shared=(), baselines=BASELINES),
}


def main() -> None:
    args = parse_args()
    plan = PLANS[args.plan]
    machine = begin()
    workspace = work_workspace(args.work, bench_overrides(args.snapshot, args.set))
    params = load_params(workspace / "params.yaml")
    overrides = plan.recipes(params, args)
    shared = shared_stages(workspace, plan.shared)
    runs = seed_sweep(overrides, args.seeds)
    experiments, waited = run_experiments(workspace, runs, args.work / "queue.log")
    count, seed = params.evaluate.bootstrap_resamples, params.evaluate.bootstrap_seed
    result = {
        "plan": args.plan,
        "machine": machine,
        "params": params_record(params),
        "work": str(args.work),
        "shared_stages_seconds": shared,
        "queue_wait_seconds": round(waited, 1),
        "seeds": list(args.seeds),
        "runs": {name: list(sets) for name, sets in runs.items()},
        "resamples": {"count": count, "seed": seed},
        **compared(plan, workspace, by_recipe(experiments, overrides), count, seed),
    }
    finish(args.out, result, markdown)


def parse_args() -> argparse.Namespace:
    parser = arguments(__doc__.splitlines()[0], "<plan's file>")
    parser.add_argument("plan", choices=PLANS, help="what to sweep (PLANS)")
    parser.add_argument("--seeds", type=parse_seeds, metavar="N,N,...", help="train.seed values")
    parser.add_argument("--work", type=Path, help="the work folder; a rerun resumes it")
    parser.add_argument("--few", type=positive_int, default=300, help="recipes: n<FEW>'s papers")
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=("100", "300", "1000", "max"),
        metavar="N,...,max",
        help="curve: papers a category of each size; max: all before the later window",
    )
    args = parse(parser)
    plan = PLANS[args.plan]
    args.seeds = args.seeds or plan.seeds
    args.out = args.out or RESULTS / plan.out
    args.work = args.work or RESULTS / "work" / plan.work
    return args


def parse_sizes(text: str) -> tuple[str, ...]:
    """'100,300,max' -> ('100', '300', 'max'): positive counts or `max`, each once."""
    return parse_list(
        text, lambda size: size if size == "max" else str(positive_int(size)), "sizes"
    )


def category_pools(snapshot: str, params: Params) -> dict[str, int]:
    """Per category of the labels, the snapshot's papers (as the fetch stage selects them) whose
    id month is before the later window."""
    first = params.later.submitted_from.replace(day=1)
    every = dict.fromkeys(params.labels, 10**9)
    papers = read_snapshot(snapshot, every, lambda paper: submission_month(paper.id) < first).papers
    pools = dict.fromkeys(params.labels, 0)
    for paper in papers:
        pools[paper.primary_category] += 1
    return pools


def sample_plan(sizes: Sequence[str], pools: Mapping[str, int]) -> dict[str, dict[str, int]]:
    """size-<size> -> papers per category: each size capped at each category's pool, `max` the
    whole pools; a size that gives the same sample as an earlier one is dropped."""
    plan: dict[str, dict[str, int]] = {}
    for size in sizes:
        wanted = {
            code: pool if size == "max" else min(int(size), pool) for code, pool in pools.items()
        }
        if wanted not in plan.values():
            plan[f"size-{size}"] = wanted
    return plan


def compared(
    plan: Plan, workspace: Path, grouped: Mapping[str, Sequence[Revision]], count: int, seed: int
) -> dict[str, Any]:
    """Each recipe's spread on every set, and the plan's pick, baselines and pairs."""
    sides = {name: recipe(name, group) for name, group in grouped.items()}
    found: dict[str, Any] = {
        "recipes": {
            name: spreads(side, count, seed, name in plan.pick) for name, side in sides.items()
        }
    }
    if chosen_among := {name: sides[name] for name in plan.pick if name in sides}:
        found["pick"] = pick_record(chosen_among, sides, count, seed)
    if plan.baselines:
        found["baselines"] = {
            name: baselines(workspace, grouped[name], sides[name], plan.baselines, count, seed)
            for name in sides
            if name not in plan.pick
        }
        found["answer"] = answer(found["baselines"])
    if plan.pairs:
        found["pairs"] = [pair for side in sides.values() for pair in pairs(side, count, seed)]
        found["floor"] = floor(found["recipes"], found["pairs"])
    return found


def spreads(side: Side, count: int, seed: int, chosen: bool) -> dict[str, dict[str, Any]]:
    """The recipe's spread per set every run scored and metric; only on validation for a recipe
    `chosen` among on it (the pick alone is reported on the later set)."""
    scored = [name for name in side.runs[0].sets if all(name in run.sets for run in side.runs)]
    return {
        name: {m: spread_record(s) for m, s in recipe_on(side, name, count, seed).items()}
        for name in ([SELECTION] if chosen else scored)
    }


def pick_record(
    chosen_among: Mapping[str, Side], sides: Mapping[str, Side], count: int, seed: int
) -> dict[str, Any]:
    """Each recipe against the first on validation, the pick, and the pick on the later set."""
    base = next(iter(chosen_among))
    chosen = choose_recipe(chosen_among, base, count, seed)
    later = reported(sides, chosen, count, seed)
    return {
        "picked_by": PICKED_BY,
        "base": base,
        "pick": chosen.winner,
        "why": chosen.why,
        "validation": {
            name: record(sides[base], sides[name], versus, count, seed)
            for name, versus in chosen.versus.items()
        },
        REPORTED: (
            {m: spread_record(s) for m, s in later.items()}
            if isinstance(later, dict)
            else record(sides[base], sides[chosen.winner], later, count, seed)
        ),
    }


def baselines(
    workspace: Path,
    runs: Sequence[Revision],
    model: Side,
    systems: Sequence[str],
    count: int,
    seed: int,
) -> dict[str, Any]:
    """The recipe against each baseline system of its runs, on every set both scored, and whether
    the baseline's predictions were identical across the runs."""
    found = {}
    for system in systems:
        side, identical = baseline(workspace, runs, system)
        found[system] = {
            "identical_across_seeds": identical,
            "results": comparisons(side, model, count, seed),
        }
    return found


def pairs(side: Side, count: int, seed: int) -> list[dict[str, Any]]:
    """Every pair of the recipe's runs, B - A run against run on the later set."""
    return [
        {"pair": f"{b.name} - {a.name}", **result}
        for a, b in itertools.combinations(side.runs, 2)
        for result in comparisons(Side(a.name, (a,)), Side(b.name, (b,)), count, seed, REPORTED)
    ]


def comparisons(
    a: Side, b: Side, count: int, seed: int, only: str | None = None
) -> list[dict[str, Any]]:
    """B against A on every set both scored (or on `only`)."""
    results, _ = compare_sides(a, b, count, seed, only=only)
    return [record(a, b, result, count, seed) for result in results]


def record(a: Side, b: Side, result: RecipeResult, count: int, seed: int) -> dict[str, Any]:
    """Recipes A and B compared on one set (`result`), as the JSON keeps it, with the half-width
    of the paired interval of one run a side (each side's first; `result`'s own when both are
    one run): the papers' share of the difference's noise."""
    one = [Side(side.label, side.runs[:1]) for side in (a, b)]
    paired = (
        result
        if len(a.runs) == len(b.runs) == 1
        else compare_sides(*one, count, seed, only=result.set)[0][0]
    )
    half = {m: (d.difference.high - d.difference.low) / 2 for m, d in paired.metrics.items()}
    return {
        "set": result.set,
        "papers": result.papers,
        **{metric: difference_record(d, half[metric]) for metric, d in result.metrics.items()},
    }


def difference_record(d: RecipeDifference, half: float) -> dict[str, Any]:
    """Both recipes' spreads, B - A with its verdict, P(B>A), the paired half-width and the seeds
    a side needed."""
    return {
        "a": spread_record(d.a),
        "b": spread_record(d.b),
        "difference": d.difference.record(),
        "p_b_beats_a": round(d.beats, 4),
        "paired_half_width": round_value(half),
        "seeds_needed": needed(d, half),
    }


def spread_record(spread: Spread) -> dict[str, Any]:
    """A recipe's mean with its interval, the seed SD (None with one run) and each run's score."""
    sd = None if len(spread.scores) < 2 else round_value(spread.sd)
    return {**spread.mean.record(), "sd": sd, "scores": [round_value(s) for s in spread.scores]}


def needed(d: RecipeDifference, half: float) -> int | None:
    """Seeds a side for an interval that excludes 0 four times in five, were the difference of
    means true, at the seed SD pooled over both recipes and the papers' noise `half`."""
    sd = pooled_sd([d.a.scores, d.b.scores])
    value = d.difference.value
    return None if sd is None else seeds_needed(Difference(value, value - half, value + half), sd)


def floor(recipes: Mapping[str, Any], found: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per metric on the later set, for the first recipe: the seed SD, 1.96 x sqrt(2) x SD (two
    single runs of one lever differ by seed noise alone with SD sqrt(2) x SD_seed), the median
    paired half-width (what resampling the papers cannot tell apart), and the larger of the two."""
    spread = next(iter(recipes.values()))[REPORTED]
    result = {}
    for metric in HEADLINE:
        seeds = Z_LEVEL * math.sqrt(2) * spread[metric]["sd"]
        half = statistics.median(pair[metric]["paired_half_width"] for pair in found)
        result[metric] = {
            "sd": spread[metric]["sd"],
            "seed_noise_95": round_value(seeds),
            "median_paired_half_width": round_value(half),
            "smallest_resolvable": round_value(max(seeds, half)),
        }
    return result


def answer(found: Mapping[str, Mapping[str, Any]]) -> str:
    """The first recipe whose fine-tuned model is above its frozen encoder on the later set on
    both metrics, if any."""
    for name, systems in found.items():
        later = [r for r in systems.get("encoder", {}).get("results", []) if r["set"] == REPORTED]
        if later and all(later[0][m]["difference"]["verdict"] == "better" for m in HEADLINE):
            return f"fine-tuning is above the frozen encoder on both metrics from {name} on"
    return "no recipe's fine-tuning is above the frozen encoder on both metrics"


def markdown(result: dict[str, Any]) -> str:
    """The machine line, each recipe's spreads, then the plan's pick, baselines and pairs."""
    parts = [machine_line(result["machine"]), spreads_table(result["recipes"])]
    if "pick" in result:
        parts += pick_parts(result["pick"])
    rows = [
        (f"{name} fine-tuned - {system}", found)
        for name, systems in result.get("baselines", {}).items()
        for system, by_set in systems.items()
        for found in by_set["results"]
    ]
    if rows:
        parts.append(comparisons_table(rows))
    if "pairs" in result:
        parts += [comparisons_table([(p["pair"], p) for p in result["pairs"]]), floor_table(result)]
    return "\n\n".join([*parts, notes(result)]) + "\n"


def pick_parts(found: dict[str, Any]) -> list[str]:
    """The levers against the base on validation, the pick, and the pick on the later set."""
    base, pick, later = found["base"], found["pick"], found[REPORTED]
    line = (
        f"Picked **{pick}** ({found['why']}) by {METRIC_NAMES[found['picked_by']]} on "
        "validation; the later set reports it once and chooses nothing."
    )
    validation = [(f"{name} - {base}", r) for name, r in found["validation"].items()]
    reported_once = (
        comparisons_table([(f"{pick} - {base}", later)])
        if "set" in later
        else spreads_table({pick: {REPORTED: later}})
    )
    return [comparisons_table(validation), line, reported_once]


def spread_cells(spread: Mapping[str, Any]) -> list[str]:
    """A recipe's mean [95% CI] and seed SD ('-' with one run)."""
    return [interval_text(spread), "-" if spread["sd"] is None else f"{spread['sd']:.4f}"]


def spreads_table(recipes: Mapping[str, Mapping[str, Any]]) -> str:
    """One row per recipe, set and metric: its mean [95% CI], seed SD and each run's score."""
    rows = [
        [
            name,
            set_name,
            METRIC_NAMES[m],
            *spread_cells(s[m]),
            ", ".join(f"{x:.4f}" for x in s[m]["scores"]),
        ]
        for name, by_set in recipes.items()
        for set_name, s in by_set.items()
        for m in HEADLINE
    ]
    return table(["recipe", "set", "metric", "mean [95% CI]", "SD", "runs"], rows)


def comparisons_table(rows: Sequence[tuple[str, dict[str, Any]]]) -> str:
    """One row per comparison, set and metric: A, B, B - A, P(B>A), verdict, seeds needed."""
    header = ["B - A", "set", "metric", "A mean [95% CI]", "SD", "B mean [95% CI]", "SD"]
    header += ["B - A [95% CI]", "P(B>A)", "verdict", "seeds a side needed"]
    lines = [
        [
            label,
            f"{found['set']} ({found['papers']})",
            METRIC_NAMES[m],
            *spread_cells(c["a"]),
            *spread_cells(c["b"]),
            interval_text(c["difference"], signed=True),
            f"{c['p_b_beats_a']:.2f}",
            c["difference"]["verdict"],
            "none would" if c["seeds_needed"] is None else str(c["seeds_needed"]),
        ]
        for label, found in rows
        for m, c in ((m, found[m]) for m in HEADLINE)
    ]
    return table(header, lines)


def floor_table(result: dict[str, Any]) -> str:
    """Per metric: the seed SD, the seed noise, the median paired half-width, the floor."""
    header = ["later set", "SD over seeds", "1.96 x sqrt(2) x SD", "median paired half-width"]
    rows = [
        [
            METRIC_NAMES[m],
            *(f"{f[key]:.4f}" for key in FLOOR),
            f"**{f['smallest_resolvable']:.4f}**",
        ]
        for m, f in result["floor"].items()
    ]
    return table([*header, "smallest resolvable difference"], rows)


def notes(result: dict[str, Any]) -> str:
    """The seeds, the bootstrap, the baselines' identity across seeds and the answer."""
    seeds = ", ".join(map(str, result["seeds"]))
    text = (
        f"{len(result['seeds'])} seeds a recipe (train.seed {seeds}); two-level bootstrap over "
        f"seeds and papers, {result['resamples']['count']} draws; mean [95% CI], SD between seeds."
    )
    if "baselines" not in result:
        return text
    differing = [
        f"{system} of {name}"
        for name, systems in result["baselines"].items()
        for system, found in systems.items()
        if not found["identical_across_seeds"]
    ]
    identity = (
        f"**not identical across seeds**: {', '.join(differing)}"
        if differing
        else ("each was identical across seeds")
    )
    return (
        f"{text} A baseline is one run a side (it does not depend on train.seed); {identity}. "
        f"Answer: {result['answer']}."
    )


if __name__ == "__main__":
    main()
