"""What the unmet time-to-quality targets are up against, measured in one run on this machine.

1. The labels: the pipeline's TF-IDF + LR baseline trained on the blog's sample and, beside it, on
   every other paper of the snapshot (about 8x more), both scored on the unseen set. If even the
   larger training set stays below ROC-AUC 0.99 / macro-F1 0.95, the cs.AI <-> cs.IR overlap of
   primary categories, not the recipe, bounds what the blog's sample can reach.
2. The inference paths of a trained model (--model, e.g. models/published after `dvc repro`) on
   the unseen abstracts: the shared fp32 path, bf16 autocast where the device computes it
   natively, and PyTorch's dynamic int8 quantization of the linear layers; texts/s of each and its
   agreement with fp32 (same argmax). A path is worth adopting only if faster with the same labels.

    python -m bench.ceilings --snapshot ../shared/data/arxiv-cs-ai-ir-ro.jsonl \\
        --model models/published
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from arxivist.baseline import fit_baseline
from arxivist.compute import Compute, probe, resolve
from arxivist.inference import Classifier, load_classifier, predict_proba
from arxivist.metrics import classification_metrics
from arxivist.papers import Paper
from arxivist.params import EvaluateParams
from arxivist.sources.snapshot import read_snapshot
from bench.harness import begin, finish
from bench.unseen import DEFAULT_UNSEEN, parse_unseen, read_unseen, unseen_counts
from tests.fakes.workspace import ROOT

SAMPLE = {"cs.AI": 1000, "cs.IR": 1000, "cs.RO": 100}  # the blog's, as params.yaml


def main() -> None:
    args = parse_args()
    machine = begin()
    counts = unseen_counts(args.unseen, SAMPLE)
    snapshot = str(args.snapshot)
    unseen = read_unseen(snapshot, SAMPLE, counts)
    result = {
        "machine": machine,
        "unseen": {"papers": counts},
        "labels": label_ceiling(snapshot, unseen),
        "inference": inference_paths(args.model, [paper.abstract for paper in unseen]),
    }
    finish(args.out, result, markdown)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", type=Path, required=True, help="bulk-metadata JSON lines")
    parser.add_argument("--model", type=Path, required=True, help="a save_pretrained folder")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "results" / "ceilings.json", help="result"
    )
    parser.add_argument(
        "--unseen", type=parse_unseen, default=DEFAULT_UNSEEN, metavar="SPEC", help="as bench"
    )
    return parser.parse_args()


def label_ceiling(snapshot: str, unseen: list[Paper]) -> dict[str, Any]:
    """The baseline's unseen-set metrics trained on the blog sample and on all other papers."""
    codes = list(SAMPLE)
    every = read_snapshot(snapshot, dict.fromkeys(codes, 10**9))
    held_out = {paper.id for paper in unseen}
    y_unseen = np.array([codes.index(paper.primary_category) for paper in unseen])
    train_sets = {
        "blog_sample": read_snapshot(snapshot, SAMPLE),
        "all_other_papers": [paper for paper in every if paper.id not in held_out],
    }
    ceiling = {}
    for name, train in train_sets.items():
        labels = np.array([codes.index(paper.primary_category) for paper in train])
        baseline = fit_baseline([p.abstract for p in train], labels, codes, EvaluateParams())
        proba = baseline.predict_proba([paper.abstract for paper in unseen])
        ceiling[name] = {"papers": len(train), **classification_metrics(y_unseen, proba, codes)}
        print(f"TF-IDF + LR on {name} ({len(train)}): {_scores(ceiling[name])}", flush=True)
    return ceiling


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
    """The two tables."""
    machine = result["machine"]
    rows = [
        f"Machine: **{machine['name']}** ({machine['torch_threads']} threads)",
        "",
        "| TF-IDF + LR trained on | papers | unseen ROC-AUC | unseen macro-F1 |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, scores in result["labels"].items():
        rows.append(
            f"| {name.replace('_', ' ')} | {scores['papers']} | {scores['roc_auc_ovr']:.4f} "
            f"| {scores['macro_f1']:.4f} |"
        )
    inference = result["inference"]
    rows += [
        "",
        f"| inference path ({inference['texts']} texts, {inference['max_length']} tokens) "
        "| texts/s | vs fp32 | same label as fp32 |",
        "| --- | ---: | ---: | ---: |",
    ]
    base = inference["fp32"]["texts_per_second"]
    for name in ("fp32", "bf16", "int8_dynamic"):
        if name in inference:
            path = inference[name]
            speed = path["texts_per_second"]
            rows.append(
                f"| {name} | {speed:.1f} | {speed / base:.2f}x "
                f"| {path['argmax_agreement_with_fp32']:.1%} |"
            )
    return "\n".join(rows)


def _scores(metrics: dict[str, Any]) -> str:
    return f"ROC-AUC {metrics['roc_auc_ovr']:.4f}, macro-F1 {metrics['macro_f1']:.4f}"


if __name__ == "__main__":
    main()
