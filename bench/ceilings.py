"""What the unmet time-to-quality targets are up against, measured in one run on this machine.

1. The labels: the pipeline's TF-IDF + LR baseline trained on the blog's sample and, beside it, on
   every other paper of the snapshot (about 8x more), both scored on the pipeline's later set (the
   bench's later window and counts, selected by the pipeline's own code), each with its bootstrap
   interval and their paired difference. If even the larger training set stays below ROC-AUC
   0.99 / macro-F1 0.95, the cs.AI <-> cs.IR overlap of primary categories, not the recipe,
   bounds what the blog's sample can reach.
2. The inference paths of a trained model (--model, e.g. what `bench.time_to_quality --model-out`
   kept) on later abstracts: the shared fp32 path, bf16 autocast where the device computes it
   natively, and PyTorch's dynamic int8 quantization of the linear layers; texts/s of each and its
   agreement with fp32 (same argmax). A path is worth adopting only if faster with the same labels.

    python -m bench.ceilings --snapshot ../shared/data/arxiv-cs-ai-ir-ro.jsonl \\
        --model bench/results/model
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from arxivist.arguments import positive_int
from arxivist.data.fetching import fetch_papers
from arxivist.data.papers import Paper
from arxivist.data.sources.snapshot import read_snapshot
from arxivist.evaluation.baselines import fit_tfidf
from arxivist.evaluation.bootstrap import set_report
from arxivist.evaluation.metrics import HEADLINE
from arxivist.model.compute import Compute, probe, resolve
from arxivist.model.inference import Classifier, load_classifier, predict_proba
from arxivist.params import Params
from bench.harness import arguments, begin, bench_params, finish, parse, spread
from bench.report import METRIC_NAMES, difference_row, interval_text, table

TRAIN_SETS = {"all_other_papers": "all other papers", "blog_sample": "blog sample"}


def main() -> None:
    args = parse_args()
    machine = begin()
    params = bench_params(args.snapshot, args.set)
    later = fetch_papers(params.fetch, params.later)
    texts = spread([paper.abstract for paper in later], args.inference_texts)
    result = {
        "machine": machine,
        "later_papers": dict(Counter(paper.primary_category for paper in later)),
        "labels": label_ceiling(params, later),
        "inference": inference_paths(args.model, texts),
    }
    finish(args.out, result, markdown)


def parse_args() -> argparse.Namespace:
    parser = arguments(__doc__.splitlines()[0], "ceilings.json")
    parser.add_argument("--model", type=Path, required=True, help="a save_pretrained folder")
    parser.add_argument(
        "--inference-texts",
        type=positive_int,
        default=800,
        metavar="N",
        help="later abstracts (spread over the set) each path classifies (default: %(default)s)",
    )
    return parse(parser)


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


def inference_paths(model_dir: Path, texts: list[str]) -> dict[str, Any]:
    """Texts/s of each inference path and its argmax agreement with fp32."""
    fp32 = resolve("fp32")
    classifier = load_classifier(model_dir, fp32)
    paths: dict[str, tuple[Classifier, Compute]] = {"fp32": (classifier, fp32)}
    if probe().native_bf16:
        paths["bf16"] = (classifier, resolve("bf16"))
    int8 = torch.ao.quantization.quantize_dynamic(
        load_classifier(model_dir, fp32).model, {torch.nn.Linear}, dtype=torch.qint8
    )
    paths["int8_dynamic"] = (Classifier(int8, classifier.tokenizer), fp32)
    measured: dict[str, Any] = {"texts": len(texts), "max_length": classifier.max_length}
    reference = None
    for name, (model, compute) in paths.items():
        predict_proba(model, texts[:16], compute=compute, batch_tokens=8192)  # warm-up
        start = time.perf_counter()
        proba = predict_proba(model, texts, compute=compute, batch_tokens=8192)
        seconds = time.perf_counter() - start
        reference = proba if reference is None else reference
        agreement = float(np.mean(proba.argmax(1) == reference.argmax(1)))
        measured[name] = {
            "texts_per_second": round(len(texts) / seconds, 2),
            "argmax_agreement_with_fp32": round(agreement, 4),
            "max_probability_difference": round(float(np.abs(proba - reference).max()), 6),
        }
        print(f"{name}: {measured[name]}", flush=True)
    return measured


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
        inference_table(result["inference"]),
    ]
    return "\n\n".join(parts) + "\n"


def inference_table(inference: dict[str, Any]) -> str:
    """One row per inference path: texts/s, ratio to fp32, agreement with fp32."""
    header = [
        f"inference path ({inference['texts']} texts, {inference['max_length']} tokens)",
        "texts/s",
        "vs fp32",
        "same label as fp32",
    ]
    base = inference["fp32"]["texts_per_second"]
    rows = [
        [
            name,
            f"{inference[name]['texts_per_second']:.1f}",
            f"{inference[name]['texts_per_second'] / base:.2f}x",
            f"{inference[name]['argmax_agreement_with_fp32']:.1%}",
        ]
        for name in ("fp32", "bf16", "int8_dynamic")
        if name in inference
    ]
    return table(header, rows)


if __name__ == "__main__":
    main()
