"""The noise floor: the default trained with several values of train.seed, as queued experiments.

In a persistent work folder (git-ignored; a rerun reuses what is done and queues only what is
missing), on the bench's params (the blog sample, a later set after it; `--set` changes them):

1. the data stages, the later set and both baselines reproduced once and committed, so every
   experiment restores them from the cache and reruns only train, evaluate and publish;
2. one queued experiment per seed (`dvc exp run --queue -S train.seed=N --name seed-N`), run by
   `dvc queue start`: a seed sweep of the defaults;
3. from each experiment's reports/eval/details.json: the model's later-set macro-F1 and ROC-AUC
   with their bootstrap intervals; the recipe's mean over the seeds with its two-level interval and
   seed SD (`arxivist.evaluation.recipes`); and, for every pair of seeds, `arxivist compare`'s
   paired bootstrap difference on the same later papers, whose half-width is what the evaluation set
   alone can resolve;
4. the smallest difference the setup can resolve, per metric: max(1.96 x sqrt(2) x SD over seeds,
   the median paired half-width). Two single runs that differ in one lever differ by seed noise
   alone with SD sqrt(2) x SD_seed, so a 95% call needs 1.96 times that; and no difference inside
   the paired interval's half-width can be told from resampling the papers.

    python -m bench.noise_floor --snapshot ../shared/data/arxiv-cs-ai-ir-ro.jsonl

A dry run of minutes (tiny sample, short texts, two seeds, its own work folder):

    python -m bench.noise_floor --snapshot ../shared/data/arxiv-cs-ai-ir-ro.jsonl \\
        --work /tmp/noise-smoke --out /tmp/noise-smoke.json --seeds 1,2 \\
        --set 'fetch.categories={cs.AI: 40, cs.IR: 40, cs.RO: 30}' \\
        --set 'later.categories={cs.AI: 30, cs.IR: 30, cs.RO: 30}' --set tokenize.max_length=64
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
from collections.abc import Sequence
from typing import Any

from arxivist.evaluation.compare import compare
from arxivist.evaluation.metrics import HEADLINE
from arxivist.evaluation.recipe_compare import recipe_on
from arxivist.evaluation.recipes import Z_LEVEL as Z95
from arxivist.params import load_params
from bench.experiments import Experiment, recipe, run_experiments, shared_stages, work_workspace
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
from bench.recipes import spread_record
from bench.report import METRIC_NAMES, interval_text, machine_line, table

SEEDS = (42, 43, 44, 45, 46)  # the committed default (42) and the next four


def main() -> None:
    args = parse_args()
    machine = begin()
    workspace = work_workspace(args.work, bench_overrides(args.snapshot, args.set))
    shared = shared_stages(workspace)
    params = load_params(workspace / "params.yaml")
    runs = {f"seed-{seed}": [f"train.seed={seed}"] for seed in args.seeds}
    experiments, waited = run_experiments(workspace, runs, args.work / "queue.log")
    count, seed = params.evaluate.bootstrap_resamples, params.evaluate.bootstrap_seed
    spreads = recipe_on(recipe("defaults", experiments), "later", count, seed)
    result = {
        "machine": machine,
        "params": params_record(params),
        "work": str(args.work),
        "shared_stages_seconds": shared,
        "queue_wait_seconds": round(waited, 1),
        "later_papers": experiments[0].details["later"]["papers"],
        "seeds": [
            seed_record(seed, exp) for seed, exp in zip(args.seeds, experiments, strict=True)
        ],
        "baselines_identical": baselines_identical(experiments),
        "recipe": {metric: spread_record(spread) for metric, spread in spreads.items()},
        "pairs": pair_differences(experiments, count, seed),
    }
    result["floor"] = noise_floor(result["recipe"], result["pairs"])
    finish(args.out, result, markdown)


def parse_args() -> argparse.Namespace:
    parser = arguments(__doc__.splitlines()[0], "noise_floor.json")
    parser.add_argument(
        "--seeds",
        type=parse_seeds,
        default=SEEDS,
        metavar="N,N,...",
        help=f"train.seed values, one experiment each (default: {','.join(map(str, SEEDS))})",
    )
    add_work_folder(parser, "noise-floor")
    return parse(parser)


def seed_record(seed: int, experiment: Experiment) -> dict[str, Any]:
    """The experiment's model intervals on the later set and the test split."""
    details = experiment.details
    return {
        "seed": seed,
        "experiment": experiment.name,
        "commit": experiment.run.sha,
        **{name: details[name]["model"]["intervals"] for name in ("later", "test")},
    }


def baselines_identical(experiments: Sequence[Experiment]) -> bool:
    """Whether every experiment scored the same baselines (the cached baselines stage)."""
    scored = [
        {name: exp.details["later"][name]["intervals"] for name in ("encoder", "tfidf")}
        for exp in experiments
    ]
    return all(record == scored[0] for record in scored)


