"""Each training lever measured, kept only if the numbers support it: one run, this machine.

1. Step time per lever, side by side in this process on one real batch of 16 training abstracts
   (padded to the batch's longest): the seed recipe (512 tokens, the checkpoint's dropouts, fp32,
   nothing frozen), then at 256 tokens the checkpoint as it is, attention dropout 0, the lowest
   three layers frozen too, and bf16 autocast too where the device computes bf16 natively. Each
   lever: one warm-up and --steps timed steps (forward, backward, AdamW); the median and its ratio
   to the checkpoint as it is. Models come from `arxivist.training.load_model`, so the levers
   timed are the pipeline's own code.
2. Quality and training time per lever through the pipeline itself: a scratch workspace reads the
   snapshot, `dvc repro tokenize baselines` runs the data stages, the later set and the baselines
   once (then committed), and one
   timed `dvc exp run` trains the defaults, then one `dvc exp run -S KEY=VALUE` per variant, each
   changing one lever. Each records the call's wall time with the stages it ran (train, evaluate,
   publish: the data stages, the later set and the baselines are cached), the best epoch's
   validation ROC-AUC and macro-F1, and the model's on the test split and the later set with their
   bootstrap intervals, from the evaluate stage's reports/eval/details.json.

Levers are chosen on validation; the later set is reported, not used to choose.

    python -m bench.levers --snapshot ../shared/data/arxiv-cs-ai-ir-ro.jsonl

A smoke test of minutes (tiny sample, short texts, two variants):

    python -m bench.levers --snapshot ../shared/data/arxiv-cs-ai-ir-ro.jsonl \\
        --out /tmp/levers-smoke.json --steps 1 \\
        --set 'fetch.categories={cs.AI: 40, cs.IR: 40, cs.RO: 30}' \\
        --set 'later.categories={cs.AI: 20, cs.IR: 20, cs.RO: 20}' \\
        --set train.epochs=1 --set tokenize.max_length=64 \\
        --variants train.head_init=random,train.frozen_layers=0
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import torch
import yaml
from transformers import AutoConfig, AutoTokenizer

from arxivist.arguments import positive_int
from arxivist.cards import load_report
from arxivist.checkpoints import resolve_checkpoint
from arxivist.compute import Capability, Compute, probe
from arxivist.labels import LabelSet
from arxivist.metrics import HEADLINE
from arxivist.params import Params, TrainParams
from arxivist.training import load_model
from bench.harness import arguments, begin, finish, parse, parse_set, scratch_workspace
from bench.report import METRIC_NAMES, interval_text, machine_line, table
from bench.timing import encode_batch, timed, train_step
from standins.workspace import dvc, git

VARIANTS = (
    "train.head_init=random",
    "train.frozen_layers=0",
    "train.attention_dropout=0.1",
    "train.group_by_length=false",
    "train.epochs=2",  # the default is 1 epoch: the one-lever change is a second one
)
BATCH = 16
AS_IS = "checkpoint as is"  # the step-time row the others are compared with
RULE = "Levers are chosen on validation; the later set is reported, not used to choose."
RAN = re.compile(r"Running stage '([^']+)'")


class LeverError(ValueError):
    """A variant that would not measure one lever: an unknown param, or no change at all."""


@dataclass(frozen=True)
class StepLever:
    """One step-time row: what `load_model` gets, the batch's token limit, bf16 autocast or not."""

    name: str
    max_length: int
    attention_dropout: float
    frozen_layers: int
    bf16: bool = False


def main() -> None:
    args = parse_args()
    machine = begin()
    with scratch_workspace(args, "arxivist-levers-") as scratch:
        workspace = scratch.workspace
        check_variants(
            args.variants, yaml.safe_load((workspace / "params.yaml").read_text(encoding="utf-8"))
        )
        dvc(workspace, "repro", "tokenize", "baselines")
        git(workspace, "add", "-A")
        git(workspace, "commit", "-q", "-m", "Data stages, later set, baselines")
        train = pd.read_parquet(workspace / "data/split/train.parquet")
        steps = step_times(scratch.params, train.iloc[:BATCH], args.steps)
        runs = [run_variant(workspace, variant) for variant in (None, *args.variants)]
    result = {
        "machine": machine,
        "params": scratch.params_record(),
        "steps": {"batch": BATCH, "timed_steps": args.steps, "levers": steps},
        "runs": with_ratios(runs),
        "rule": RULE,
    }
    finish(args.out, result, markdown)


