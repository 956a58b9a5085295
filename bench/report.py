"""The time-to-quality targets and markdown from its result: every figure with its interval,
every comparison a paired difference with its verdict."""

from __future__ import annotations

import operator
from typing import Any

from arxivist.evaluation import recipe_compare
from arxivist.evaluation.metrics import HEADLINE
from arxivist.evaluation.plots import METRIC_NAMES
from arxivist.labels import LabelSet
from arxivist.publishing.card_text import results_section

LATER_BOUNDS = {"roc_auc_ovr": 0.99, "macro_f1": 0.95}  # the benchmark's quality targets
OPS = {"<=": (operator.le, "≤"), ">=": (operator.ge, "≥"), ">": (operator.gt, ">")}


def evaluate_targets(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each target's measure, value (with what is shown for it), bound and whether it is met."""
    later = result["quality"]["later"]
    model, differences = later["model"]["intervals"], later["differences"]
    tfidf, encoder = differences["model - tfidf"], differences["model - encoder"]
    pipeline = result["pipeline"]
    return {
        "pipeline_vs_seed_recipe": _target(
            "default pipeline wall (what the seed did) / seed-recipe training",
            pipeline["seed_comparable"]["seconds"] / result["seed_recipe"]["seconds"],
            "<=",
            0.1,
        ),
        **{
            f"later_{metric}": _target(
                f"later {METRIC_NAMES[metric]}, fine-tuned",
                model[metric]["value"],
                ">=",
                bound,
                interval_text(model[metric]),
            )
            for metric, bound in LATER_BOUNDS.items()
        },
        "above_tfidf": _target(
            "fine-tuned - TF-IDF, lower 95% bound (smallest of ROC-AUC, macro-F1)",
            min(tfidf[m]["low"] for m in HEADLINE),
            ">",
            0.0,
            differences_text(tfidf),
        ),
        "not_below_encoder": _target(
            "fine-tuned - frozen encoder, upper 95% bound (smallest of ROC-AUC, macro-F1)",
            min(encoder[m]["high"] for m in HEADLINE),
            ">=",
            0.0,
            differences_text(encoder),
        ),
        "above_encoder": _target(
            "goal: fine-tuned - frozen encoder, lower 95% bound (smallest)",
            min(encoder[m]["low"] for m in HEADLINE),
            ">",
            0.0,
            differences_text(encoder),
        ),
    }


def _target(
    measure: str, value: float, op: str, bound: float, shown: str | None = None
) -> dict[str, Any]:
    compare, _ = OPS[op]
    return {
        "measure": measure,
        "value": round(value, 6),
        "shown": shown or f"{value:.4g}",
        "op": op,
        "bound": bound,
        "met": bool(compare(value, bound)),
    }


def interval_text(interval: dict[str, float], signed: bool = False) -> str:
    """0.918 [0.899, 0.936]; signed: +0.007 [-0.008, +0.022]."""
    form = "+.4f" if signed else ".4f"
    return f"{interval['value']:{form}} [{interval['low']:{form}}, {interval['high']:{form}}]"


def differences_text(difference: dict[str, dict[str, Any]]) -> str:
    """'ROC-AUC +0.0030 [-0.0040, +0.0090] no evidence; macro-F1 ...'."""
    return "; ".join(
        f"{METRIC_NAMES[m]} {interval_text(difference[m], signed=True)} {difference[m]['verdict']}"
        for m in HEADLINE
    )


def markdown(result: dict[str, Any]) -> str:
    """The machine line, the model card's results (every system with its intervals, the paired
    differences' verdicts), times and targets, the footnote."""
    labels = LabelSet.from_params(result["params"]["labels"])
    parts = [machine_line(result["machine"]), results_section(labels, result["quality"])]
    return "\n\n".join([*parts, times_table(result), footnote(result)]) + "\n"


def machine_line(machine: dict[str, Any]) -> str:
    """**name** (device, threads, torch version, date)."""
    return (
        f"**{machine['name']}** ({machine['device']}, {machine['torch_threads']} torch threads, "
        f"torch {machine['torch']}, {machine['date']})"
    )


def times_table(result: dict[str, Any]) -> str:
    """The seed recipe's estimated training, the pipeline's wall time (what the seed did and the
    new work apart), and the targets."""
    seed, pipeline = result["seed_recipe"], result["pipeline"]
    recipe, new = seed["recipe"], pipeline["new_work"]
    rows = [
        [
            f"seed recipe training: {recipe['max_length']} tokens, batch {recipe['batch_size']}, "
            f"fp32, {recipe['epochs']} epochs ({seed['kind']})",
            duration(seed["seconds"]),
        ],
        ["default `dvc repro`, all stages", duration(pipeline["seconds"])],
        [
            "of which what the seed did (fetch to publish on its sample and test split)",
            duration(pipeline["seed_comparable"]["seconds"]),
        ],
        ["of which new: the later stage", duration(new["later"])],
        [
            "of which new: the baselines stage (TF-IDF and frozen encoder)",
            duration(new["baselines"]),
        ],
        [
            f"of which new: evaluate's share for the later set ({new['evaluate_later_share']:.0%} "
            "of its papers)",
            duration(new["evaluate_later_seconds"]),
        ],
    ]
    rows = [[measure, value, "", ""] for measure, value in rows]
    for target in result["targets"].values():
        rows.append(
            [
                target["measure"],
                target["shown"],
                f"{OPS[target['op']][1]} {target['bound']:g}",
                "met" if target["met"] else "**not met**",
            ]
        )
    return table(["measure", "value", "target", ""], rows)


def footnote(result: dict[str, Any]) -> str:
    """Per-stage wall times and the later set's make-up."""
    stages = ", ".join(f"{name} {duration(s)}" for name, s in result["pipeline"]["stages"].items())
    later = result["params"]["later"]
    papers = ", ".join(f"{code} {n}" for code, n in result["later_papers"].items())
    return (
        f"Stages (`dvc repro -s`): {stages}. Later set: {papers} papers submitted "
        f"{later['submitted_from']} to {later['submitted_to']} (arXiv id month), none in the "
        "training sample."
    )


def duration(seconds: float) -> str:
    """42 s, 12.5 min, 3.2 h."""
    if seconds < 90:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def table(header: list[str], rows: list[list[str]]) -> str:
    """A markdown table (`arxivist compare`'s): a header row, a rule, then the rows."""
    return "\n".join(recipe_compare.table([header, *rows], md=True))
