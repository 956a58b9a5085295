"""Sweep fine-tuning hyperparameters on a blog-sized sample of real arXiv abstracts.

Used to choose params.yaml's training defaults. For each config it fine-tunes the checkpoint with
AdamW, linear warmup/decay and dynamic padding (the settings of arxivist.training), records
validation ROC-AUC after every epoch and test metrics of the best epoch, and fits the TF-IDF +
logistic-regression baseline on the same split. Runs on a GPU when one is present; it does not need
DVC, datasets or dvclive, so it can run on a bare accelerator box.

    python bench/sweep_defaults.py --papers sample.jsonl --checkpoint DIR --out results.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import f1_score, roc_auc_score
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    get_linear_schedule_with_warmup,
)

from arxivist.baseline import fit_baseline
from arxivist.labels import LabelSet
from arxivist.params import EvaluateParams, SplitParams
from arxivist.splits import split_papers

LABELS = {"cs.AI": "Artificial Intelligence", "cs.IR": "Information Retrieval", "cs.RO": "Robotics"}


def encode(tokenizer, frame: pd.DataFrame, max_length: int) -> list[dict]:
    enc = tokenizer(frame["abstract"].tolist(), truncation=True, max_length=max_length)
    return [
        {"input_ids": ids, "attention_mask": mask, "labels": int(label)}
        for ids, mask, label in zip(
            enc["input_ids"], enc["attention_mask"], frame["label"], strict=True
        )
    ]


def probabilities(model, rows: list[dict], collate, device: str, batch: int = 64) -> np.ndarray:
    model.eval()
    out = []
    with torch.inference_mode():
        for start in range(0, len(rows), batch):
            inputs = collate(
                [{k: v for k, v in r.items() if k != "labels"} for r in rows[start : start + batch]]
            )
            logits = model(**{k: v.to(device) for k, v in inputs.items()}).logits
            out.append(torch.softmax(logits.float(), dim=-1).cpu().numpy())
    return np.concatenate(out)


def scores(y: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    return {
        "roc_auc_ovr": round(float(roc_auc_score(y, proba, multi_class="ovr")), 4),
        "macro_f1": round(float(f1_score(y, proba.argmax(1), average="macro")), 4),
    }


def run(config: dict, parts: dict, checkpoint: str, device: str) -> dict:
    torch.manual_seed(config["seed"])
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    rows = {name: encode(tokenizer, frame, config["max_length"]) for name, frame in parts.items()}
    model = AutoModelForSequenceClassification.from_pretrained(
        checkpoint, num_labels=3, dtype=torch.float32
    ).to(device)
    collate = DataCollatorWithPadding(tokenizer)
    weights = None
    if config["class_weights"] == "balanced":
        counts = np.bincount(parts["train"]["label"], minlength=3)
        weights = torch.tensor(
            len(parts["train"]) / (3 * counts), dtype=torch.float32, device=device
        )
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config["lr"], weight_decay=0.01)
    steps_per_epoch = -(-len(rows["train"]) // 16)
    total = steps_per_epoch * config["epochs"]
    schedule = get_linear_schedule_with_warmup(optimizer, int(0.1 * total), total)
    generator = torch.Generator().manual_seed(config["seed"])
    history, best, start = [], None, time.perf_counter()
    for epoch in range(1, config["epochs"] + 1):
        model.train()
        order = torch.randperm(len(rows["train"]), generator=generator).tolist()
        for i in range(0, len(order), 16):
            batch = collate([rows["train"][j] for j in order[i : i + 16]])
            labels = batch.pop("labels").to(device)
            logits = model(**{k: v.to(device) for k, v in batch.items()}).logits
            loss = loss_fn(logits, labels)
            loss.backward()
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
        val = scores(
            parts["validation"]["label"].to_numpy(),
            probabilities(model, rows["validation"], collate, device),
        )
        test = scores(
            parts["test"]["label"].to_numpy(), probabilities(model, rows["test"], collate, device)
        )
        history.append({"epoch": epoch, "val": val, "test": test})
        if best is None or val["roc_auc_ovr"] > best["val"]["roc_auc_ovr"]:
            best = history[-1]
    return {
        **config,
        "history": history,
        "best": best,
        "seconds": round(time.perf_counter() - start, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--papers", type=Path, required=True, help="data/raw/papers.jsonl of a blog-sized fetch"
    )
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--lrs", default="2e-5,5e-5,1e-4,2e-4")
    parser.add_argument("--max-lengths", default="128,256")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seeds", default="42")
    parser.add_argument("--class-weights", default="none,balanced")
    args = parser.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    papers = pd.read_json(args.papers, lines=True, dtype={"id": str})
    parts = split_papers(LabelSet.from_params(LABELS).encode(papers), SplitParams(), seed=42)
    baseline = fit_baseline(
        parts["train"]["abstract"],
        parts["train"]["label"].to_numpy(),
        list(LABELS),
        EvaluateParams(),
        42,
    )
    baseline_proba = baseline.predict_proba(parts["test"]["abstract"])
    results = {
        "device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
        "baseline_test": scores(parts["test"]["label"].to_numpy(), baseline_proba),
        "runs": [],
    }
    print(json.dumps(results))
    grid = itertools.product(
        [float(x) for x in args.lrs.split(",")],
        [int(x) for x in args.max_lengths.split(",")],
        args.class_weights.split(","),
        [int(x) for x in args.seeds.split(",")],
    )
    for lr, max_length, class_weights, seed in grid:
        config = {
            "lr": lr,
            "max_length": max_length,
            "class_weights": class_weights,
            "seed": seed,
            "epochs": args.epochs,
        }
        result = run(config, parts, args.checkpoint, device)
        results["runs"].append(result)
        print(json.dumps({k: v for k, v in result.items() if k != "history"}), flush=True)
        args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
