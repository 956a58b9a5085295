"""The levers as recipes: each run at several training seeds, chosen on validation, reported once.

In a persistent work folder (git-ignored; a rerun reuses what is done and queues only what is
missing), on the bench's params (the blog sample, a later set after it; `--set` changes them), one
queued experiment `<recipe>-s<seed>` per recipe and seed (`dvc exp run --queue -S ... -S
train.seed=N`, run by `dvc queue start`):

- base: the defaults; len512: tokenize.max_length=512; plain: the checkpoint as is (no LP-FT,
  nothing frozen: train.frozen_layers=0, train.head_init=random);
- n300: fetch.categories of 300 papers a category (--few).

Every statistic is arxivist's own (`arxivist compare`'s readers and its two-level bootstrap over
seeds and papers, arxivist.evaluation.recipes), per headline metric:

1. len512 and plain against base on the validation split, and the pick among the three by
   `arxivist compare --pick`'s rule (the baseline's recipe stays unless another is better on
   validation); only then the pick on the later set, once. The later set chooses nothing.
2. At 300 papers a category: the fine-tuned model of the n300 runs against the frozen encoder +
   LR of the same runs (the baselines stage: it does not depend on train.seed, so one run, and
   the script checks that every run's is identical), on every set both scored.

Each figure is the recipe mean with its two-level 95% interval and the seed SD; each difference of
means has its interval, verdict, P(B>A) (a run of B beats a run of A, over seed pairs) and the
seeds a side the measured spread would need to resolve it. Writes --out and prints markdown.

    python -m bench.recipes --snapshot ../shared/data/arxiv-cs-ai-ir-ro.jsonl

A dry run of minutes (tiny sample, short texts, two seeds, its own work folder):

    python -m bench.recipes --snapshot ../shared/data/arxiv-cs-ai-ir-ro.jsonl \\
        --work /tmp/recipes-smoke --out /tmp/recipes-smoke.json --seeds 1,2 --few 30 \\
        --set 'fetch.categories={cs.AI: 40, cs.IR: 40, cs.RO: 30}' \\
        --set 'later.categories={cs.AI: 30, cs.IR: 30, cs.RO: 30}' --set tokenize.max_length=64
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any

from arxivist.arguments import positive_int
from arxivist.evaluation.bootstrap import Difference
from arxivist.evaluation.compare import RecipeResult, Side, compare_sides
from arxivist.evaluation.metrics import HEADLINE, round_value
from arxivist.evaluation.recipe_compare import PICKED_BY, REPORTED, Pick, choose_recipe, reported
from arxivist.evaluation.recipes import RecipeDifference, Spread, pooled_sd, seeds_needed
from arxivist.params import load_params
from bench.experiments import (
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
    add_work_folder,
    arguments,
    begin,
    bench_overrides,
    finish,
    params_record,
    parse,
    parse_seeds,
)
from bench.report import METRIC_NAMES, interval_text, machine_line, table

BASE = "base"
LEVERS = {
    BASE: (),
    "len512": ("tokenize.max_length=512",),
    "plain": ("train.frozen_layers=0", "train.head_init=random"),
}
SEEDS = (42, 43, 44)
FEW = 300  # papers a category where fine-tuning meets the frozen encoder
ENCODER = "encoder"


def main() -> None:
    args = parse_args()
    machine = begin()
    workspace = work_workspace(args.work, bench_overrides(args.snapshot, args.set))
    shared = shared_stages(workspace)
    params = load_params(workspace / "params.yaml")
    few = f"n{args.few}"
    overrides = {**LEVERS, few: (categories_override(dict.fromkeys(params.labels, args.few)),)}
    runs = seed_sweep(overrides, args.seeds)
    experiments, waited = run_experiments(workspace, runs, args.work / "queue.log")
    grouped = by_recipe(experiments, overrides)
    sides = {name: recipe(name, group) for name, group in grouped.items()}
    count, seed = params.evaluate.bootstrap_resamples, params.evaluate.bootstrap_seed
    encoder, identical = baseline(workspace, grouped[few], ENCODER)
    result = {
        "machine": machine,
        "params": params_record(params),
        "work": str(args.work),
        "shared_stages_seconds": shared,
        "queue_wait_seconds": round(waited, 1),
        "seeds": list(args.seeds),
        "runs": {name: list(sets) for name, sets in runs.items()},
        "resamples": {"count": count, "seed": seed},
        "levers": levers(sides, count, seed),
        "few": {
            "recipe": few,
            "encoder_identical_across_seeds": identical,
            "results": comparisons(encoder, sides[few], count, seed),
        },
    }
    finish(args.out, result, markdown)


def parse_args() -> argparse.Namespace:
    parser = arguments(__doc__.splitlines()[0], "recipes.json")
    parser.add_argument(
        "--seeds",
        type=parse_seeds,
        default=SEEDS,
        metavar="N,N,...",
        help=f"train.seed values, one experiment each a recipe (default: "
        f"{','.join(map(str, SEEDS))})",
    )
    parser.add_argument(
        "--few",
        type=positive_int,
        default=FEW,
        metavar="N",
        help="papers a category of the recipe n<N>, fine-tuned against the frozen encoder "
        "(default: %(default)s)",
    )
    add_work_folder(parser, "recipes")
    return parse(parser)


def levers(sides: Mapping[str, Side], count: int, seed: int) -> dict[str, Any]:
    """Each lever against base on validation, the pick among them, and the pick on the later
    set, once."""
    chosen: Pick = choose_recipe({name: sides[name] for name in LEVERS}, BASE, count, seed)
    later = reported(sides, chosen, count, seed)
    return {
        "picked_by": PICKED_BY,
        "pick": chosen.winner,
        "why": chosen.why,
        "validation": {
            name: record(sides[BASE], sides[name], versus, count, seed)
            for name, versus in chosen.versus.items()
        },
        REPORTED: (
            {m: spread_record(s) for m, s in later.items()}
            if isinstance(later, dict)
            else record(sides[BASE], sides[chosen.winner], later, count, seed)
        ),
    }


def comparisons(a: Side, b: Side, count: int, seed: int) -> list[dict[str, Any]]:
    """B against A on every set both scored."""
    results, _ = compare_sides(a, b, count, seed)
    return [record(a, b, result, count, seed) for result in results]


def paired_half_widths(a: Side, b: Side, name: str, count: int, seed: int) -> dict[str, float]:
    """Per metric, the half-width of the paired bootstrap interval of one run a side (each
    side's first) on the set `name`: the papers' share of a recipe difference's noise."""
    one = [Side(side.label, side.runs[:1]) for side in (a, b)]
    (found,), _ = compare_sides(*one, count, seed, only=name)
    return {m: (d.difference.high - d.difference.low) / 2 for m, d in found.metrics.items()}


def record(a: Side, b: Side, result: RecipeResult, count: int, seed: int) -> dict[str, Any]:
    """Recipes A and B compared on one set (`result`), as the JSON keeps it."""
    half = paired_half_widths(a, b, result.set, count, seed)
    return {
        "set": result.set,
        "papers": result.papers,
        **{metric: difference_record(d, half[metric]) for metric, d in result.metrics.items()},
    }


def difference_record(d: RecipeDifference, half: float) -> dict[str, Any]:
    """Both recipes' spreads, B - A with its verdict, P(B>A) and the seeds a side needed."""
    return {
        "a": spread_record(d.a),
        "b": spread_record(d.b),
        "difference": d.difference.record(),
        "p_b_beats_a": round(d.beats, 4),
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


def markdown(result: dict[str, Any]) -> str:
    """The machine line, the levers on validation, the pick on the later set, the few papers."""
    lever, few = result["levers"], result["few"]
    pick = (
        f"Picked **{lever['pick']}** ({lever['why']}) by {METRIC_NAMES[lever['picked_by']]} on "
        f"validation; the later set reports it once and chooses nothing."
    )
    later = lever[REPORTED]
    shown = (
        spreads_table(lever["pick"], later)
        if "set" not in later
        else comparisons_table([(f"{lever['pick']} - {BASE}", later)])
    )
    identical = "identical" if few["encoder_identical_across_seeds"] else "**not identical**"
    notes = (
        f"{len(result['seeds'])} seeds a recipe (train.seed {', '.join(map(str, result['seeds']))})"
        f"; two-level bootstrap over seeds and papers, {result['resamples']['count']} draws; "
        "mean [95% CI], SD between seeds. The frozen encoder's predictions were "
        f"{identical} across the {few['recipe']} runs' seeds (one run a side); it is not "
        "scored on validation."
    )
    parts = [
        machine_line(result["machine"]),
        comparisons_table([(f"{name} - {BASE}", r) for name, r in lever["validation"].items()]),
        pick,
        shown,
        comparisons_table(
            [(f"{few['recipe']} fine-tuned - frozen encoder", r) for r in few["results"]]
        ),
        notes,
    ]
    return "\n\n".join(parts) + "\n"


def comparisons_table(rows: Sequence[tuple[str, dict[str, Any]]]) -> str:
    """One row per comparison, set and metric: A, B, B - A, P(B>A), verdict, seeds needed."""
    header = ["B - A", "set", "metric", "A mean [95% CI]", "SD", "B mean [95% CI]", "SD"]
    header += ["B - A [95% CI]", "P(B>A)", "verdict", "seeds a side needed"]
    lines = []
    for label, found in rows:
        for metric in HEADLINE:
            d = found[metric]
            lines.append(
                [
                    label,
                    f"{found['set']} ({found['papers']})",
                    METRIC_NAMES[metric],
                    interval_text(d["a"]),
                    sd_text(d["a"]),
                    interval_text(d["b"]),
                    sd_text(d["b"]),
                    interval_text(d["difference"], signed=True),
                    f"{d['p_b_beats_a']:.2f}",
                    d["difference"]["verdict"],
                    "none would" if d["seeds_needed"] is None else str(d["seeds_needed"]),
                ]
            )
    return table(header, lines)


def spreads_table(name: str, spreads: Mapping[str, dict[str, Any]]) -> str:
    """One recipe on the later set: per metric its mean [95% CI] and SD."""
    rows = [
        [name, METRIC_NAMES[m], interval_text(spreads[m]), sd_text(spreads[m])] for m in HEADLINE
    ]
    return table(["recipe on the later set", "metric", "mean [95% CI]", "SD"], rows)


def sd_text(spread: Mapping[str, Any]) -> str:
    return "-" if spread["sd"] is None else f"{spread['sd']:.4f}"


if __name__ == "__main__":
    main()
