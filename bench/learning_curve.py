"""What more data buys: a size x seed sweep of the pipeline, every run scored on one later set.

In a persistent work folder (git-ignored; a rerun reuses what is done and queues only what is
missing), on the bench's params (`--set` changes them), one queued experiment per sample size and
seed (`dvc exp run --queue -S fetch.categories={...} -S train.seed=N --name size-<size>-s<N>`),
run by `dvc queue start`: a size x seed sweep. A size is papers per category, capped at the
category's pool: the papers of the snapshot whose arXiv id month is before later.submitted_from
(the fetch stage takes the first N by id, so a sample within the pool never reaches the later
window); `max` takes each whole pool. The later set's window and counts are fixed, so every size
is scored on the same later papers (`arxivist compare` refuses other papers).

For each size, by `arxivist compare`'s two-level bootstrap over seeds and papers
(arxivist.evaluation.recipes): the fine-tuned recipe's mean over its seeds, the frozen encoder + LR
and TF-IDF + LR of the same runs (the baselines stage, which does not depend on train.seed: one
run), on the later set and the test split, and the differences model - each baseline with their
verdicts. Writes --out (JSON) and markdown; `make bench-charts` draws it (bench/charts.py).

    python -m bench.learning_curve --snapshot ../shared/data/arxiv-cs-ai-ir-ro.jsonl

A dry run of minutes (two tiny sizes, two seeds, a small later set, short texts, its own work
folder):

    python -m bench.learning_curve --snapshot ../shared/data/arxiv-cs-ai-ir-ro.jsonl \\
        --work /tmp/curve-smoke --out /tmp/curve-smoke.json --sizes 30,50 --seeds 1,2 \\
        --set 'later.categories={cs.AI: 30, cs.IR: 30, cs.RO: 30}' --set tokenize.max_length=64
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from arxivist.arguments import positive_int
from arxivist.data.papers import submission_month
from arxivist.data.sources.snapshot import read_snapshot
from arxivist.evaluation.metrics import HEADLINE
from arxivist.evaluation.sets import BASELINES, SETS
from arxivist.params import Params, load_params
from bench.experiments import (
    Experiment,
    baseline,
    by_recipe,
    categories_override,
    recipe,
    run_experiments,
    seed_sweep,
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
    parse_list,
    parse_seeds,
)
from bench.recipes import comparisons
from bench.report import (
    METRIC_NAMES,
    SYSTEMS,
    difference_row,
    interval_text,
    machine_line,
    pair_label,
    table,
)

SIZES = ("100", "300", "1000", "max")
SEEDS = (42, 43, 44)


def main() -> None:
    args = parse_args()
    machine = begin()
    workspace = work_workspace(args.work, bench_overrides(args.snapshot, args.set))
    params = load_params(workspace / "params.yaml")
    pools = category_pools(str(params.fetch.snapshot_path), params)
    samples = sample_plan(args.sizes, pools)
    print(f"pools before {params.later.submitted_from}: {pools}; samples: {samples}", flush=True)
    overrides = {name: [categories_override(sample)] for name, sample in samples.items()}
    runs = seed_sweep(overrides, args.seeds)
    experiments, waited = run_experiments(workspace, runs, args.work / "queue.log")
    count, seed = params.evaluate.bootstrap_resamples, params.evaluate.bootstrap_seed
    sizes = [
        size_record(name, samples[name], workspace, group, count, seed)
        for name, group in by_recipe(experiments, samples).items()
    ]
    result = {
        "machine": machine,
        "params": params_record(params),
        "work": str(args.work),
        "queue_wait_seconds": round(waited, 1),
        "pools": pools,
        "seeds": list(args.seeds),
        "later_papers": sizes[0]["later"]["papers"],
        "sizes": sizes,
    }
    result["answer"] = answer(result["sizes"])
    finish(args.out, result, markdown)


def parse_args() -> argparse.Namespace:
    parser = arguments(__doc__.splitlines()[0], "learning_curve.json")
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=SIZES,
        metavar="N,N,...,max",
        help=f"papers per category of each sample; max: every paper before the later window "
        f"(default: {','.join(SIZES)})",
    )
    parser.add_argument(
        "--seeds",
        type=parse_seeds,
        default=SEEDS,
        metavar="N,N,...",
        help=f"train.seed values, an experiment each a size (default: {','.join(map(str, SEEDS))})",
    )
    add_work_folder(parser, "learning-curve")
    return parse(parser)


def parse_sizes(text: str) -> tuple[str, ...]:
    """'100,300,max' -> ('100', '300', 'max'): positive counts or `max`, each once."""
    return parse_list(text, parse_size, "sizes (N or max)")


def parse_size(text: str) -> str:
    """A positive count or `max`, as given."""
    if text != "max":
        positive_int(text)
    return text


def category_pools(snapshot: str, params: Params) -> dict[str, int]:
    """Per category of the labels, how many papers the snapshot has (as the fetch stage selects
    them: primary category, one record per id, each abstract text once) whose id month is before
    the later window."""
    first = params.later.submitted_from.replace(day=1)
    every = dict.fromkeys(params.labels, 10**9)
    papers = read_snapshot(snapshot, every, lambda paper: submission_month(paper.id) < first).papers
    pools = dict.fromkeys(params.labels, 0)
    for paper in papers:
        pools[paper.primary_category] += 1
    return pools


def sample_plan(sizes: Sequence[str], pools: Mapping[str, int]) -> dict[str, dict[str, int]]:
    """Experiment name -> papers per category: each size capped at each category's pool, `max`
    the whole pools; a size that gives the same sample as an earlier one is dropped."""
    plan: dict[str, dict[str, int]] = {}
    for size in sizes:
        wanted = {
            code: pool if size == "max" else min(int(size), pool) for code, pool in pools.items()
        }
        if wanted not in plan.values():
            plan[f"size-{size}"] = wanted
    return plan


def size_record(
    name: str,
    sample: Mapping[str, int],
    workspace: Path,
    experiments: Sequence[Experiment],
    count: int,
    seed: int,
) -> dict[str, Any]:
    """One size: its sample, and per evaluation set each system's mean [95% CI] (the model's over
    its seeds, with their SD) and the differences model - each baseline of the same runs."""
    model = recipe(name, experiments)
    found, identical = {}, {}
    for system in BASELINES:
        side, identical[system] = baseline(workspace, experiments, system)
        found[system] = {r["set"]: r for r in comparisons(side, model, count, seed)}
    record: dict[str, Any] = {
        "experiment": name,
        "runs": [experiment.name for experiment in experiments],
        "per_category": dict(sample),
        "papers": sum(sample.values()),
        "baselines_identical_across_seeds": identical,
    }
    for set_name in (name for name in SETS if name in found[BASELINES[0]]):
        by_system = {system: found[system][set_name] for system in BASELINES}
        first = by_system[BASELINES[0]]
        record[set_name] = {
            "papers": first["papers"],
            "model": {m: interval(first[m]["b"]) for m in HEADLINE},
            "model_seeds": {m: first[m]["b"] for m in HEADLINE},
            **{s: {m: interval(r[m]["a"]) for m in HEADLINE} for s, r in by_system.items()},
            "differences": {
                f"model - {s}": {m: difference(r[m]) for m in HEADLINE}
                for s, r in by_system.items()
            },
        }
    return record


def interval(spread: Mapping[str, Any]) -> dict[str, float]:
    """A one-run side's interval alone (no seed spread)."""
    return {key: spread[key] for key in ("value", "low", "high")}


