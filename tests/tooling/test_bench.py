"""The benchmarks' own logic: the bench's params and command line, the report's targets and tables
(every figure with its interval, every comparison a paired difference with its verdict), the
queued-experiment helpers on real DVC repositories, the recipes' report, the noise floor's and the
learning curve's arithmetic and tables, from arxivist's compare and recipes on simulated
predictions. No benchmark is run here."""

from __future__ import annotations

import argparse
import copy
import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from arxivist.evaluation.bootstrap import Difference
from arxivist.evaluation.compare import CompareError, Revision, Scored, Side
from arxivist.evaluation.metrics import HEADLINE
from arxivist.evaluation.runs import RunsError
from arxivist.params import params_from_dict
from bench import inference
from bench.charts import (
    Chart,
    draw,
    read,
    seed_rows,
    sweep_chart,
)
from bench.experiments import (
    ExperimentError,
    baseline,
    by_recipe,
    categories_override,
    check_finished,
    finished,
    missing,
    queued,
    recipe,
    run_queue,
    seed_sweep,
    work_workspace,
)
from bench.harness import (
    BENCH_PARAMS,
    bench_overrides,
    bench_params,
    parse_seeds,
    parse_set,
    spread,
)
from bench.report import duration, evaluate_targets, interval_text, markdown
from bench.sweep import (
    LEVERS,
    PLANS,
    answer,
    baselines,
    category_pools,
    compared,
    comparisons,
    pairs,
    parse_sizes,
    pick_record,
    sample_plan,
)
from bench.sweep import markdown as sweep_markdown
from bench.time_to_quality import pipeline_costs
from standins.corpus import snapshot_records, write_snapshot
from standins.workspace import dvc, git

CODES = ("cs.AI", "cs.IR", "cs.RO")
MACHINE = {
    "name": "AMD EPYC (AVX2)",
    "device": "cpu",
    "torch_threads": 2,
    "torch": "2.13.0",
    "date": "2026-01-01",
}


def interval(value: float, half: float = 0.01) -> dict[str, float]:
    return {"value": value, "low": round(value - half, 6), "high": round(value + half, 6)}


def system(auc: float, f1: float) -> dict[str, Any]:
    """A system's metrics as details.json has them."""
    return {
        "roc_auc_ovr": auc,
        "macro_f1": f1,
        "accuracy": f1,
        "per_class": {
            code: {"precision": f1, "recall": f1, "f1": f1, "roc_auc": auc, "support": 50}
            for code in CODES
        },
        "intervals": {"roc_auc_ovr": interval(auc), "macro_f1": interval(f1, 0.02)},
    }


def difference(value: float, half: float) -> dict[str, Any]:
    return Difference(value, round(value - half, 6), round(value + half, 6)).record()


def evaluation_set(papers: int, encoder_gap: float = -0.007) -> dict[str, Any]:
    """One set of details.json: the model, both baselines, the paired differences."""
    return {
        "papers": papers,
        "model": system(0.98, 0.918),
        "encoder": system(0.984, 0.925),
        "tfidf": system(0.977, 0.843),
        "differences": {
            "model - encoder": {
                "roc_auc_ovr": difference(-0.004, 0.006),
                "macro_f1": difference(encoder_gap, 0.015),
            },
            "model - tfidf": {
                "roc_auc_ovr": difference(0.003, 0.006),
                "macro_f1": difference(0.075, 0.025),
            },
        },
    }


RESULT: dict[str, Any] = {
    "machine": MACHINE,
    "params": {
        "labels": {
            "cs.AI": "Artificial Intelligence",
            "cs.IR": "Information Retrieval",
            "cs.RO": "Robotics",
        },
        "later": {"submitted_from": "2025-08-01", "submitted_to": "2026-06-30"},
    },
    "seed_recipe": {
        "kind": "estimate from 6 measured steps",
        "seconds": 36000.0,
        "recipe": {"max_length": 512, "batch_size": 16, "learning_rate": 1e-4, "epochs": 5},
    },
    "pipeline": pipeline_costs(
        {"fetch": 2.0, "later": 3.0, "train": 1200.0, "baselines": 95.0, "evaluate": 100.0},
        later_papers=800,
        test_papers=200,
    ),
    "later_papers": {"cs.AI": 400, "cs.IR": 200, "cs.RO": 200},
    "quality": {"later": evaluation_set(800), "test": evaluation_set(315)},
}


def test_pipeline_costs_state_the_new_work_apart() -> None:
    costs = RESULT["pipeline"]
    assert costs["seconds"] == 1400.0
    assert costs["new_work"] == {
        "later": 3.0,
        "baselines": 95.0,
        "evaluate_later_share": 0.8,
        "evaluate_later_seconds": 80.0,
        "seconds": 178.0,
    }
    assert costs["seed_comparable"]["seconds"] == 1222.0