def parse_args() -> argparse.Namespace:
    parser = arguments(__doc__.splitlines()[0], "levers.json")
    parser.add_argument(
        "--steps",
        type=positive_int,
        default=3,
        metavar="N",
        help="timed training steps per lever after one warm-up; the median counts "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--variants",
        type=parse_variants,
        default=VARIANTS,
        metavar="KEY=YAML,...",
        help="the `dvc exp run -S` overrides, one lever each, comma-separated "
        f"(default: {','.join(VARIANTS)})",
    )
    return parse(parser)


def parse_variants(text: str) -> tuple[str, ...]:
    """'train.epochs=2,train.frozen_layers=0' -> each override, checked to be KEY=VALUE."""
    variants = tuple(item.strip() for item in text.split(",") if item.strip())
    if not variants:
        raise argparse.ArgumentTypeError("expected at least one KEY=VALUE")
    for variant in variants:
        parse_set(variant)
    return variants


def check_variants(variants: Sequence[str], params: dict[str, Any]) -> None:
    """Fail before any training on a variant that names no param of `params` (the workspace's
    params.yaml), repeats another or changes nothing: DVC would not train again for it."""
    if len(set(variants)) < len(variants):
        raise LeverError(f"a variant is given twice: {', '.join(variants)}")
    for variant in variants:
        key, _, value = variant.partition("=")
        current: Any = params
        for part in key.split("."):
            if not isinstance(current, dict) or part not in current:
                raise LeverError(f"{variant}: the workspace has no param {key}")
            current = current[part]
        if yaml.safe_load(value) == current:
            raise LeverError(f"{variant} changes nothing: the workspace has {key}: {current}")


def step_levers(checkpoint_dropout: float) -> list[StepLever]:
    """The step-time rows in order: the seed recipe, the checkpoint as is at 256 tokens, then one
    more lever each row."""
    return [
        StepLever("seed recipe", 512, checkpoint_dropout, 0),
        StepLever(AS_IS, 256, checkpoint_dropout, 0),
        StepLever("attention dropout 0", 256, 0.0, 0),
        StepLever("+ 3 layers frozen", 256, 0.0, 3),
        StepLever("+ bf16 autocast", 256, 0.0, 3, bf16=True),
    ]


def skip_reason(lever: StepLever, capability: Capability) -> str | None:
    """Why a lever is not timed here: bf16 autocast only runs where bf16 is native."""
    if lever.bf16 and not capability.native_bf16:
        return f"no native bf16 on {capability.name}"
    return None


def step_times(params: Params, rows: pd.DataFrame, steps: int) -> list[dict[str, Any]]:
    """Each step lever's median training-step seconds on `rows`, or why it was skipped."""
    capability = probe()
    checkpoint = resolve_checkpoint(params.model)
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    dropout = AutoConfig.from_pretrained(checkpoint).attention_probs_dropout_prob
    measured = []
    for lever in step_levers(dropout):
        if reason := skip_reason(lever, capability):
            record = {"lever": lever.name, "skipped": reason}
        else:
            batch = encode_batch(rows, tokenizer, lever.max_length, capability.device)
            record = time_lever(lever, checkpoint, params, batch, capability, steps)
        print(f"step {lever.name}: {reason or str(record['median_seconds']) + ' s'}", flush=True)
        measured.append(record)
    base = next(record["median_seconds"] for record in measured if record["lever"] == AS_IS)
    for record in measured:
        if "median_seconds" in record:
            record["ratio"] = round(record["median_seconds"] / base, 3)
    return measured


def time_lever(
    lever: StepLever,
    checkpoint: Path,
    params: Params,
    batch: dict[str, torch.Tensor],
    capability: Capability,
    steps: int,
) -> dict[str, Any]:
    """One warm-up and `steps` timed steps of the pipeline's model with this lever's settings."""
    torch.manual_seed(params.train.seed)
    settings = TrainParams(
        attention_dropout=lever.attention_dropout, frozen_layers=lever.frozen_layers
    )
    labels = LabelSet.from_params(params.labels)
    model = load_model(checkpoint, labels, settings).to(capability.device).train()
    trainable = [weight for weight in model.parameters() if weight.requires_grad]
    optimizer = torch.optim.AdamW(
        trainable, lr=params.train.learning_rate, weight_decay=params.train.weight_decay
    )
    compute = Compute(capability.device, "bf16" if lever.bf16 else "fp32", capability.name)
    seconds = [
        timed(lambda: train_step(model, optimizer, batch, compute.autocast), compute.device)[0]
        for _ in range(steps + 1)
    ][1:]
    return {
        "lever": lever.name,
        "padded_batch": list(batch["input_ids"].shape),
        "attention_dropout": lever.attention_dropout,
        "frozen_layers": lever.frozen_layers,
        "precision": compute.precision,
        "step_seconds": [round(s, 3) for s in seconds],
        "median_seconds": round(statistics.median(seconds), 3),
    }


