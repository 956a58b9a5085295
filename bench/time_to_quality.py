"""Time to quality: the default pipeline against the seed recipe, measured in one run (`make bench`;
docs/benchmarks.md says what it measures, and gives a smoke run of minutes)."""

from __future__ import annotations

import argparse
import json
import math
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import yaml
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from arxivist.arguments import positive_int
from arxivist.jsonlines import read_jsonl
from arxivist.model.checkpoints import resolve_checkpoint
from arxivist.model.compute import probe
from arxivist.params import Params, load_params
from bench.experiments import timed_repro
from bench.harness import (
    RESULTS,
    arguments,
    begin,
    bench_overrides,
    finish,
    params_record,
    parse,
    timed,
)
from bench.report import evaluate_targets, markdown
from standins.workspace import ROOT, make_workspace

STAGES = tuple(yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"])
NEW_STAGES = ("later", "baselines")  # the seed had neither: their cost is stated apart
# The blog notebook's fine-tuning: Trainer defaults (AdamW, grad-norm clipping at 1) and these.
SEED_RECIPE = {"max_length": 512, "batch_size": 16, "learning_rate": 1e-4, "epochs": 5}


def main() -> None:
    args = parse_args()
    machine = begin()
    with tempfile.TemporaryDirectory(prefix="arxivist-ttq-") as scratch:
        overrides = bench_overrides(args.snapshot, args.set)
        workspace = make_workspace(Path(scratch) / "workspace", overrides)
        params = load_params(workspace / "params.yaml")
        stages = timed_repro(workspace, *STAGES)
        details = json.loads((workspace / "reports/eval/details.json").read_text("utf-8"))
        later = read_jsonl(workspace / "data/later/papers.jsonl")
        splits = {
            name: pd.read_parquet(workspace / f"data/split/{name}.parquet")
            for name in ("train", "validation")
        }
        seed_recipe = measure_seed_recipe(params, splits, args.seed_recipe_steps)
        shutil.rmtree(args.keep_model, ignore_errors=True)
        shutil.copytree(workspace / "models/published", args.keep_model)
    result = {
        "machine": machine,
        "params": params_record(params),
        "seed_recipe": seed_recipe,
        "pipeline": pipeline_costs(stages, details["later"]["papers"], details["test"]["papers"]),
        "later_papers": dict(Counter(paper["primary_category"] for paper in later)),
        "quality": {name: details[name] for name in ("later", "test")},
        "compute": details["compute"],
    }
    result["targets"] = evaluate_targets(result)
    finish(args.out, result, markdown)


def parse_args() -> argparse.Namespace:
    parser = arguments(__doc__.splitlines()[0], "time_to_quality.json")
    steps = "measured training steps (after one warm-up) for the estimate (default: %(default)s)"
    parser.add_argument("--seed-recipe-steps", type=positive_int, default=6, help=steps)
    keep = "where the published model is kept for bench.inference (default: %(default)s)"
    parser.add_argument("--keep-model", type=Path, default=RESULTS / "model", help=keep)
    return parse(parser)


def pipeline_costs(stages: dict[str, float], later_papers: int, test_papers: int) -> dict:
    """Stage seconds, their total, and that total split into what the seed did and the new work:
    the later and baselines stages, and evaluate's share for the later set (its seconds split by
    papers: inference dominates it), an estimate."""
    total = sum(stages.values())
    share = later_papers / (later_papers + test_papers)
    evaluate_later = stages.get("evaluate", 0.0) * share
    new = sum(stages.get(stage, 0.0) for stage in NEW_STAGES) + evaluate_later
    return {
        "stages": stages,
        "seconds": round(total, 1),
        "seed_comparable": {
            "seconds": round(total - new, 1),
            "kind": "all stages less the later and baselines stages and evaluate's later share",
        },
        "new_work": {
            **{stage: stages.get(stage, 0.0) for stage in NEW_STAGES},
            "evaluate_later_share": round(share, 4),
            "evaluate_later_seconds": round(evaluate_later, 1),
            "seconds": round(new, 1),
        },
    }


def measure_seed_recipe(
    params: Params, splits: dict[str, pd.DataFrame], steps: int
) -> dict[str, Any]:
    """Seconds the seed recipe would train for: median measured step x steps, plus a validation
    pass per epoch (median measured forward-only batch x batches)."""
    recipe, device = SEED_RECIPE, probe().device
    checkpoint = resolve_checkpoint(params.model)
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    torch.manual_seed(params.train.seed)
    model = AutoModelForSequenceClassification.from_pretrained(
        checkpoint, num_labels=len(params.labels), dtype=torch.float32
    ).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe["learning_rate"])
    rng = np.random.default_rng(params.train.seed)
    model.train()
    train_times = [
        timed(lambda b=b: train_step(model, optimizer, b), device)[0]
        for b in sample_batches(splits["train"], tokenizer, rng, steps + 1, device)
    ]
    model.eval()
    with torch.inference_mode():
        eval_times = [
            timed(lambda b=b: model(**b), device)[0]
            for b in sample_batches(splits["validation"], tokenizer, rng, steps + 1, device)
        ]
    step, eval_batch = float(np.median(train_times[1:])), float(np.median(eval_times[1:]))
    batches = {name: math.ceil(len(frame) / recipe["batch_size"]) for name, frame in splits.items()}
    per_epoch = step * batches["train"] + eval_batch * batches["validation"]
    seconds = per_epoch * recipe["epochs"]
    print(f"seed recipe: {step:.2f} s/step, estimate {seconds / 3600:.2f} h", flush=True)
    return {
        "kind": f"estimate from {steps} measured steps",
        "seconds": round(seconds, 1),
        "recipe": recipe,
        "device": device,
        "n_train": len(splits["train"]),
        "n_validation": len(splits["validation"]),
        "train_step_seconds": [round(t, 3) for t in train_times[1:]],
        "validation_batch_seconds": [round(t, 3) for t in eval_times[1:]],
    }


def sample_batches(
    frame: pd.DataFrame, tokenizer: Any, rng: np.random.Generator, count: int, device: str
) -> list[dict[str, torch.Tensor]]:
    """`count` random batches of the seed recipe's size as the notebook's Trainer builds them:
    truncated at its length, padded to the longest text of the batch."""
    size, max_length = SEED_RECIPE["batch_size"], SEED_RECIPE["max_length"]
    rows = frame.iloc[rng.choice(len(frame), count * size)]
    batches = []
    for start in range(0, len(rows), size):
        batch = rows.iloc[start : start + size]
        encoded = tokenizer(
            batch["abstract"].tolist(),
            truncation=True,
            max_length=max_length,
            padding=True,
            return_tensors="pt",
        )
        encoded["labels"] = torch.tensor(batch["label"].to_numpy())
        batches.append(dict(encoded.to(device)))
    return batches


def train_step(
    model: Any, optimizer: torch.optim.Optimizer, batch: dict[str, torch.Tensor]
) -> None:
    """Forward, backward, clip the gradient norm at 1 and step AdamW, as the Trainer does."""
    model(**batch).loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    optimizer.zero_grad()


if __name__ == "__main__":
    main()