def test_targets_read_the_paired_differences() -> None:
    targets = evaluate_targets(RESULT)
    assert {name: t["met"] for name, t in targets.items()} == {
        "pipeline_vs_seed_recipe": True,
        "later_roc_auc_ovr": False,
        "later_macro_f1": False,
        "above_tfidf": False,  # ROC-AUC +0.003 [-0.003, +0.009]: no evidence
        "not_below_encoder": True,
        "above_encoder": False,
    }
    assert targets["pipeline_vs_seed_recipe"]["value"] == pytest.approx(1222 / 36000, abs=1e-6)
    assert targets["above_tfidf"]["value"] == pytest.approx(-0.003)
    assert targets["not_below_encoder"]["value"] == pytest.approx(0.002)
    assert targets["later_macro_f1"]["shown"] == "0.9180 [0.8980, 0.9380]"
    assert "macro-F1 -0.0070 [-0.0220, +0.0080] no evidence" in targets["above_encoder"]["shown"]


def test_a_model_significantly_below_the_encoder_misses_the_target() -> None:
    result = copy.deepcopy(RESULT)
    result["quality"]["later"] = evaluation_set(800, encoder_gap=-0.03)
    targets = evaluate_targets(result)
    assert not targets["not_below_encoder"]["met"]
    assert targets["not_below_encoder"]["value"] == pytest.approx(-0.015)


def test_markdown_prints_every_figure_with_its_interval() -> None:
    text = markdown({**RESULT, "targets": evaluate_targets(RESULT)})
    lines = text.splitlines()
    assert lines[0] == "**AMD EPYC (AVX2)** (cpu, 2 torch threads, torch 2.13.0, 2026-01-01)"
    later = text[text.index("### Papers submitted after") : text.index("### The test split (315")]
    assert (
        "| ROC-AUC (one-vs-rest) | 0.9800 [0.9700, 0.9900] | 0.9840 [0.9740, 0.9940] "
        "| 0.9770 [0.9670, 0.9870] |" in later.splitlines()
    )
    assert "| F1 Robotics (`cs.RO`) | 0.9180 | 0.9250 | 0.8430 |" in later
    assert (
        "- F1 (macro): no evidence that fine-tuning beats the frozen encoder baseline "
        "(-0.0070 [-0.0220, +0.0080])." in later
    )
    assert (
        "- F1 (macro): fine-tuning beats the TF-IDF baseline by +0.0750 [+0.0500, +0.1000]."
        in later
    )
    new = "| of which new: the baselines stage (TF-IDF and frozen encoder) | 1.6 min |  |  |"
    assert new in lines
    assert (
        "| default pipeline wall (what the seed did) / seed-recipe training | 0.03394 | ≤ 0.1 |"
        in text
    )
    assert "10.0 h" in text
    assert "Later set: cs.AI 400, cs.IR 200, cs.RO 200 papers submitted 2025-08-01" in text
    tables = [line for line in lines if line.startswith("|")]
    assert {line.count("|") for line in tables} == {5, 7}, text


def test_interval_text_and_duration() -> None:
    assert interval_text({"value": 0.5, "low": 0.25, "high": 0.75}) == "0.5000 [0.2500, 0.7500]"
    signed = interval_text({"value": 0.01, "low": -0.02, "high": 0.04}, signed=True)
    assert signed == "+0.0100 [-0.0200, +0.0400]"
    assert [duration(s) for s in (2.04, 42.4, 750, 36000)] == [
        "2.0 s",
        "42 s",
        "12.5 min",
        "10.0 h",
    ]


def test_parse_set_nests_the_yaml_value() -> None:
    assert parse_set("train.epochs=1") == {"train": {"epochs": 1}}
    assert parse_set("fetch.categories={cs.AI: 40}") == {"fetch": {"categories": {"cs.AI": 40}}}
    with pytest.raises(argparse.ArgumentTypeError, match="KEY=VALUE"):
        parse_set("train.epochs")


def test_bench_params_read_the_snapshot_and_put_the_later_window_after_the_sample(
    tmp_path: Path,
) -> None:
    snapshot = tmp_path / "snap.jsonl"
    overrides = bench_overrides(snapshot, {"later": {"categories": {"cs.AI": 5}}})
    assert overrides["fetch"]["snapshot_path"] == str(snapshot.resolve())
    assert overrides["later"]["categories"] == {"cs.AI": 5}  # a category set is replaced whole
    assert overrides["later"]["submitted_from"] == "2025-08-01"
    params = bench_params(snapshot, {})
    assert params.fetch.source == "snapshot"
    assert params.fetch.categories == BENCH_PARAMS["fetch"]["categories"]
    assert params.later.submitted_from == dt.date(2025, 8, 1)
    assert params.later.allow_short


def test_spread_keeps_the_order_and_reaches_the_end() -> None:
    texts = [str(i) for i in range(10)]
    assert spread(texts, 20) == texts
    assert spread(texts, 4) == ["0", "2", "5", "7"]


# ---- queued experiments