def pair_differences(
    experiments: Sequence[Experiment], count: int, seed: int
) -> list[dict[str, Any]]:
    """For each pair of experiments A, B: `arxivist compare`'s paired bootstrap difference B - A
    of the model on the same later papers, per HEADLINE metric with its half-width."""
    pairs = []
    for first, second in itertools.combinations(experiments, 2):
        results, _ = compare(first.run, second.run, count, seed)
        (later,) = [result for result in results if result.set == "later"]
        pairs.append(
            {
                "pair": f"{second.name} - {first.name}",
                **{
                    metric: {**d.record(), "half_width": round((d.high - d.low) / 2, 6)}
                    for metric, d in later.difference.items()
                },
            }
        )
        print(f"paired {pairs[-1]['pair']}: {pairs[-1]}", flush=True)
    return pairs


def noise_floor(recipe: dict[str, Any], pairs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per HEADLINE metric on the later set: the seeds' mean, SD, min and max (the recipe's
    spread), the median paired half-width, and the smallest resolvable difference (module
    docstring)."""
    floor = {}
    for metric in HEADLINE:
        spread = recipe[metric]
        half = statistics.median(pair[metric]["half_width"] for pair in pairs)
        floor[metric] = {
            "mean": spread["value"],
            "sd": spread["sd"],
            "min": min(spread["scores"]),
            "max": max(spread["scores"]),
            "seed_noise_95": round(Z95 * math.sqrt(2) * spread["sd"], 6),
            "median_paired_half_width": round(half, 6),
            "smallest_resolvable": round(max(Z95 * math.sqrt(2) * spread["sd"], half), 6),
        }
    return floor


def markdown(result: dict[str, Any]) -> str:
    """The machine line, a row per seed, the pairs, and the floor."""
    parts = [machine_line(result["machine"]), seeds_table(result), pairs_table(result)]
    parts += [floor_table(result), notes(result)]
    return "\n\n".join(parts) + "\n"


def seeds_table(result: dict[str, Any]) -> str:
    """One row per seed: later and test macro-F1 and ROC-AUC, each with its interval."""
    later = result["later_papers"]
    header = ["train.seed"]
    sets = (f"later ({later})", "test")
    header += [f"{name} {METRIC_NAMES[m]} [95% CI]" for name in sets for m in HEADLINE]
    rows = [
        [str(record["seed"])]
        + [interval_text(record[name][m]) for name in ("later", "test") for m in HEADLINE]
        for record in result["seeds"]
    ]
    return table(header, rows)


def pairs_table(result: dict[str, Any]) -> str:
    """One row per pair of seeds: the paired difference on the later set, with its verdict."""
    header = ["seeds, model B - A (later set)"]
    header += [f"{METRIC_NAMES[m]} difference [95% CI]" for m in HEADLINE] + ["verdicts"]
    rows = [
        [pair["pair"]]
        + [interval_text(pair[m], signed=True) for m in HEADLINE]
        + [", ".join(pair[m]["verdict"] for m in HEADLINE)]
        for pair in result["pairs"]
    ]
    return table(header, rows)


def floor_table(result: dict[str, Any]) -> str:
    """Per metric: the seeds' mean, SD and range, the paired half-width, the smallest step."""
    header = [
        "later set",
        "mean over seeds [95% CI, two-level]",
        "SD over seeds",
        "min - max",
        "1.96 x sqrt(2) x SD",
        "median paired half-width",
        "smallest resolvable difference",
    ]
    rows = [
        [
            METRIC_NAMES[metric],
            interval_text(result["recipe"][metric]),
            f"{floor['sd']:.4f}",
            f"{floor['min']:.4f} - {floor['max']:.4f}",
            f"{floor['seed_noise_95']:.4f}",
            f"{floor['median_paired_half_width']:.4f}",
            f"**{floor['smallest_resolvable']:.4f}**",
        ]
        for metric, floor in result["floor"].items()
    ]
    return table(header, rows)


def notes(result: dict[str, Any]) -> str:
    """What was run and whether the baselines stayed cached."""
    seeds = ", ".join(str(record["seed"]) for record in result["seeds"])
    cached = (
        "identical in every experiment (cached)"
        if result["baselines_identical"]
        else ("**not identical across experiments**")
    )
    return (
        f"{len(result['seeds'])} queued experiments (train.seed {seeds}) of the same params; "
        f"later set of {result['later_papers']} papers; the baselines' scores were {cached}. "
        "Smallest resolvable difference: max(1.96 x sqrt(2) x SD over seeds, median paired "
        "half-width)."
    )


if __name__ == "__main__":
    main()
