"""The time-to-quality targets and the markdown tables that go into the README, from the result."""

from __future__ import annotations

import operator
from typing import Any

METRICS = ("roc_auc_ovr", "macro_f1")
BASELINES = ("tfidf_lr", "frozen_encoder_lr")
QUALITY_ROWS = {
    "fine_tuned": "fine-tuned model",
    "tfidf_lr": "TF-IDF + LR",
    "frozen_encoder_lr": "frozen encoder + LR",
}
OPS = {"<=": (operator.le, "≤"), ">=": (operator.ge, "≥"), ">": (operator.gt, ">")}


def evaluate_targets(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each target's measure, value, bound and whether it is met."""
    quality, speed = result["quality"], result["throughput"]
    model = quality["fine_tuned"]
    margin = min(model[m] - quality[b][m] for b in BASELINES for m in METRICS)
    speedup = speed["predict"]["texts_per_second"] / speed["pipeline"]["texts_per_second"]
    return {
        "pipeline_vs_seed_recipe": _target(
            "default pipeline wall / seed-recipe training",
            result["pipeline"]["seconds"] / result["seed_recipe"]["seconds"],
            "<=",
            0.1,
        ),
        "unseen_roc_auc": _target("unseen ROC-AUC, fine-tuned", model["roc_auc_ovr"], ">=", 0.99),
        "unseen_macro_f1": _target("unseen macro-F1, fine-tuned", model["macro_f1"], ">=", 0.95),
        "beats_baselines": _target(
            "fine-tuned minus each baseline, ROC-AUC and macro-F1 (smallest)", margin, ">", 0.0
        ),
        "predict_vs_pipeline": _target(
            "`arxivist predict` / `pipeline()` texts/s", speedup, ">=", 5.0
        ),
    }


def _target(measure: str, value: float, op: str, bound: float) -> dict[str, Any]:
    compare, _ = OPS[op]
    return {
        "measure": measure,
        "value": round(value, 6),
        "op": op,
        "bound": bound,
        "met": compare(value, bound),
    }


def markdown(result: dict[str, Any]) -> str:
    """The machine line, the quality table and the times-and-targets table."""
    head = machine_line(result["machine"])
    return "\n\n".join([head, quality_table(result), times_table(result), footnote(result)]) + "\n"


def machine_line(machine: dict[str, Any]) -> str:
    """**name** (device, threads, torch version, date)."""
    return (
        f"**{machine['name']}** ({machine['device']}, {machine['torch_threads']} torch threads, "
        f"torch {machine['torch']}, {machine['date']})"
    )


def quality_table(result: dict[str, Any]) -> str:
    """ROC-AUC, macro-F1 and per-class F1 of each model on the unseen set, then the test split."""
    quality, test = result["quality"], result["pipeline"]["test_split"]
    codes = list(quality["fine_tuned"]["per_class"])
    n_unseen = sum(result["unseen"]["papers"].values())
    wall = result["pipeline"]["seconds"]
    costs = {
        "fine_tuned": f"pipeline {duration(wall)} + predict "
        f"{duration(quality['fine_tuned']['seconds'])}",
        "tfidf_lr": f"fit + predict {duration(quality['tfidf_lr']['seconds'])}",
        "frozen_encoder_lr": f"embed + CV fit {duration(quality['frozen_encoder_lr']['seconds'])}",
    }
    rows = [
        _quality_row(QUALITY_ROWS[key], f"unseen ({n_unseen})", quality[key], codes, costs[key])
        for key in QUALITY_ROWS
    ]
    split = f"test split ({test['n_test']})"
    rows.append(
        _quality_row(QUALITY_ROWS["fine_tuned"], split, test["model"], codes, "in evaluate")
    )
    rows.append(
        _quality_row(QUALITY_ROWS["tfidf_lr"], split, test["baseline"], codes, "in evaluate")
    )
    header = ["model", "set", "ROC-AUC", "macro-F1", *(f"F1 {code}" for code in codes), "cost"]
    return table(header, rows)


def _quality_row(
    name: str, split: str, metrics: dict[str, Any], codes: list[str], cost: str
) -> list[str]:
    scores = [metrics["roc_auc_ovr"], metrics["macro_f1"]]
    scores += [metrics["per_class"][code]["f1"] for code in codes]
    return [name, split, *(f"{score:.4f}" for score in scores), cost]


def times_table(result: dict[str, Any]) -> str:
    """The seed recipe's estimated training, the pipeline's wall time, throughput, and targets."""
    seed, speed = result["seed_recipe"], result["throughput"]
    recipe = seed["recipe"]
    rows = [
        [
            f"seed recipe training: {recipe['max_length']} tokens, batch {recipe['batch_size']}, "
            f"fp32, {recipe['epochs']} epochs ({seed['kind']})",
            duration(seed["seconds"]),
            "",
            "",
        ],
        ["default pipeline, fetch → publish", duration(result["pipeline"]["seconds"]), "", ""],
        [
            "`arxivist predict` texts/s (process start included)",
            f"{speed['predict']['texts_per_second']:.1f}",
            "",
            "",
        ],
        [
            "`pipeline()` texts/s (loading excluded)",
            f"{speed['pipeline']['texts_per_second']:.1f}",
            "",
            "",
        ],
        ["argmax agreement, predict vs `pipeline()`", f"{speed['argmax_agreement']:.1%}", "", ""],
    ]
    for target in result["targets"].values():
        rows.append(
            [
                target["measure"],
                f"{target['value']:.4g}",
                f"{OPS[target['op']][1]} {target['bound']:g}",
                "met" if target["met"] else "**not met**",
            ]
        )
    return table(["measure", "value", "target", ""], rows)


def footnote(result: dict[str, Any]) -> str:
    """Per-stage wall times and the unseen set's make-up."""
    stages = ", ".join(f"{name} {duration(s)}" for name, s in result["pipeline"]["stages"].items())
    papers = ", ".join(f"{code} {n}" for code, n in result["unseen"]["papers"].items())
    return (
        f"Stages: {stages}. Unseen set: {papers} papers, the next ids after each category's "
        "training sample in the same snapshot."
    )


def duration(seconds: float) -> str:
    """42 s, 12.5 min, 3.2 h."""
    if seconds < 90:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def table(header: list[str], rows: list[list[str]]) -> str:
    """A markdown table: a header row, a rule, then the rows."""
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)
