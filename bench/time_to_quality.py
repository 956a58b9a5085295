"""Time to quality: the default pipeline against the seed recipe, measured in one run.

On the current machine, one after the other:

1. the seed recipe's training cost (the blog's notebook: 512 tokens, batch 16, fp32, AdamW at 1e-4,
   5 epochs), estimated from a few measured steps on the pipeline's own train split;
2. the default pipeline, fetch to publish, under `dvc repro` in a scratch copy of this repository
   whose fetch stage reads --snapshot (every other param as committed, or as --set says);
3. quality on an unseen, balanced set (for each category the papers by id right after the
   training sample) of the fine-tuned model through `arxivist predict`, a TF-IDF + logistic
   regression and a frozen-encoder + logistic regression baseline;
4. `arxivist predict` throughput against `transformers.pipeline()`.

It prints a markdown table and writes the numbers and the machine to --out.

    python -m bench.time_to_quality --snapshot ../shared/data/arxiv-cs-ai-ir-ro.jsonl

A smoke test of minutes (tiny sample, one epoch, short texts):

    python -m bench.time_to_quality --snapshot ../shared/data/arxiv-cs-ai-ir-ro.jsonl \\
        --out /tmp/ttq-smoke.json --seed-recipe-steps 2 --unseen 20 \\
        --set 'fetch.categories={cs.AI: 40, cs.IR: 40, cs.RO: 30}' \\
        --set train.epochs=1 --set tokenize.max_length=64
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import transformers
from sklearn.linear_model import LogisticRegressionCV
from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer

from arxivist.atomic import write_jsonl
from arxivist.baseline import fit_baseline
from arxivist.cards import load_report
from arxivist.checkpoints import resolve_checkpoint
from arxivist.compute import Compute, probe, resolve
from arxivist.labels import LabelSet
from arxivist.metrics import classification_metrics
from arxivist.papers import Paper
from arxivist.params import Params
from arxivist.predict import positive_int
from bench.harness import arguments, begin, finish, parse, scratch_workspace
from bench.report import evaluate_targets, markdown
from bench.unseen import check_disjoint
from tests.fakes.workspace import BIN, dvc, tool_env

STAGES = ("fetch", "encode", "split", "tokenize", "train", "evaluate", "publish")
# The blog notebook's fine-tuning: Trainer defaults (AdamW, grad-norm clipping at 1) and these.
SEED_RECIPE = {"max_length": 512, "batch_size": 16, "learning_rate": 1e-4, "epochs": 5}
FROZEN_CS = (0.1, 1.0, 10.0, 100.0)
EMBED_BATCH = 32


def main() -> None:
    args = parse_args()
    machine = begin()
    with scratch_workspace(args, "arxivist-ttq-") as scratch:
        workspace, params = scratch.workspace, scratch.params
        pipeline = run_pipeline(workspace)
        check_disjoint(scratch.unseen, workspace / "data/raw/papers.jsonl")
        splits = {
            name: pd.read_parquet(workspace / f"data/split/{name}.parquet")
            for name in ("train", "validation")
        }
        seed_recipe = measure_seed_recipe(params, splits, args.seed_recipe_steps)
        quality, throughput = measure_quality(workspace, params, splits["train"], scratch.unseen)
        if args.model_out:
            shutil.copytree(workspace / "models/published", args.model_out, dirs_exist_ok=True)
    result = {
        "machine": machine,
        "params": scratch.params_record(),
        "seed_recipe": seed_recipe,
        "pipeline": pipeline,
        "unseen": {"papers": scratch.counts},
        "quality": quality,
        "throughput": throughput,
    }
    result["targets"] = evaluate_targets(result)
    finish(args.out, result, markdown)


def parse_args() -> argparse.Namespace:
    parser = arguments(__doc__.splitlines()[0], "time_to_quality.json")
    parser.add_argument(
        "--seed-recipe-steps",
        type=positive_int,
        default=6,
        metavar="N",
        help="measured training steps (after one warm-up) for the estimate (default: %(default)s)",
    )
    parser.add_argument(
        "--model-out",
        type=Path,
        metavar="DIR",
        help="keep a copy of the published model there (e.g. for bench.ceilings --model)",
    )
    return parse(parser)


def run_pipeline(workspace: Path) -> dict[str, Any]:
    """`dvc repro -s` each stage in turn; per-stage and total seconds, train and test metrics."""
    stages = {}
    for stage in STAGES:
        seconds, _ = timed(lambda stage=stage: dvc(workspace, "repro", "-s", stage))
        stages[stage] = round(seconds, 1)
        print(f"pipeline {stage}: {stages[stage]} s", flush=True)
    return {
        "stages": stages,
        "seconds": round(sum(stages.values()), 1),
        "train_metrics": load_report(
            workspace / "reports/train/metrics.json", workspace / "reports/train/details.json"
        ),
        "test_split": load_report(
            workspace / "reports/eval/metrics.json", workspace / "reports/eval/details.json"
        ),
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
    return [
        encode_batch(rows.iloc[start : start + size], tokenizer, max_length, device)
        for start in range(0, len(rows), size)
    ]


def encode_batch(
    rows: pd.DataFrame, tokenizer: Any, max_length: int, device: str
) -> dict[str, torch.Tensor]:
    """The rows' abstracts truncated at `max_length`, padded to the longest, with their labels."""
    encoded = tokenizer(
        rows["abstract"].tolist(),
        truncation=True,
        max_length=max_length,
        padding=True,
        return_tensors="pt",
    )
    encoded["labels"] = torch.tensor(rows["label"].to_numpy())
    return dict(encoded.to(device))


