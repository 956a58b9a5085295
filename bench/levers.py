"""Each training lever measured, and chosen on validation data only: one run, this machine.

1. Step time per lever, side by side in this process on one real batch of 16 training abstracts
   (padded to the batch's longest): the seed recipe (512 tokens, the checkpoint's dropouts, fp32,
   nothing frozen), then at 256 tokens the checkpoint as it is, attention dropout 0, the lowest
   three layers frozen too, and bf16 autocast too where the device computes bf16 natively. Each
   lever: one warm-up and --steps timed steps (forward, backward, AdamW); the median and its ratio
   to the checkpoint as it is. Models come from `arxivist.training.load_model`, so the levers
   timed are the pipeline's own code.
2. Quality per lever by cross-validation on train + validation (`bench.crossval`): a scratch
   workspace runs the data stages (`dvc repro split`) on the snapshot; the train and validation
   splits are pooled (1,785 papers of the blog sample) and cut into --folds stratified folds; the
   defaults and each variant (one `-S`-style override each) train on every fold's complement with
   the train stage's own `fine_tune` and score the held-out fold. Each setting gets the pooled
   out-of-fold ROC-AUC and macro-F1 with their stratified bootstrap intervals, and the paired
   difference from the defaults on the same papers (`arxivist.bootstrap.intervals`). The
   defaults' folds also give two models that keep the linear probe's strength (probe average,
   weight average), at no extra training.

A variant replaces a default only when it is better than the defaults on one headline metric by
at least the smallest difference one run can resolve (--floor: the noise floor's result) with a
paired interval above 0, and worse on neither. The test split and the later set are not
used to choose; the later set's figures of the chosen defaults come from the pipeline
(`make bench`, `make bench-noise`).

Resumable: each fold's predictions are kept in --work as they finish; a rerun with the same
params and folds reuses them (one made with others is refused).

    python -m bench.levers --snapshot ../shared/data/arxiv-cs-ai-ir-ro.jsonl

A smoke test of minutes (tiny sample, short texts, one variant):

    python -m bench.levers --snapshot ../shared/data/arxiv-cs-ai-ir-ro.jsonl \\
        --out /tmp/levers-smoke.json --work /tmp/levers-smoke --steps 1 --folds 2 \\
        --set 'fetch.categories={cs.AI: 40, cs.IR: 40, cs.RO: 30}' \\
        --set tokenize.max_length=64 --variants train.frozen_layers=0
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import yaml
from transformers import AutoConfig, AutoTokenizer

from arxivist.arguments import positive_int
from arxivist.atomic import atomic_path, write_json
from arxivist.evaluation.bootstrap import intervals, resamples
from arxivist.evaluation.metrics import HEADLINE
from arxivist.labels import LabelSet
from arxivist.model.checkpoints import resolve_checkpoint
from arxivist.model.compute import Capability, Compute, probe, resolve
from arxivist.model.training import load_model
from arxivist.params import Params, TrainParams
from bench.crossval import PROBE_AVERAGE, Setting, fold_indices, fold_predictions
from bench.harness import (
    add_work_folder,
    arguments,
    begin,
    bench_params,
    finish,
    params_record,
    parse,
    parse_set,
    scratch_workspace,
)
from bench.report import METRIC_NAMES, interval_text, machine_line, table
from bench.timing import encode_batch, timed, train_step
from standins.workspace import ROOT, deep_merge, dvc

VARIANTS = (
    "train.learning_rate=5.0e-5",  # gentler fine-tuning after the probe, as LP-FT suggests
    "train.frozen_layers=0",
    "train.epochs=2",
    "tokenize.max_length=512",
)
DEFAULTS = "defaults"
SPLITS = ("train", "validation")  # pooled for the folds
FOLDS = 3
BATCH = 16
AS_IS = "checkpoint as is"  # the step-time row the others are compared with
RULE = (
    "Levers are chosen on out-of-fold predictions over train + validation; the test split and "
    "the later set are not used to choose."
)
NEEDS_TWO_MODELS = {PROBE_AVERAGE}  # not one plain classifier: `pipeline()` cannot load it


class LeverError(ValueError):
    """A variant that would not measure one lever, or a work folder made with other params."""


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
    floor = read_floor(args.floor)
    with scratch_workspace(args, "arxivist-levers-") as scratch:
        workspace = scratch.workspace
        check_variants(
            args.variants, yaml.safe_load((workspace / "params.yaml").read_text(encoding="utf-8"))
        )
        dvc(workspace, "repro", "split")
        pool = pd.concat(
            [pd.read_parquet(workspace / f"data/split/{name}.parquet") for name in SPLITS],
            ignore_index=True,
        )
        labels = LabelSet.load(workspace / "data/labeled/labels.json")
        steps = step_times(scratch.params, pool.iloc[:BATCH], args.steps)
    result = {
        "machine": machine,
        "params": scratch.params_record(),
        "steps": {"batch": BATCH, "timed_steps": args.steps, "levers": steps},
        "floor": floor,
        "rule": RULE,
    }
    settings = [setting(args, variant) for variant in (None, *args.variants)]
    result["crossval"] = cross_validate(pool, labels, settings, scratch.params, args, floor)
    finish(args.out, result, markdown)


def parse_args() -> argparse.Namespace:
    parser = arguments(__doc__.splitlines()[0], "levers.json")
    add_work_folder(parser, "levers")
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
        help=f"the overrides, one lever each, comma-separated (default: {','.join(VARIANTS)})",
    )
    parser.add_argument(
        "--folds",
        type=positive_int,
        default=FOLDS,
        metavar="K",
        help="stratified folds of train + validation (default: %(default)s)",
    )
    parser.add_argument(
        "--floor",
        type=Path,
        default=ROOT / "bench" / "results" / "noise_floor.json",
        help="the noise floor's result, whose smallest resolvable differences a lever must clear",
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


def read_floor(path: Path) -> dict[str, float]:
    """{metric: the smallest difference one run resolves}, from `make bench-noise`'s result."""
    try:
        floor = json.loads(path.read_text(encoding="utf-8"))["floor"]
        return {metric: floor[metric]["smallest_resolvable"] for metric in HEADLINE}
    except (OSError, ValueError, KeyError) as err:
        raise LeverError(f"{path}: no noise floor ({err}); run make bench-noise first") from err