def difference(found: Mapping[str, Any]) -> dict[str, Any]:
    """A difference of recipes with its verdict, P(B>A) and the seeds a side needed."""
    return {
        **found["difference"],
        "p_b_beats_a": found["p_b_beats_a"],
        "seeds_needed": found["seeds_needed"],
    }


def answer(sizes: Sequence[dict[str, Any]]) -> str:
    """At which sample size fine-tuning is significantly above the frozen encoder on the later
    set, on both metrics, if at any."""
    for size in sorted(sizes, key=lambda record: record["papers"]):
        pair = size["later"]["differences"]["model - encoder"]
        if all(pair[m]["verdict"] == "better" for m in HEADLINE):
            return (
                f"fine-tuning is significantly above the frozen encoder on both metrics from "
                f"{size['papers']} papers ({size['experiment']}) on"
            )
    return "at no size measured is fine-tuning significantly above the frozen encoder on both"


def markdown(result: dict[str, Any]) -> str:
    """The machine line, the scores table, the differences table and the answer."""
    later = result["later_papers"]
    parts = [machine_line(result["machine"]), scores_table(result), differences_table(result)]
    pools = ", ".join(f"{code} {n}" for code, n in result["pools"].items())
    seeds = ", ".join(map(str, result["seeds"]))
    notes = (
        f"Every size scored on the same {later} later papers; the fine-tuned model: the mean over "
        f"its runs (train.seed {seeds}), differences from the two-level "
        f"bootstrap over seeds and papers. Pools before the later window: {pools}. Answer: "
        f"{result['answer']}."
    )
    return "\n\n".join([*parts, notes]) + "\n"


def sample_label(size: dict[str, Any]) -> str:
    """'300 (100/100/100)': total papers and papers per category."""
    return f"{size['papers']} ({'/'.join(str(n) for n in size['per_category'].values())})"


def scores_table(result: dict[str, Any]) -> str:
    """One row per size and system: later ROC-AUC and macro-F1 with their intervals."""
    header = ["sample (per category)", "system"]
    header += [f"later {METRIC_NAMES[m]} [95% CI]" for m in HEADLINE]
    rows = [
        [sample_label(size), label, *(interval_text(size["later"][system][m]) for m in HEADLINE)]
        for size in result["sizes"]
        for system, label in SYSTEMS.items()
    ]
    return table(header, rows)


def differences_table(result: dict[str, Any]) -> str:
    """One row per size and baseline: the paired difference on the later set and its verdicts."""
    header = ["paired difference", "sample (per category)"]
    header += [f"later {METRIC_NAMES[m]} [95% CI]" for m in HEADLINE] + ["verdict"]
    rows = [
        difference_row(pair_label(pair), sample_label(size), by_metric)
        for size in result["sizes"]
        for pair, by_metric in size["later"]["differences"].items()
    ]
    return table(header, rows)


if __name__ == "__main__":
    main()