def test_missing_skips_saved_and_waiting_experiments_and_requeues_failed_ones() -> None:
    tasks = {"seed-2": "Running", "seed-3": "Queued", "seed-4": "Failed", "other": "Queued"}
    done = {"seed-1": "abc"}
    assert missing(["seed-1", "seed-2", "seed-3", "seed-4", "seed-5"], done, tasks) == [
        "seed-4",
        "seed-5",
    ]


def test_finished_lists_the_saved_experiments_through_dvc(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    dvc(tmp_path, "init", "-q")
    git(tmp_path, "commit", "-q", "-m", "c")
    head = git(tmp_path, "rev-parse", "HEAD").strip()
    assert finished(tmp_path) == {}
    git(tmp_path, "update-ref", f"refs/exps/{head[:2]}/{head[2:]}/seed-42", head)
    assert finished(tmp_path) == {"seed-42": head}


def test_the_queue_is_read_through_dvc_run_by_dvc_and_a_failed_run_is_named(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    dvc(repo, "init", "-q")
    (repo / "params.yaml").write_text("train:\n  seed: 1\n", encoding="utf-8")
    cmd = "test ${train.seed} -ne 3 && echo ran > out"  # seed 3 fails
    stage = f"stages:\n  s:\n    cmd: {cmd}\n    params: [train.seed]\n    outs: [out]\n"
    (repo / "dvc.yaml").write_text(stage, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a stage")
    assert queued(repo) == {}
    for seed in (2, 3):
        dvc(repo, "exp", "run", "--queue", "--name", f"s-s{seed}", "-S", f"train.seed={seed}")
    assert queued(repo) == {"s-s2": "Queued", "s-s3": "Queued"}
    assert missing(["s-s1", "s-s2"], finished(repo), queued(repo)) == ["s-s1"]
    run_queue(repo, tmp_path / "queue.log")
    assert set(finished(repo)) == {"s-s2"}
    assert queued(repo)["s-s3"] == "Failed"
    with pytest.raises(ExperimentError, match="queued experiments s-s3 failed"):
        check_finished(repo, ["s-s3"])
    check_finished(repo, [])


def test_a_seed_sweep_names_each_run_and_sets_the_seed_last() -> None:
    runs = seed_sweep({"base": (), "plain": ("train.frozen_layers=0", "a=b")}, (42, 43))
    assert runs == {
        "base-s42": ["train.seed=42"],
        "base-s43": ["train.seed=43"],
        "plain-s42": ["train.frozen_layers=0", "a=b", "train.seed=42"],
        "plain-s43": ["train.frozen_layers=0", "a=b", "train.seed=43"],
    }
    runs_of = [experiment(name, noisy_probabilities(0, 0.1)) for name in ["size-1-s1", *runs]]
    grouped = by_recipe(runs_of, ["plain", "base", "size-1"])
    assert {name: [e.name for e in group] for name, group in grouped.items()} == {
        "plain": ["plain-s42", "plain-s43"],
        "base": ["base-s42", "base-s43"],
        "size-1": ["size-1-s1"],
    }


def test_work_workspace_is_reused_with_the_same_params_and_refused_with_others(
    tmp_path: Path,
) -> None:
    overrides = {"train": {"epochs": 2}}
    workspace = work_workspace(tmp_path, overrides)
    assert "epochs: 2" in (workspace / "params.yaml").read_text(encoding="utf-8")
    marker = workspace / "kept"
    marker.write_text("a finished run's files")
    assert work_workspace(tmp_path, overrides) == workspace
    assert marker.exists()
    with pytest.raises(ExperimentError, match="other params"):
        work_workspace(tmp_path, {"train": {"epochs": 3}})


# ---- the sweeps


LABELS = tuple(code for code in CODES for _ in range(20))  # 60 papers, 20 a class


def experiment(name: str, probabilities: np.ndarray, seed: int = 0) -> Revision:
    """A run scored on the same 60 later and validation papers (validation: `probabilities`
    shifted by one paper)."""
    scored = {
        name: Scored(
            tuple(f"{prefix}.{i:05d}" for i in range(60)),
            LABELS,
            CODES,
            np.roll(probabilities, k, 0),
        )
        for name, prefix, k in (("later", "2508", 0), ("validation", "2401", 1))
    }
    scored["validation"] = Scored(
        scored["validation"].ids,
        tuple(np.roll(LABELS, 1)),
        CODES,
        scored["validation"].probabilities,
    )
    params = {"train.seed": seed, "tokenize.max_length": 256}
    return Revision(name, name * 2, scored, params)


def noisy_probabilities(seed: int, flip: float) -> np.ndarray:
    """60 papers, 20 a class; a fraction `flip` of them put their mass on the next class."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(3), 20)
    guesses = np.where(rng.random(60) < flip, (labels + 1) % 3, labels)
    probabilities = np.full((60, 3), 0.1)
    probabilities[np.arange(60), guesses] = 0.8
    return probabilities


def test_every_pair_of_identical_runs_differs_by_zero() -> None:
    same = noisy_probabilities(0, 0.2)
    side = recipe("base", [experiment(f"base-s{i}", same, seed=i) for i in (1, 2)])
    (pair,) = pairs(side, count=100, seed=0)
    assert (pair["pair"], pair["set"]) == ("base-s2 - base-s1", "later")
    for metric in ("roc_auc_ovr", "macro_f1"):
        assert pair[metric]["difference"] == {
            "value": 0.0,
            "low": 0.0,
            "high": 0.0,
            "verdict": "no evidence",
        }
        assert pair[metric]["paired_half_width"] == 0.0


def test_a_pair_of_runs_on_other_papers_is_refused() -> None:
    first = experiment("base-s1", noisy_probabilities(0, 0.2), seed=1)
    second = experiment("base-s2", noisy_probabilities(1, 0.2), seed=2)
    later = second.sets["later"]
    second.sets["later"] = dataclasses.replace(later, ids=("2601.99999", *later.ids[1:]))
    with pytest.raises(CompareError, match="scored different papers"):
        pairs(recipe("base", [first, second]), count=50, seed=0)


def noise_result() -> dict[str, Any]:
    """The noise plan on three runs of the defaults."""
    runs = [experiment(f"base-s{i}", noisy_probabilities(i, 0.2), seed=i) for i in (1, 2, 3)]
    found = compared(PLANS["noise"], Path("unused"), {"base": runs}, count=200, seed=0)
    return {"machine": MACHINE, "seeds": [1, 2, 3], "resamples": {"count": 200}, **found}


def test_the_noise_plan_takes_the_larger_of_seed_noise_and_paired_half_width() -> None:
    result = noise_result()
    assert set(result) == {"machine", "seeds", "resamples", "recipes", "pairs", "floor"}
    assert set(result["recipes"]["base"]) == {"later", "validation"}
    assert [pair["pair"] for pair in result["pairs"]] == [
        "base-s2 - base-s1",
        "base-s3 - base-s1",
        "base-s3 - base-s2",
    ]
    for metric, floor_of in result["floor"].items():
        spread = result["recipes"]["base"]["later"][metric]
        halves = sorted(pair[metric]["paired_half_width"] for pair in result["pairs"])
        assert floor_of["sd"] == spread["sd"] > 0
        assert floor_of["seed_noise_95"] == pytest.approx(1.959964 * 2**0.5 * spread["sd"], 1e-5)
        assert floor_of["median_paired_half_width"] == halves[1]
        for pair in result["pairs"]:  # one run a side: the pair's own paired interval
            found = pair[metric]["difference"]
            assert pair[metric]["paired_half_width"] == pytest.approx(
                (found["high"] - found["low"]) / 2, abs=2e-6
            )
        assert floor_of["smallest_resolvable"] == max(halves[1], floor_of["seed_noise_95"])


def test_the_noise_markdown_prints_the_spread_the_pairs_and_the_floor() -> None:
    result = noise_result()
    text = sweep_markdown(result)
    lines = text.splitlines()
    auc = result["recipes"]["base"]["later"]["roc_auc_ovr"]
    scores = ", ".join(f"{score:.4f}" for score in auc["scores"])
    assert (
        f"| base | later | ROC-AUC | {interval_text(auc)} | {auc['sd']:.4f} | {scores} |" in lines
    )
    assert sum(line.startswith("| base-s3 - base-s2 | later (60) |") for line in lines) == 2
    floor_of = result["floor"]["macro_f1"]
    assert f"| **{floor_of['smallest_resolvable']:.4f}** |" in text
    assert "3 seeds a recipe (train.seed 1, 2, 3)" in text and "Answer" not in text
    assert {line.count("|") for line in lines if line.startswith("|")} == {7, 12, 6}, text


def test_parse_seeds() -> None:
    assert parse_seeds("42,43, 44") == (42, 43, 44)
    for bad in ("42", "1,1", "1,x", "-1,2"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_seeds(bad)


# ---- the learning curve


def test_category_pools_count_what_precedes_the_later_window(tmp_path: Path) -> None:
    records = snapshot_records({"cs.AI": 4, "cs.IR": 3, "cs.RO": 2, "cs.CV": 5}, month="2506")
    records += snapshot_records({"cs.AI": 3, "cs.RO": 1}, start=100, month="2507")
    records += snapshot_records({"cs.AI": 5, "cs.IR": 5, "cs.RO": 5}, start=200, month="2508")
    records.append({**records[0], "categories": "cs.IR"})  # a repeated id: the first one counts
    snapshot = write_snapshot(tmp_path / "snap.jsonl", records)
    params = params_from_dict(
        {
            "fetch": {"source": "snapshot", "snapshot_path": str(snapshot)},
            "later": {"submitted_from": "2025-08-01", "submitted_to": "2025-12-31"},
        }
    )
    assert category_pools(str(snapshot), params) == {"cs.AI": 7, "cs.IR": 3, "cs.RO": 3}


def test_sample_plan_caps_at_the_pools_and_drops_repeats() -> None:
    pools = {"cs.AI": 1293, "cs.IR": 1404, "cs.RO": 419}
    plan = sample_plan(("100", "300", "1000", "max"), pools)
    assert plan == {
        "size-100": {"cs.AI": 100, "cs.IR": 100, "cs.RO": 100},
        "size-300": {"cs.AI": 300, "cs.IR": 300, "cs.RO": 300},
        "size-1000": {"cs.AI": 1000, "cs.IR": 1000, "cs.RO": 419},
        "size-max": pools,
    }
    assert list(sample_plan(("50", "2000", "max"), {"cs.AI": 40, "cs.IR": 60})) == [
        "size-50",
        "size-2000",
    ]
    assert (
        categories_override(plan["size-100"]) == "fetch.categories={cs.AI:100,cs.IR:100,cs.RO:100}"
    )


def test_parse_sizes() -> None:
    assert parse_sizes("100, 300,max") == ("100", "300", "max")
    for bad in ("", "0", "100,100", "lots"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_sizes(bad)


def test_a_recipe_at_several_seeds_gets_its_runs_and_its_recorded_mean() -> None:
    values = (0.90, 0.91, 0.92)
    runs = {
        f"seed {i}": {"roc_auc_ovr": interval(v), "macro_f1": interval(v - 0.1)}
        for i, v in enumerate(values)
    }
    unrecorded = {m: {"scores": list(values)} for m in HEADLINE}
    assert len(seed_rows("defaults", runs, unrecorded)) == 2 * len(values)  # no mean recorded
    mean = {
        "roc_auc_ovr": {**interval(0.91, 0.02), "sd": 0.01, "scores": list(values)},
        "macro_f1": {**interval(0.81, 0.03), "sd": 0.01, "scores": [v - 0.1 for v in values]},
    }
    rows = seed_rows("defaults", runs, mean)
    assert rows[0] == {
        "recipe": "defaults",
        "metric": "ROC-AUC",
        **interval(0.90),
        "set_papers": None,
        "run": "seed 0",
    }
    assert rows[-2:] == [
        {
            "recipe": "defaults",
            "metric": metric,
            **shown,
            "set_papers": None,
            "run": "mean of 3 seeds",
        }
        for metric, shown in (("ROC-AUC", interval(0.91, 0.02)), ("macro-F1", interval(0.81, 0.03)))
    ]


def test_each_sweep_has_a_chart_of_every_run_from_its_committed_results() -> None:
    results = Path(__file__).resolve().parents[2] / "bench" / "results"
    noise = sweep_chart("noise-floor", read(results / "noise_floor.json"))
    later = [r for r in noise.rows if r["recipe"] == "base, later"]
    assert [(r["run"], r["metric"]) for r in later] == [
        (run, metric)
        for run in ("seed 42", "seed 43", "seed 44", "seed 45", "seed 46")
        for metric in ("ROC-AUC", "macro-F1")
    ]  # each run with its interval over papers; no mean over seeds was recorded
    assert later[0] | {"set_papers": 0} == {
        "recipe": "base, later",
        "metric": "ROC-AUC",
        "value": 0.982733,
        "low": 0.979319,
        "high": 0.986117,
        "set_papers": 0,
        "run": "seed 42",
    }
    curve = sweep_chart("learning-curve", read(results / "learning_curve.json"))
    assert len(curve.rows) == 3 * 2 * 3 * 2  # 3 sizes, 2 sets, the run and 2 baselines, 2 metrics
    assert {(r["run"], r["value"]) for r in curve.rows if r["recipe"] == "size-100, later"} == {
        ("seed 42", 0.974338),
        ("seed 42", 0.887439),
        ("frozen encoder + LR", 0.975565),
        ("frozen encoder + LR", 0.880879),
        ("TF-IDF + LR", 0.951457),
        ("TF-IDF + LR", 0.836935),
    }


def sweep_result() -> dict[str, Any]:
    """A recipes plan's result as bench.sweep writes it: the levers on validation, the pick on
    the later set, and plain against an encoder run."""
    sides = sweep(len512_flip=0.02)
    found = compared(
        dataclasses.replace(PLANS["recipes"], baselines=()),
        Path("unused"),
        {name: list(side.runs) for name, side in sides.items()},
        count=200,
        seed=0,
    )
    (one,) = runs_of("encoder", 0.3, seeds=(1,))
    versus = comparisons(recipe("encoder", [one]), sides["plain"], 200, 0)[:1]
    encoder = {"encoder": {"identical_across_seeds": True, "results": versus}}
    return {"plan": "recipes", "seeds": [1, 2, 3], **found, "baselines": {"plain": encoder}}


def test_a_sweep_result_is_charted_from_its_recipes_each_run_the_mean_and_the_baselines() -> None:
    result = sweep_result()
    chart = sweep_chart("recipes", result)
    assert (
        chart.title == "bench.sweep recipes: every run of each recipe, and the mean where recorded"
    )
    runs = ["seed 1", "seed 2", "seed 3", "mean of 3 seeds"]
    by_x: dict[str, list[str]] = {}
    for row in chart.rows:
        by_x.setdefault(row["recipe"], []).append(row["run"])
    assert by_x == {
        "base, validation": [run for run in runs for _ in HEADLINE],
        "len512, later": [run for run in runs for _ in HEADLINE],
        "len512, validation": [run for run in runs for _ in HEADLINE],
        "plain, validation": [run for run in runs for _ in HEADLINE],
        "plain, later": ["frozen encoder + LR"] * len(HEADLINE),
    }
    later = result["pick"]["later"]["roc_auc_ovr"]["b"]
    shown = [
        (r["value"], r["low"], r["high"])
        for r in chart.rows
        if r["recipe"] == "len512, later" and r["metric"] == "ROC-AUC"
    ]
    assert shown == [(s, s, s) for s in later["scores"]] + [
        (later["value"], later["low"], later["high"])
    ]


@pytest.mark.slow
def test_the_charts_are_drawn_offline_in_chromium_one_picture_each(tmp_path: Path) -> None:
    """What `make bench-charts` does, on a sweep's result and an older noise floor's: `save`
    refuses a page that logged a warning or an error, asked the network for anything or left a
    chart undrawn."""
    runs = {
        f"seed {i}": {"roc_auc_ovr": interval(v), "macro_f1": interval(v - 0.1)}
        for i, v in enumerate((0.9, 0.92))
    }
    old = Chart("toy", "Toy ({set_papers} papers)", "recipe", "recipe", "score", [])
    charts = [
        sweep_chart("recipes", sweep_result()),
        dataclasses.replace(old, rows=seed_rows("defaults", runs, {m: {} for m in HEADLINE})),
    ]
    pictures = [tmp_path / "bench-recipes.png", tmp_path / "bench-toy.png"]
    assert draw(charts, tmp_path) == pictures
    assert all(picture.read_bytes().startswith(b"\x89PNG") for picture in pictures)


# ---- the recipes


def runs_of(name: str, flip: float, seeds: tuple[int, ...] = (1, 2, 3)) -> list[Revision]:
    """A recipe's runs: one per seed, each flipping about `flip` of the papers."""
    return [
        experiment(f"{name}-s{seed}", noisy_probabilities(seed + 10 * len(name), flip), seed=seed)
        for seed in seeds
    ]


def sweep(len512_flip: float) -> dict[str, Side]:
    flips = {"base": 0.3, "len512": len512_flip, "plain": 0.3}
    return {name: recipe(name, runs_of(name, flips[name])) for name in LEVERS}


def test_a_lever_better_on_validation_is_picked_and_reported_once_on_the_later_set() -> None:
    sides = sweep(len512_flip=0.02)
    found = pick_record(sides, sides, count=200, seed=0)
    assert (found["pick"], found["why"], found["picked_by"]) == ("len512", "better", "roc_auc_ovr")
    assert found["base"] == "base" and list(found["validation"]) == ["len512", "plain"]
    assert {r["set"] for r in found["validation"].values()} == {"validation"}
    later = found["later"]
    assert later["set"] == "later" and later["roc_auc_ovr"]["difference"]["verdict"] == "better"
    assert later["macro_f1"]["p_b_beats_a"] == 1.0
    assert len(later["macro_f1"]["a"]["scores"]) == 3 and later["macro_f1"]["a"]["sd"] > 0


def test_the_later_set_cannot_change_the_pick() -> None:
    sides = sweep(len512_flip=0.02)
    worse = []
    for run in sides["len512"].runs:
        scored = run.sets["later"]
        later = dataclasses.replace(scored, probabilities=np.roll(scored.probabilities, 1, 1))
        sets = {**run.sets, "later": later}
        worse.append(Revision(run.name, run.sha, sets, run.params))
    sides["len512"] = Side("len512", tuple(worse))
    found = pick_record(sides, sides, count=200, seed=0)
    assert found["pick"] == "len512"
    assert found["later"]["roc_auc_ovr"]["difference"]["verdict"] == "worse"


def test_with_no_better_lever_the_base_stays_and_the_later_set_reports_its_spread() -> None:
    sides = sweep(len512_flip=0.3)
    found = pick_record(sides, sides, count=200, seed=0)
    assert (found["pick"], found["why"]) == ("base", "baseline")
    assert set(found["later"]) == {"roc_auc_ovr", "macro_f1"}
    assert len(found["later"]["roc_auc_ovr"]["scores"]) == 3


def test_a_recipe_against_one_run_keeps_no_seed_sd_for_the_run_and_counts_seeds_needed() -> None:
    (one,) = runs_of("encoder", 0.3, seeds=(1,))
    tuned = recipe("n300", runs_of("n300", 0.25))
    (later, validation) = comparisons(recipe("encoder", [one]), tuned, count=200, seed=0)
    assert (later["set"], validation["set"]) == ("later", "validation")
    auc = later["roc_auc_ovr"]
    assert auc["a"]["sd"] is None and auc["b"]["sd"] > 0
    assert auc["a"]["value"] == auc["a"]["scores"][0]
    assert auc["seeds_needed"] is None or auc["seeds_needed"] >= 2
    assert 0 <= auc["p_b_beats_a"] <= 1


def test_a_recipe_of_runs_that_differ_in_more_than_the_seed_is_refused() -> None:
    first, second = runs_of("base", 0.3, seeds=(1, 2))
    changed = Revision(second.name, second.sha, second.sets, {"train.seed": 2, "x": 1})
    with pytest.raises(RunsError, match=r"differ in tokenize\.max_length, x"):
        recipe("base", [first, changed])


def baseline_records(shift: float) -> str:
    lines = [
        {
            "set": "later",
            "system": system_name,
            "id": f"2508.{i:05d}",
            "probabilities": {"cs.RO": 0.2, "cs.AI": 0.4 + shift, "cs.IR": 0.4 - shift},
        }
        for system_name in ("encoder", "tfidf")
        for i in range(60)
    ]
    return "".join(json.dumps(line) + "\n" for line in lines)


def baseline_runs(root: Path, shifts: Sequence[float]) -> list[Revision]:
    """A run per shift, each at a commit of `root` (a DVC repository) whose baselines stage wrote
    predictions shifted by it."""
    git(root, "init", "-q", "-b", "main")
    dvc(root, "init", "-q")
    predictions = root / "data" / "baselines" / "predictions.jsonl"
    predictions.parent.mkdir(parents=True)
    runs = []
    for i, shift in enumerate(shifts):
        predictions.write_text(baseline_records(shift), encoding="utf-8")
        git(root, "add", "-A")
        git(root, "commit", "-q", "--allow-empty", "-m", f"shift {shift}")
        commit = git(root, "rev-parse", "HEAD").strip()
        run = experiment(f"n300-s{i}", noisy_probabilities(i, 0.2), seed=i)
        runs.append(Revision(run.name, commit, run.sets, run.params))
    return runs


def test_the_encoder_baseline_is_read_from_each_run_and_checked_identical(tmp_path: Path) -> None:
    runs = baseline_runs(tmp_path, (0.0, 0.0, 0.1))
    side, identical = baseline(tmp_path, runs[:2], "encoder")
    assert identical and side.label == "encoder" and len(side.runs) == 1
    assert list(side.runs[0].sets) == ["later"]  # the baseline scored no validation papers
    assert side.runs[0].sets["later"].probabilities[0].tolist() == [0.4, 0.4, 0.2]
    assert not baseline(tmp_path, runs, "encoder")[1]
    predictions = tmp_path / "data" / "baselines" / "predictions.jsonl"
    predictions.write_text(baseline_records(0.0).replace("2508.00059", "2508.99999"))
    stray = Revision("n300-s9", None, runs[0].sets, runs[0].params)
    with pytest.raises(
        CompareError, match=r"^encoder of n300-s9: .* has no later paper 2508\.00059$"
    ):
        baseline(tmp_path, [stray], "encoder")


def test_a_recipe_is_compared_with_each_baseline_of_its_own_runs(tmp_path: Path) -> None:
    runs = baseline_runs(tmp_path, (0.0, 0.0))
    model = recipe("size-30", runs)
    found = baselines(tmp_path, runs, model, ("encoder", "tfidf"), count=200, seed=0)
    assert list(found) == ["encoder", "tfidf"]
    assert all(system["identical_across_seeds"] for system in found.values())
    (later,) = found["encoder"]["results"]  # the baselines scored no test or validation papers
    assert (later["set"], later["papers"]) == ("later", 60)
    assert later["macro_f1"]["a"]["sd"] is None and len(later["macro_f1"]["b"]["scores"]) == 2
    better = later["macro_f1"]
    assert better["difference"]["verdict"] == "better" and better["p_b_beats_a"] == 1.0


def test_the_answer_is_the_first_recipe_above_the_frozen_encoder_on_both_metrics() -> None:
    def verdicts(auc: str, f1: str) -> dict[str, Any]:
        results = [
            {"set": "test", **{key: {"difference": {"verdict": "better"}} for key in HEADLINE}}
        ]
        later = {
            m: {"difference": {"verdict": v}} for m, v in zip(HEADLINE, (auc, f1), strict=True)
        }
        return {"encoder": {"results": [*results, {"set": "later", **later}]}}

    found = {
        "size-100": verdicts("better", "no evidence"),
        "size-300": verdicts("better", "better"),
    }
    assert (
        answer(found) == "fine-tuning is above the frozen encoder on both metrics from size-300 on"
    )
    assert answer({"size-100": found["size-100"]}).startswith("no recipe's fine-tuning")


def test_the_recipes_plan_shows_the_levers_on_validation_and_only_the_pick_on_the_later_set(
    tmp_path: Path,
) -> None:
    sides = sweep(len512_flip=0.02)
    grouped = {name: list(side.runs) for name, side in sides.items()}
    plan = dataclasses.replace(PLANS["recipes"], baselines=())
    found = compared(plan, tmp_path, grouped, count=200, seed=0)
    assert {name: list(by_set) for name, by_set in found["recipes"].items()} == {
        name: ["validation"] for name in LEVERS
    }
    assert found["pick"]["pick"] == "len512" and found["pick"]["later"]["set"] == "later"


def test_the_recipes_plan_is_the_running_sweep_s_experiments() -> None:
    """The names and `-S` strings of the sweep queued in bench/results/work/recipes: a rerun
    finds them and queues nothing."""
    params = bench_params(Path("snapshot.jsonl"), {})
    args = argparse.Namespace(few=300)
    runs = seed_sweep(PLANS["recipes"].recipes(params, args), PLANS["recipes"].seeds)
    assert runs["base-s42"] == ["train.seed=42"]
    assert runs["len512-s43"] == ["tokenize.max_length=512", "train.seed=43"]
    assert runs["plain-s44"] == ["train.frozen_layers=0", "train.head_init=random", "train.seed=44"]
    assert runs["n300-s42"] == ["fetch.categories={cs.AI:300,cs.IR:300,cs.RO:300}", "train.seed=42"]
    assert len(runs) == 12
    assert PLANS["noise"].recipes(params, args) == {"base": ()}
    assert PLANS["noise"].seeds == (42, 43, 44, 45, 46)


def test_the_recipes_markdown_gives_every_figure_with_its_interval() -> None:
    sides = sweep(len512_flip=0.02)
    (one,) = runs_of("encoder", 0.3, seeds=(1,))
    versus = comparisons(recipe("encoder", [one]), sides["plain"], 200, 0)[:1]
    result = {
        "machine": MACHINE,
        "seeds": [1, 2, 3],
        "resamples": {"count": 200, "seed": 0},
        "recipes": {"n300": {"later": {m: versus[0][m]["b"] for m in HEADLINE}}},
        "pick": pick_record(sides, sides, count=200, seed=0),
        "baselines": {"n300": {"encoder": {"identical_across_seeds": False, "results": versus}}},
        "answer": "no recipe's fine-tuning is above the frozen encoder on both metrics",
    }
    text = sweep_markdown(result)
    lines = text.splitlines()
    assert "Picked **len512** (better) by ROC-AUC on validation" in text
    rows = [line for line in lines if line.startswith("| len512 - base")]
    assert [row.split(" | ")[1:3] for row in rows] == [
        ["validation (60)", "ROC-AUC"],
        ["validation (60)", "macro-F1"],
        ["later (60)", "ROC-AUC"],
        ["later (60)", "macro-F1"],
    ]
    auc = result["pick"]["later"]["roc_auc_ovr"]
    assert f"| {interval_text(auc['a'])} | {auc['a']['sd']:.4f} |" in rows[2]
    assert f"| {interval_text(auc['difference'], signed=True)} |" in rows[2]
    assert "| n300 fine-tuned - encoder | later (60) | ROC-AUC |" in text
    assert "**not identical across seeds**: encoder of n300" in text
    assert "Answer: no recipe's fine-tuning" in text


# ---- inference at the roofline

MINILM = {"hidden_size": 384, "intermediate_size": 1536, "num_hidden_layers": 6}


def test_an_abstracts_gflop_count_the_projections_and_the_attention_products() -> None:
    # a layer: 2 x tokens x (384x1152 + 384x384 + 384x1536 + 1536x384), then 4 x tokens^2 x 384
    tokens = 231
    per_layer = 2 * tokens * 1_769_472 + 4 * tokens**2 * 384
    assert inference.encoder_gflop(MINILM, tokens) == pytest.approx(6 * per_layer / 1e9)
    assert inference.encoder_gflop(MINILM, 231) == pytest.approx(5.397, abs=1e-3)  # the issue: 5.4


def test_the_inference_report_gives_each_rounds_roofline_and_the_fraction_of_the_best() -> None:
    path = {"device": "cpu", "precision": "bf16", "abstracts_per_second": 84.17}
    path |= {"gflops": 451.1, "roofline_fraction": 0.198, "same_labels_as_fp32": 0.9925}
    result = {
        "machine": {"name": "CPU", "device": "cpu", "torch_threads": 2, "torch": "2", "date": "d"},
        "texts": 400,
        "mean_tokens": 229.0,
        "max_length": 256,
        "gflop_per_abstract": 5.359,
        "batch_tokens": 8192,
        "roofline_gflops": {"bf16": 2283.7},
        "roofline_gflops_rounds": [{"bf16": 741.4}, {"bf16": 2283.7}],
        "steady": {"predict, evaluate (bf16)": path},
        "processes": {"arxivist predict": {"start_seconds": 2.35, "all_texts_seconds": 10.9}},
    }
    text = inference.markdown(result)
    assert "bf16 2284 (rounds: 741, 2284)" in text
    assert "| predict, evaluate (bf16) | cpu | bf16 | 84.2 | 451 | 20% | 99.2% |" in text
    assert "| arxivist predict | 2.35 s | 10.9 s |  |  |" in text  # no figure it did not measure