def setting(args: argparse.Namespace, variant: str | None) -> Setting:
    """The defaults (None) or one variant over them, with the bench's params and --set."""
    overrides = deep_merge(args.set, parse_set(variant)) if variant else args.set
    params = bench_params(args.snapshot, overrides)
    return Setting(variant or DEFAULTS, params.train, params.tokenize.max_length)


def cross_validate(
    pool: pd.DataFrame,
    labels: LabelSet,
    settings: list[Setting],
    params: Params,
    args: argparse.Namespace,
    floor: dict[str, float],
) -> dict[str, Any]:
    """Each setting's out-of-fold scores on `pool` (kept in --work fold by fold), its intervals,
    its paired difference from the defaults and whether the rule adopts it; `params`: the
    workspace's (the defaults')."""
    targets = pool["label"].to_numpy()
    held = fold_indices(targets, args.folds, params.split.seed)
    work = open_work(args.work, params, pool, args.folds)
    checkpoint = resolve_checkpoint(params.model)
    compute = resolve(params.train.precision)
    scores: dict[str, np.ndarray] = {}
    seconds: dict[str, float] = {}
    for each in settings:
        found, seconds[each.name] = out_of_fold(
            work, pool, held, each, labels, checkpoint, compute, params.evaluate.batch_tokens
        )
        scores.update(found)
    evaluate = params.evaluate
    draws = resamples(targets, len(labels), evaluate.bootstrap_resamples, evaluate.bootstrap_seed)
    rows = []
    for name, probabilities in scores.items():
        pair = (
            {name: probabilities}
            if name == DEFAULTS
            else {name: probabilities, DEFAULTS: scores[DEFAULTS]}
        )
        systems, differences = intervals(pair, draws)
        row: dict[str, Any] = {
            "setting": name,
            "train_seconds": seconds.get(name),
            "intervals": {m: systems[name][m].record() for m in HEADLINE},
        }
        if name != DEFAULTS:
            difference = differences[f"{name} - {DEFAULTS}"]
            row["minus_defaults"] = {m: difference[m].record() for m in HEADLINE}
            row["adopted"] = adopted(row["minus_defaults"], floor) and name not in NEEDS_TWO_MODELS
        rows.append(row)
    return {"papers": len(pool), "folds": args.folds, "compute": compute.describe(), "rows": rows}