def run_variant(workspace: Path, variant: str | None) -> dict[str, Any]:
    """A timed `dvc exp run` of the defaults (None) or of one `-S` override, and its numbers."""
    git(workspace, "checkout", "--", "params.yaml")  # the last run's -S stays in the workspace
    command = ("exp", "run", *(("-S", variant) if variant else ()))
    seconds, done = timed(lambda: dvc(workspace, *command))
    ran = stages_run(done.stdout + done.stderr)
    if "train" not in ran:
        raise LeverError(f"dvc {' '.join(command)} ran {ran or 'no stage'}, not train")
    reports = workspace / "reports"
    training = load_report(reports / "train/metrics.json", reports / "train/details.json")
    details = json.loads((reports / "eval/details.json").read_text(encoding="utf-8"))
    run = {
        "variant": variant or "defaults",
        "seconds": round(seconds, 1),
        "stages_run": ran,
        "precision": training["compute"]["precision"],
        "best_epoch": training["best_epoch"],
        "val_roc_auc": training["val_roc_auc"],
        "val_macro_f1": training["val_macro_f1"],
        "later_papers": details["later"]["papers"],
        **{name: details[name]["model"]["intervals"] for name in ("test", "later")},
        "later_model_minus_encoder": details["later"]["differences"]["model - encoder"],
    }
    print(f"run {run}", flush=True)
    return run


def stages_run(dvc_output: str) -> list[str]:
    """The stages a dvc command ran (not skipped or restored from the run cache), in order."""
    return RAN.findall(dvc_output)


def with_ratios(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The runs, each with its wall time's ratio to the first (the defaults)."""
    base = runs[0]["seconds"]
    return [{**run, "ratio_to_default": round(run["seconds"] / base, 3)} for run in runs]


def markdown(result: dict[str, Any]) -> str:
    """The machine line, the step-time and per-variant tables, what the wall covers, the rule."""
    ran = sorted({", ".join(run["stages_run"]) for run in result["runs"]})
    papers = result["runs"][0]["later_papers"]
    notes = (
        f"Wall: the `dvc exp run` call, which ran {' or '.join(ran)} (the data stages, the later "
        f"set and the baselines cached). Later set: {papers} papers submitted after the training "
        "sample, with 95% bootstrap intervals; validation: the best epoch's, as the train stage "
        f"reports it (no interval). {result['rule']}"
    )
    parts = [machine_line(result["machine"]), steps_table(result["steps"]), runs_table(result)]
    return "\n\n".join([*parts, notes]) + "\n"


def steps_table(steps: dict[str, Any]) -> str:
    """One row per step lever: padded batch, dropout, frozen layers, precision, median, ratio."""
    rows = []
    for lever in steps["levers"]:
        if "skipped" in lever:
            rows.append([lever["lever"], f"skipped: {lever['skipped']}", "", "", "", "", ""])
            continue
        height, width = lever["padded_batch"]
        rows.append(
            [
                lever["lever"],
                f"{height}x{width}",
                f"{lever['attention_dropout']:g}",
                str(lever["frozen_layers"]),
                lever["precision"],
                f"{lever['median_seconds']:.2f}",
                f"{lever['ratio']:.2f}",
            ]
        )
    header = [
        f"training step, batch of {steps['batch']}",
        "padded batch",
        "attention dropout",
        "frozen layers",
        "precision",
        f"median s of {steps['timed_steps']}",
        f"ratio to {AS_IS}",
    ]
    return table(header, rows)


def runs_table(result: dict[str, Any]) -> str:
    """One row per `dvc exp run`: the lever changed, wall, its ratio, validation, and the later
    set with intervals."""
    rows = [
        [
            run["variant"],
            f"{run['seconds']:.0f}",
            f"{run['ratio_to_default']:.2f}",
            f"{run['val_roc_auc']:.4f}",
            f"{run['val_macro_f1']:.4f}",
            *(interval_text(run["later"][metric]) for metric in HEADLINE),
        ]
        for run in result["runs"]
    ]
    header = ["lever changed", "train-stage wall s", "ratio to default"]
    header += ["val ROC-AUC", "val macro-F1"]
    header += [f"later {METRIC_NAMES[metric]} [95% CI]" for metric in HEADLINE]
    return table(header, rows)


if __name__ == "__main__":
    main()
