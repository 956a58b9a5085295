"""What more data buys: the pipeline on samples of several sizes, all scored on the same later set.

In a persistent work folder (git-ignored; a rerun reuses what is done and queues only what is
missing), on the bench's params (`--set` changes them), one queued experiment per sample size
(`dvc exp run --queue -S fetch.categories={...} --name size-N`), run by `dvc queue start`. A size
is papers per category, capped at the category's pool: the papers of the snapshot whose arXiv id
month is before later.submitted_from (the fetch stage takes the first N by id, so a sample within
the pool never reaches the later window); `max` takes each whole pool. The later set's window and
counts are fixed, so every size is scored on the same later papers (checked by id).

For each size, from the experiment's reports/eval/details.json: the fine-tuned model, the frozen
encoder + LR and TF-IDF + LR on the later set (and the test split) with their bootstrap
intervals, and the paired differences model - encoder and model - TF-IDF with their verdicts.
Writes --out (JSON) and markdown; `make bench-charts` draws it (bench/charts.py).

    python -m bench.learning_curve --snapshot ../shared/data/arxiv-cs-ai-ir-ro.jsonl

A dry run of minutes (two tiny sizes, a small later set, short texts, its own work folder):

    python -m bench.learning_curve --snapshot ../shared/data/arxiv-cs-ai-ir-ro.jsonl \\
        --work /tmp/curve-smoke --out /tmp/curve-smoke.json --sizes 30,50 \\
        --set 'later.categories={cs.AI: 30, cs.IR: 30, cs.RO: 30}' --set tokenize.max_length=64
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any

from arxivist.arguments import positive_int
from arxivist.data.papers import submission_month
from arxivist.data.sources.snapshot import read_snapshot
from arxivist.evaluation.metrics import HEADLINE
from arxivist.params import Params, load_params
from bench.experiments import Experiment, run_experiments, work_workspace
from bench.harness import (
    add_work_folder,
    arguments,
    begin,
    bench_overrides,
    finish,
    params_record,
    parse,
    parse_list,
)
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


class CurveError(ValueError):
    """A size that is not a count or `max`, or experiments scored on different later papers."""


def main() -> None:
    args = parse_args()
    machine = begin()
    workspace = work_workspace(args.work, bench_overrides(args.snapshot, args.set))
    params = load_params(workspace / "params.yaml")
    pools = category_pools(str(params.fetch.snapshot_path), params)
    samples = sample_plan(args.sizes, pools)
    print(f"pools before {params.later.submitted_from}: {pools}; samples: {samples}", flush=True)
    runs = {name: [categories_override(sample)] for name, sample in samples.items()}
    log = args.work / "queue.log"
    experiments, waited = run_experiments(workspace, runs, log, list(params.labels))
    later_ids = check_same_later_set(experiments)
    result = {
        "machine": machine,
        "params": params_record(params),
        "work": str(args.work),
        "queue_wait_seconds": round(waited, 1),
        "pools": pools,
        "later_papers": len(later_ids),
        "sizes": [size_record(samples[exp.name], exp) for exp in experiments],
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


def categories_override(sample: Mapping[str, int]) -> str:
    """The `dvc exp run -S` override of fetch.categories: 'fetch.categories={cs.AI:100,...}'."""
    return "fetch.categories={" + ",".join(f"{code}:{n}" for code, n in sample.items()) + "}"


def check_same_later_set(experiments: Sequence[Experiment]) -> list[str]:
    """The later set's ids, the same in every experiment (else CurveError)."""
    first = experiments[0].predictions["later"].ids
    for experiment in experiments[1:]:
        if experiment.predictions["later"].ids != first:
            raise CurveError(
                f"{experiment.name} was scored on other later papers than {experiments[0].name}"
            )
    return first


def size_record(sample: Mapping[str, int], experiment: Experiment) -> dict[str, Any]:
    """One size: its sample, and per evaluation set each system's intervals and the paired
    differences (as details.json has them)."""
    details = experiment.details
    return {
        "experiment": experiment.name,
        "commit": experiment.commit,
        "per_category": dict(sample),
        "papers": sum(sample.values()),
        **{
            name: {
                "papers": details[name]["papers"],
                **{system: details[name][system]["intervals"] for system in SYSTEMS},
                "differences": details[name]["differences"],
            }
            for name in ("later", "test")
        },
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
    notes = (
        f"Every size scored on the same {later} later papers. Pools before the later window: "
        f"{pools}. Answer: {result['answer']}."
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