def open_work(work: Path, params: Params, pool: pd.DataFrame, folds: int) -> Path:
    """The work folder, made for these params, papers and folds; refused if made for others."""
    record = {"params": params_record(params), "papers": pool["id"].tolist(), "folds": folds}
    stamp = work / "made-for.json"
    if stamp.exists():
        if json.loads(stamp.read_text(encoding="utf-8")) != json.loads(json.dumps(record)):
            raise LeverError(f"{work} was made with other params, papers or folds; use --work")
    else:
        write_json(stamp, record)
    return work


def out_of_fold(
    work: Path,
    pool: pd.DataFrame,
    held: list[np.ndarray],
    each: Setting,
    labels: LabelSet,
    checkpoint: Path,
    compute: Compute,
    batch_tokens: int,
) -> tuple[dict[str, np.ndarray], float]:
    """{system: probabilities in pool order} of one setting (with the probe-keeping systems for
    the defaults) and the seconds its folds took, each fold computed once and kept in `work`."""
    with_probe = each.name == DEFAULTS
    found: dict[str, np.ndarray] = {}
    total = 0.0
    for k, rows in enumerate(held):
        path = work / each.name.replace("/", "_") / f"fold-{k}.npz"
        if not path.exists():
            start = time.perf_counter()
            fold = fold_predictions(
                pool, rows, each, labels, checkpoint, compute, batch_tokens, with_probe
            )
            seconds = time.perf_counter() - start
            with atomic_path(path) as staged:
                np.savez(staged, seconds=seconds, **fold)
            print(f"{each.name} fold {k}: {seconds:.0f} s", flush=True)
        kept = np.load(path)
        total += float(kept["seconds"])
        for name in kept.files:
            if name != "seconds":
                found.setdefault(name, np.zeros((len(pool), len(labels))))[rows] = kept[name]
    return found, round(total, 1)


def adopted(minus_defaults: dict[str, dict[str, Any]], floor: dict[str, float]) -> bool:
    """The rule: better than the defaults on some metric by at least its floor (the paired
    interval above 0), and worse on none."""
    verdicts = {m: minus_defaults[m]["verdict"] for m in HEADLINE}
    if "worse" in verdicts.values():
        return False
    return any(verdicts[m] == "better" and minus_defaults[m]["value"] >= floor[m] for m in HEADLINE)


def markdown(result: dict[str, Any]) -> str:
    """The machine line, the step-time table, the cross-validation table, the rule."""
    crossval = result["crossval"]
    floor = ", ".join(f"{METRIC_NAMES[m]} {v:.4f}" for m, v in result["floor"].items())
    notes = (
        f"Out-of-fold predictions on {crossval['papers']} papers (train + validation, "
        f"{crossval['folds']} stratified folds, {crossval['compute']['precision']}), 95% "
        f"stratified bootstrap intervals; differences paired on the same papers. Adopted: better "
        f"by at least the noise floor ({floor}) on one metric and worse on none; "
        f"{', '.join(sorted(NEEDS_TWO_MODELS))} needs two models at inference and is not "
        "adopted. Wall: training and scoring, the defaults' with the probe-keeping models too; "
        f"the step times above compare the levers' cost. {result['rule']}"
    )
    parts = [machine_line(result["machine"]), steps_table(result["steps"]), crossval_table(result)]
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


def crossval_table(result: dict[str, Any]) -> str:
    """One row per setting: wall seconds over the folds, the out-of-fold metrics with intervals,
    the paired difference from the defaults, adopted or not."""
    lines = []
    for row in result["crossval"]["rows"]:
        seconds = row["train_seconds"]
        wall = "from the defaults' folds" if seconds is None else f"{seconds:.0f}"
        metrics = [interval_text(row["intervals"][m]) for m in HEADLINE]
        if "minus_defaults" in row:
            differences = [
                f"{interval_text(row['minus_defaults'][m], signed=True)} "
                f"{row['minus_defaults'][m]['verdict']}"
                for m in HEADLINE
            ]
            verdict = "yes" if row["adopted"] else "no"
        else:
            differences, verdict = ["", ""], ""
        lines.append([row["setting"], wall, *metrics, *differences, verdict])
    header = ["setting", "wall s, all folds"]
    header += [f"out-of-fold {METRIC_NAMES[m]} [95% CI]" for m in HEADLINE]
    header += [f"- defaults {METRIC_NAMES[m]} [95% CI]" for m in HEADLINE]
    return table([*header, "adopted"], lines)


if __name__ == "__main__":
    main()