def train_step(
    model: Any,
    optimizer: torch.optim.Optimizer,
    batch: dict[str, torch.Tensor],
    autocast: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
) -> None:
    """Forward (under `autocast()`), backward, clip the gradient norm at 1 and step AdamW, as the
    Trainer does."""
    with autocast():
        loss = model(**batch).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    optimizer.zero_grad()


def measure_quality(
    workspace: Path, params: Params, train: pd.DataFrame, unseen: Sequence[Paper]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Unseen-set metrics and costs of the fine-tuned model and both baselines; throughput."""
    labels = LabelSet.load(workspace / "data/labeled/labels.json")
    codes = list(labels.codes)
    texts = [paper.abstract for paper in unseen]
    y = np.array([codes.index(paper.primary_category) for paper in unseen])
    published = workspace / "models/published"
    inputs = write_unseen(workspace.parent / "unseen.jsonl", unseen)
    seconds, proba = timed(lambda: predict_cli(published, inputs, labels))
    print(f"arxivist predict: {seconds:.1f} s", flush=True)
    tfidf_seconds, tfidf = timed(
        lambda: fit_baseline(
            train["abstract"], train["label"].to_numpy(), codes, params.evaluate
        ).predict_proba(texts)
    )
    print(f"TF-IDF + LR: {tfidf_seconds:.1f} s", flush=True)
    compute = resolve(params.evaluate.precision)
    frozen_seconds, (frozen, c) = timed(lambda: frozen_encoder_lr(params, train, texts, compute))
    print(f"frozen encoder + LR: {frozen_seconds:.1f} s (C={c:g})", flush=True)
    quality = {
        "fine_tuned": {**classification_metrics(y, proba, codes), "seconds": round(seconds, 1)},
        "tfidf_lr": {
            **classification_metrics(y, tfidf, codes),
            "seconds": round(tfidf_seconds, 1),
        },
        "frozen_encoder_lr": {
            **classification_metrics(y, frozen, codes),
            "seconds": round(frozen_seconds, 1),
            "C": c,
            "precision": compute.precision,
        },
    }
    return quality, throughput(published, texts, proba, labels, seconds, compute.device)


def write_unseen(path: Path, unseen: Sequence[Paper]) -> Path:
    """The unseen papers as `arxivist predict` input: {"id", "abstract"} lines."""
    write_jsonl(path, ({"id": paper.id, "abstract": paper.abstract} for paper in unseen))
    return path


def predict_cli(model_dir: Path, inputs: Path, labels: LabelSet) -> np.ndarray:
    """Probabilities (columns in label-id order) from the real `arxivist predict` command."""
    done = subprocess.run(
        [
            str(BIN / "arxivist"),
            "predict",
            "--model",
            str(model_dir),
            "--input",
            str(inputs),
            "--format",
            "jsonl",
            "--all-scores",
        ],
        env=tool_env(),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"arxivist predict failed:\n{done.stderr}")
    rows = [json.loads(line)["scores"] for line in done.stdout.splitlines()]
    return np.array([[row[name] for name in labels.names] for row in rows])


def frozen_encoder_lr(
    params: Params, train: pd.DataFrame, texts: list[str], compute: Compute
) -> tuple[np.ndarray, float]:
    """Unseen-set probabilities of a logistic regression on frozen, mean-pooled, L2-normalised
    encoder embeddings, C chosen by 5-fold CV on the train split; and that C."""
    checkpoint = resolve_checkpoint(params.model)
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    encoder = AutoModel.from_pretrained(checkpoint).to(compute.device).eval()
    max_length = params.tokenize.max_length
    x_train = embed(encoder, tokenizer, train["abstract"].tolist(), max_length, compute)
    x_unseen = embed(encoder, tokenizer, texts, max_length, compute)
    classifier = LogisticRegressionCV(
        Cs=list(FROZEN_CS),
        l1_ratios=(0.0,),
        cv=5,
        scoring="neg_log_loss",
        class_weight="balanced",
        max_iter=2000,
        random_state=params.train.seed,
        use_legacy_attributes=False,
    ).fit(x_train, train["label"].to_numpy())
    return classifier.predict_proba(x_unseen), float(classifier.C_)


def embed(
    encoder: Any, tokenizer: Any, texts: list[str], max_length: int, compute: Compute
) -> np.ndarray:
    """Mean of the last hidden states over the attention mask, L2-normalised (the
    sentence-transformers pooling); batches of similar lengths, rows in input order."""
    order = np.argsort([len(text) for text in texts])
    out = np.empty((len(texts), encoder.config.hidden_size), dtype=np.float32)
    with torch.inference_mode(), compute.autocast():
        for start in range(0, len(texts), EMBED_BATCH):
            rows = order[start : start + EMBED_BATCH]
            batch = tokenizer(
                [texts[i] for i in rows],
                truncation=True,
                max_length=max_length,
                padding=True,
                return_tensors="pt",
            ).to(compute.device)
            hidden = encoder(**batch).last_hidden_state.float()
            mask = batch["attention_mask"].unsqueeze(-1).float()
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            out[rows] = torch.nn.functional.normalize(pooled, dim=-1).cpu().numpy()
    return out


def throughput(
    published: Path,
    texts: list[str],
    predict_proba: np.ndarray,
    labels: LabelSet,
    predict_seconds: float,
    device: str,
) -> dict[str, Any]:
    """texts/s of `arxivist predict` (process start included) and of `transformers.pipeline()`
    (loading excluded) on the same texts, and how often their top labels agree."""
    classify = transformers.pipeline(
        "text-classification", model=str(published), truncation=True, device=device
    )
    seconds, outputs = timed(lambda: classify(texts))
    print(f"transformers pipeline(): {seconds:.1f} s", flush=True)
    predicted = [labels.names[i] for i in predict_proba.argmax(axis=1)]
    agree = np.mean([out["label"] == name for out, name in zip(outputs, predicted, strict=True)])
    return {
        "texts": len(texts),
        "predict": {
            "seconds": round(predict_seconds, 2),
            "texts_per_second": rate(texts, predict_seconds),
        },
        "pipeline": {"seconds": round(seconds, 2), "texts_per_second": rate(texts, seconds)},
        "argmax_agreement": round(float(agree), 6),
    }


def rate(texts: Sequence[str], seconds: float) -> float:
    return round(len(texts) / seconds, 2)


def timed(work: Callable[[], Any], device: str = "cpu") -> tuple[float, Any]:
    """Wall seconds of `work()` and its result; on CUDA the queue is drained at both ends."""
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    value = work()
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start, value


if __name__ == "__main__":
    main()
