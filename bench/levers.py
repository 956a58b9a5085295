"""Each training lever's cost and worth, measured in one run on the current machine.

1. Step time per lever, side by side in this process on one real batch of 16 training abstracts:
   the seed recipe (512 tokens, the checkpoint's dropouts, nothing frozen), then at 256 tokens the
   checkpoint as it is, attention dropout 0, and the lowest three layers frozen (the defaults), and
   bf16 autocast where the device computes bf16 natively. Models come from
   `arxivist.training.load_model`, so the levers measured are the pipeline's own.
2. Quality and training time per lever through the pipeline itself: a scratch workspace reads the
   snapshot, `dvc repro` runs the committed defaults, then one `dvc exp run -S` per variant changes
   one lever. Each run reports the train + evaluate + publish wall time (data stages are cached),
   the best epoch's validation ROC-AUC and macro-F1, and the unseen set's (`arxivist predict`).

Levers are chosen on validation; the unseen set is reported, not used to choose.

    python -m bench.levers --snapshot ../shared/data/arxiv-cs-ai-ir-ro.jsonl
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import transformers
from transformers import AutoTokenizer

from arxivist.atomic import write_json
from arxivist.checkpoints import resolve_checkpoint
from arxivist.compute import Compute, probe
from arxivist.labels import LabelSet
from arxivist.metrics import classification_metrics
from arxivist.params import Params, TrainParams, load_params
from arxivist.training import load_model
from bench.time_to_quality import (
    describe_machine,
    parse_set,
    predict_cli,
    timed,
    train_step,
    write_unseen,
)
from bench.unseen import DEFAULT_UNSEEN, check_disjoint, parse_unseen, read_unseen, unseen_counts
from tests.fakes.workspace import ROOT, deep_merge, dvc, git, make_workspace

VARIANTS = (
    "train.head_init=random",
    "train.frozen_layers=0",
    "train.attention_dropout=0.1",
    "train.epochs=2",
)
BATCH = 16


def main() -> None:
    args = parse_args()
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    machine = describe_machine()
    print(f"machine: {machine}", flush=True)
    snapshot = str(args.snapshot.resolve())
    overrides = deep_merge({"fetch": {"source": "snapshot", "snapshot_path": snapshot}}, args.set)
    with tempfile.TemporaryDirectory(prefix="arxivist-levers-") as scratch:
        workspace = make_workspace(Path(scratch) / "workspace", overrides)
        params = load_params(workspace / "params.yaml")
        counts = unseen_counts(args.unseen, params.fetch.categories)
        unseen = read_unseen(snapshot, params.fetch.categories, counts)
        dvc(workspace, "repro", "tokenize")
        check_disjoint(unseen, workspace / "data/raw/papers.jsonl")
        inputs = write_unseen(Path(scratch) / "unseen.jsonl", unseen)
        truth = [paper.primary_category for paper in unseen]
        train = pd.read_parquet(workspace / "data/split/train.parquet")
        steps = step_times(params, train, args.steps)
        runs = [run_variant(workspace, None, inputs, truth)]
        runs += [run_variant(workspace, variant, inputs, truth) for variant in args.variants]
    result = {"machine": machine, "steps": steps, "runs": runs, "unseen": {"papers": counts}}
    write_json(args.out, result)
    print(f"\nwrote {args.out}\n\n{markdown(result)}", flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", type=Path, required=True, help="bulk-metadata JSON lines")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "results" / "levers.json", help="results"
    )
    parser.add_argument("--steps", type=int, default=3, help="timed steps per lever (median)")
    parser.add_argument(
        "--variants",
        type=lambda text: tuple(item for item in text.split(",") if item),
        default=VARIANTS,
        help=f"comma-separated `dvc exp run -S` overrides (default: {','.join(VARIANTS)})",
    )
    parser.add_argument("--unseen", type=parse_unseen, default=DEFAULT_UNSEEN, metavar="SPEC")
    parser.add_argument("--set", type=parse_set, action="append", default=[], metavar="KEY=YAML")
    args = parser.parse_args()
    merged: dict[str, Any] = {}
    for override in args.set:
        merged = deep_merge(merged, override)
    args.set = merged
    return args


def step_levers(native_bf16: bool) -> list[tuple[str, int, dict[str, Any], bool]]:
    """(name, max_length, TrainParams overrides, bf16) for each step-time row, in order."""
    levers = [
        ("seed recipe: 512 tokens, checkpoint dropouts", 512, {"attention_dropout": 0.1}, False),
        ("256 tokens, checkpoint dropouts", 256, {"attention_dropout": 0.1}, False),
        ("+ attention dropout 0", 256, {}, False),
        ("+ 3 lowest layers frozen (defaults)", 256, {"frozen_layers": 3}, False),
    ]
    if native_bf16:
        levers.append(("+ bf16 autocast", 256, {"frozen_layers": 3}, True))
    return levers


def step_times(params: Params, train: pd.DataFrame, steps: int) -> list[dict[str, Any]]:
    """Median seconds of a training step (forward, backward, AdamW) per lever, on one batch."""
    capability = probe()
    checkpoint = resolve_checkpoint(params.model.checkpoint)
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    labels = LabelSet.from_params(params.labels)
    rows = train.iloc[:BATCH]
    rows_out = []
    for name, max_length, overrides, bf16 in step_levers(capability.native_bf16):
        torch.manual_seed(params.seed)
        lever = TrainParams(**{"frozen_layers": 0, **overrides})
        model = load_model(checkpoint, labels, lever).to(capability.device).train()
        trainable = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(trainable, lr=params.train.learning_rate)
        batch = tokenizer(
            rows["abstract"].tolist(),
            truncation=True,
            max_length=max_length,
            padding=True,
            return_tensors="pt",
        )
        batch["labels"] = torch.tensor(rows["label"].to_numpy())
        batch = dict(batch.to(capability.device))
        compute = Compute(capability.device, "bf16" if bf16 else "fp32", capability.name)
        median = median_step(model, optimizer, batch, compute, steps)
        rows_out.append(
            {"lever": name, "tokens": tuple(batch["input_ids"].shape), "seconds": median}
        )
        print(f"step {name}: {median:.2f} s", flush=True)
    base = rows_out[1]["seconds"]
    for row in rows_out:
        row["ratio"] = round(row["seconds"] / base, 3)
        row["seconds"] = round(row["seconds"], 3)
    return rows_out


def median_step(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    batch: dict[str, torch.Tensor],
    compute: Compute,
    steps: int,
) -> float:
    """Median seconds of `steps` training steps after one warm-up."""
    seconds = []
    for _ in range(steps + 1):
        with compute.autocast():
            elapsed, _ = timed(lambda: train_step(model, optimizer, batch), compute.device)
        seconds.append(elapsed)
    return statistics.median(seconds[1:])


def run_variant(
    workspace: Path, variant: str | None, inputs: Path, truth: list[str]
) -> dict[str, Any]:
    """Train, evaluate and publish with the defaults (None) or one `-S` override; the numbers."""
    git(workspace, "checkout", "--", "params.yaml")
    command = ("repro",) if variant is None else ("exp", "run", "-S", variant)
    seconds, _ = timed(lambda: dvc(workspace, *command))
    training = json.loads((workspace / "reports/train/metrics.json").read_text())
    test = json.loads((workspace / "reports/eval/metrics.json").read_text())["model"]
    labels = LabelSet.load(workspace / "data/labeled/labels.json")
    proba = predict_cli(workspace / "models/published", inputs, labels)
    y = np.array([labels.codes.index(code) for code in truth])
    unseen = classification_metrics(y, proba, labels.codes)
    row = {
        "variant": variant or "defaults",
        "seconds": round(seconds, 1),
        "best_epoch": training["best_epoch"],
        "val_roc_auc": training["val_roc_auc"],
        "val_macro_f1": training["val_macro_f1"],
        "test_roc_auc": test["roc_auc_ovr"],
        "test_macro_f1": test["macro_f1"],
        "unseen_roc_auc": unseen["roc_auc_ovr"],
        "unseen_macro_f1": unseen["macro_f1"],
    }
    print(f"run {row}", flush=True)
    return row


def markdown(result: dict[str, Any]) -> str:
    """The machine line, the step-time table and the per-variant table."""
    machine = result["machine"]
    head = f"**{machine['name']}** ({machine['device']}, {machine['torch_threads']} torch threads)"
    steps = [
        "| training step, batch of 16 | padded shape | s | ratio |",
        "| --- | --- | --- | --- |",
    ]
    steps += [
        f"| {r['lever']} | {r['tokens'][0]}x{r['tokens'][1]} | {r['seconds']:.2f} "
        f"| {r['ratio']:.2f} |"
        for r in result["steps"]
    ]
    base = result["runs"][0]["seconds"]
    runs = [
        "| run | train+evaluate+publish | ratio | val ROC-AUC | val macro-F1 "
        "| unseen ROC-AUC | unseen macro-F1 |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    runs += [
        f"| {r['variant']} | {r['seconds']:.0f} s | {r['seconds'] / base:.2f} "
        f"| {r['val_roc_auc']:.4f} | {r['val_macro_f1']:.4f} "
        f"| {r['unseen_roc_auc']:.4f} | {r['unseen_macro_f1']:.4f} |"
        for r in result["runs"]
    ]
    rule = "Levers are chosen on validation; the unseen set is reported, not used to choose."
    return "\n\n".join([head, "\n".join(steps), "\n".join(runs), rule]) + "\n"


if __name__ == "__main__":
    main()
