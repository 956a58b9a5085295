"""What the unmet quality targets are up against, measured in one run on this machine.

The labels: the pipeline's TF-IDF + LR baseline trained on the blog's sample and, beside it, on
every other paper of the snapshot (about 8x more), both scored on the pipeline's later set (the
bench's later window and counts, selected by the pipeline's own code), each with its bootstrap
interval and their paired difference. If even the larger training set stays below ROC-AUC
0.99 / macro-F1 0.95, the cs.AI <-> cs.IR overlap of primary categories, not the recipe, bounds
what the blog's sample can reach. (The inference paths it once timed: bench.inference.)

    python -m bench.ceilings --snapshot ../shared/data/arxiv-cs-ai-ir-ro.jsonl
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from arxivist.baselines import fit_tfidf
from arxivist.bootstrap import set_report
from arxivist.metrics import HEADLINE
from arxivist.papers import Paper
from arxivist.params import Params
from arxivist.sources import fetch_papers
from arxivist.sources.snapshot import read_snapshot
from bench.harness import arguments, begin, bench_params, finish, parse
from bench.report import METRIC_NAMES, difference_row, interval_text, table

TRAIN_SETS = {"all_other_papers": "all other papers", "blog_sample": "blog sample"}


def main() -> None:
    args = parse_args()
    machine = begin()
    params = bench_params(args.snapshot, args.set)
    later = fetch_papers(params.fetch, params.later)
    result = {
        "machine": machine,
        "later_papers": dict(Counter(paper.primary_category for paper in later)),
        "labels": label_ceiling(params, later),
    }
    finish(args.out, result, markdown)


def parse_args() -> argparse.Namespace:
    return parse(arguments(__doc__.splitlines()[0], "ceilings.json"))


def label_ceiling(params: Params, later: Sequence[Paper]) -> dict[str, Any]:
    """The TF-IDF baseline trained on the blog sample and on every paper outside the later set,
    scored on the later set: each with intervals, and the paired difference more - blog."""
    codes = list(params.labels)
    snapshot = str(params.fetch.snapshot_path)
    held_out = {paper.id for paper in later}
    every = read_snapshot(snapshot, dict.fromkeys(codes, 10**9)).papers
    train_sets = {
        "all_other_papers": [paper for paper in every if paper.id not in held_out],
        "blog_sample": fetch_papers(params.fetch),
    }
    truth = np.array([codes.index(paper.primary_category) for paper in later])
    scores = {}
    for name, train in train_sets.items():
        labels = np.array([codes.index(paper.primary_category) for paper in train])
        baseline = fit_tfidf([p.abstract for p in train], labels, codes, params.baselines)
        scores[name] = baseline.predict_proba([paper.abstract for paper in later])
        print(f"TF-IDF + LR on {name} ({len(train)} papers) fitted", flush=True)
    evaluate = params.evaluate
    report = set_report(truth, scores, codes, evaluate.bootstrap_resamples, evaluate.bootstrap_seed)
    for name, train in train_sets.items():
        report[name]["train_papers"] = len(train)
    return report


def markdown(result: dict[str, Any]) -> str:
    """The label-ceiling table, its paired difference, and the inference-paths table."""
    machine, labels = result["machine"], result["labels"]
    where = f"later ({labels['papers']})"
    header = ["TF-IDF + LR trained on", "papers"]
    header += [f"later {METRIC_NAMES[m]} [95% CI]" for m in HEADLINE]
    rows = [
        [label, str(labels[name]["train_papers"])]
        + [interval_text(labels[name]["intervals"][m]) for m in HEADLINE]
        for name, label in TRAIN_SETS.items()
    ]
    differences = [
        difference_row(" - ".join(TRAIN_SETS[n] for n in pair.split(" - ")), where, by_metric)
        for pair, by_metric in labels["differences"].items()
    ]
    header_difference = ["paired difference", "set"]
    header_difference += [f"{METRIC_NAMES[m]} [95% CI]" for m in HEADLINE] + ["verdict"]
    parts = [
        f"Machine: **{machine['name']}** ({machine['torch_threads']} threads)",
        table(header, rows),
        table(header_difference, differences),
    ]
    return "\n\n".join(parts) + "\n"


if __name__ == "__main__":
    main()
