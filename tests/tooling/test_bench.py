"""The pure parts of the benchmarks: the bench's params and command line, the report's targets and
tables (every figure with its interval, every comparison a paired difference with its verdict),
the levers' checks and tables, the queued-experiment helpers, the noise floor's and the learning
curve's arithmetic and tables. No benchmark is run here."""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from arxivist.evaluation.bootstrap import Difference
from arxivist.model.compute import Capability
from arxivist.params import params_from_dict
from bench.charts import (
    Chart,
    draw,
    learning_curve_chart,
    levers_chart,
    noise_floor_chart,
    read,
    seed_rows,
)
from bench.experiments import (
    Experiment,
    ExperimentError,
    Predictions,
    finished,
    missing,
    predictions_by_set,
    work_workspace,
)
from bench.harness import BENCH_PARAMS, bench_overrides, bench_params, parse_set, spread
from bench.learning_curve import (
    CurveError,
    answer,
    categories_override,
    category_pools,
    check_same_later_set,
    parse_sizes,
    sample_plan,
    size_record,
)
from bench.learning_curve import markdown as curve_markdown
from bench.levers import (
    AS_IS,
    RULE,
    LeverError,
    StepLever,
    adopted,
    check_variants,
    open_work,
    parse_variants,
    read_floor,
    skip_reason,
    step_levers,
)
from bench.levers import markdown as levers_markdown
from bench.noise_floor import markdown as noise_markdown
from bench.noise_floor import noise_floor, pair_differences, parse_seeds, seed_record
from bench.report import duration, evaluate_targets, interval_text, markdown
from bench.time_to_quality import pipeline_costs
from standins.corpus import snapshot_records, write_snapshot
from standins.workspace import git

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
        "per_class": {code: {"f1": f1} for code in CODES},
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
    "params": {"later": {"submitted_from": "2025-08-01", "submitted_to": "2026-06-30"}},
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
    "throughput": {
        "texts": 800,
        "predict": {"texts_per_second": 30.0},
        "pipeline": {"texts_per_second": 5.0},
        "argmax_agreement": 0.99875,
    },
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
        "predict_vs_pipeline": True,
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
    assert (
        "| fine-tuned model | later (800) | 0.9800 [0.9700, 0.9900] | 0.9180 [0.8980, 0.9380] "
        "| 0.9180 | 0.9180 | 0.9180 | 0.9180 |" in lines
    )
    assert "| TF-IDF + LR | test split (315) | 0.9770 [0.9670, 0.9870] |" in text
    assert (
        "| fine-tuned model - frozen encoder + LR | later (800) | -0.0040 [-0.0100, +0.0020] "
        "| -0.0070 [-0.0220, +0.0080] | ROC-AUC no evidence, macro-F1 no evidence |" in lines
    )
    assert (
        "| +0.0030 [-0.0030, +0.0090] | +0.0750 [+0.0500, +0.1000] | ROC-AUC no evidence, "
        "macro-F1 better |" in text
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
    assert {line.count("|") for line in tables} == {9, 6, 5}, text


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


def test_step_levers_add_one_lever_a_row_from_the_seed_recipe() -> None:
    seed, as_is, no_dropout, frozen, bf16 = step_levers(checkpoint_dropout=0.1)
    assert (seed.max_length, seed.attention_dropout, seed.frozen_layers) == (512, 0.1, 0)
    assert as_is == StepLever(AS_IS, 256, 0.1, 0)
    assert (no_dropout.attention_dropout, no_dropout.frozen_layers) == (0.0, 0)
    assert (frozen.attention_dropout, frozen.frozen_layers, frozen.bf16) == (0.0, 3, False)
    assert (bf16.frozen_layers, bf16.bf16) == (3, True)


def test_bf16_is_timed_only_where_native() -> None:
    avx2 = Capability("cpu", "AMD EPYC (AVX2)", native_bf16=False)
    h100 = Capability("cuda", "NVIDIA H100", native_bf16=True)
    *fp32, bf16 = step_levers(checkpoint_dropout=0.1)
    assert skip_reason(bf16, avx2) == "no native bf16 on AMD EPYC (AVX2)"
    assert skip_reason(bf16, h100) is None
    assert not any(skip_reason(lever, avx2) for lever in fp32)


def test_parse_variants() -> None:
    assert parse_variants("train.epochs=2, train.head_init=random,") == (
        "train.epochs=2",
        "train.head_init=random",
    )
    for bad in ("", "train.epochs", "train.epochs=2,=random"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_variants(bad)


def test_check_variants_wants_one_real_change_each() -> None:
    params = {"train": {"epochs": 1, "group_by_length": True, "attention_dropout": 0.0}}
    check_variants(["train.epochs=2", "train.group_by_length=false"], params)
    check_variants(["train.attention_dropout=0.1"], params)
    with pytest.raises(LeverError, match=r"train\.epochs=1 changes nothing"):
        check_variants(["train.epochs=1"], params)
    with pytest.raises(LeverError, match=r"no param train\.frozen_layer$"):
        check_variants(["train.frozen_layer=0"], params)
    with pytest.raises(LeverError, match=r"no param train\.epochs\.x"):
        check_variants(["train.epochs.x=0"], params)
    with pytest.raises(LeverError, match="given twice"):
        check_variants(["train.epochs=2", "train.epochs=2"], params)


FLOOR = {"roc_auc_ovr": 0.003, "macro_f1": 0.015}


def test_a_lever_is_adopted_only_above_the_floor_and_worse_on_nothing() -> None:
    clear = difference(0.004, 0.003)  # better by more than the ROC-AUC floor
    small = difference(0.002, 0.001)  # better on these papers, but under the floor
    tie = difference(0.0, 0.01)
    worse = difference(-0.02, 0.01)
    assert adopted({"roc_auc_ovr": clear, "macro_f1": tie}, FLOOR)
    assert not adopted({"roc_auc_ovr": small, "macro_f1": tie}, FLOOR)
    assert not adopted({"roc_auc_ovr": clear, "macro_f1": worse}, FLOOR)
    assert not adopted({"roc_auc_ovr": tie, "macro_f1": tie}, FLOOR)
    assert adopted({"roc_auc_ovr": tie, "macro_f1": difference(0.02, 0.015)}, FLOOR)


def test_the_floor_comes_from_the_noise_floor_result(tmp_path: Path) -> None:
    path = tmp_path / "noise_floor.json"
    floor = {m: {"smallest_resolvable": v, "sd": v / 3} for m, v in FLOOR.items()}
    path.write_text(json.dumps({"floor": floor}), encoding="utf-8")
    assert read_floor(path) == FLOOR
    path.write_text(json.dumps({"floor": {}}), encoding="utf-8")
    with pytest.raises(LeverError, match=r"no noise floor.*make bench-noise"):
        read_floor(path)
    with pytest.raises(LeverError, match="no noise floor"):
        read_floor(tmp_path / "absent.json")


def test_a_work_folder_serves_only_the_params_papers_and_folds_it_was_made_for(
    tmp_path: Path,
) -> None:
    params = bench_params(tmp_path / "snap.jsonl", {})
    pool = pd.DataFrame({"id": ["2401.00001", "2401.00002"]})
    work = tmp_path / "work"
    assert open_work(work, params, pool, 3) == work
    assert open_work(work, params, pool, 3) == work  # a rerun resumes
    for other in (
        (bench_params(tmp_path / "snap.jsonl", {"train": {"epochs": 2}}), pool, 3),
        (params, pool.iloc[:1], 3),
        (params, pool, 5),
    ):
        with pytest.raises(LeverError, match="made with other params"):
            open_work(work, *other)


def levers_result() -> dict[str, Any]:
    crossval_rows: list[dict[str, Any]] = [
        {
            "setting": "defaults",
            "train_seconds": 600.0,
            "intervals": {"roc_auc_ovr": interval(0.97), "macro_f1": interval(0.87, 0.02)},
        },
        {
            "setting": "weight average",
            "train_seconds": None,
            "intervals": {"roc_auc_ovr": interval(0.975), "macro_f1": interval(0.88, 0.02)},
            "minus_defaults": {
                "roc_auc_ovr": difference(0.005, 0.003),
                "macro_f1": difference(0.01, 0.02),
            },
            "adopted": True,
        },
        {
            "setting": "train.frozen_layers=0",
            "train_seconds": 900.0,
            "intervals": {"roc_auc_ovr": interval(0.97), "macro_f1": interval(0.87, 0.02)},
            "minus_defaults": {
                "roc_auc_ovr": difference(0.0, 0.003),
                "macro_f1": difference(-0.001, 0.019),
            },
            "adopted": False,
        },
    ]
    steps = [
        {
            "lever": lever,
            "padded_batch": [16, width],
            "attention_dropout": dropout,
            "frozen_layers": frozen,
            "precision": "fp32",
            "median_seconds": seconds,
            "ratio": seconds / 3.2,
        }
        for lever, width, dropout, frozen, seconds in (
            ("seed recipe", 366, 0.1, 0, 7.8),
            (AS_IS, 256, 0.1, 0, 3.2),
            ("+ 3 layers frozen", 256, 0.0, 3, 1.6),
        )
    ]
    steps.append({"lever": "+ bf16 autocast", "skipped": "no native bf16 on AMD EPYC (AVX2)"})
    return {
        "machine": MACHINE,
        "steps": {"batch": 16, "timed_steps": 3, "levers": steps},
        "floor": FLOOR,
        "crossval": {
            "papers": 1785,
            "folds": 3,
            "compute": {"precision": "fp32"},
            "rows": crossval_rows,
        },
        "rule": RULE,
    }


def test_levers_markdown_states_the_rule_and_every_difference_with_its_interval() -> None:
    text = levers_markdown(levers_result())
    lines = text.splitlines()
    assert lines[0] == "**AMD EPYC (AVX2)** (cpu, 2 torch threads, torch 2.13.0, 2026-01-01)"
    assert "| seed recipe | 16x366 | 0.1 | 0 | fp32 | 7.80 | 2.44 |" in lines
    skipped = "| + bf16 autocast | skipped: no native bf16 on AMD EPYC (AVX2) |  |  |  |  |  |"
    assert skipped in lines
    assert (
        "| defaults | 600 | 0.9700 [0.9600, 0.9800] | 0.8700 [0.8500, 0.8900] |  |  |  |" in lines
    )
    assert (
        "| weight average | from the defaults' folds | 0.9750 [0.9650, 0.9850] "
        "| 0.8800 [0.8600, 0.9000] | +0.0050 [+0.0020, +0.0080] better "
        "| +0.0100 [-0.0100, +0.0300] no evidence | yes |" in lines
    )
    assert "| train.frozen_layers=0 | 900 | 0.9700 [0.9600, 0.9800] |" in text
    assert "no evidence | no |" in text
    assert "Out-of-fold predictions on 1785 papers (train + validation, 3 stratified folds" in text
    assert "noise floor (ROC-AUC 0.0030, macro-F1 0.0150)" in text
    assert text.rstrip().endswith(RULE)
    assert all(line.count("|") in (0, 8) for line in lines), text


# ---- queued experiments


def test_missing_skips_saved_and_waiting_experiments_and_requeues_failed_ones() -> None:
    tasks = {"seed-2": "Running", "seed-3": "Queued", "seed-4": "Failed", "other": "Queued"}
    done = {"seed-1": "abc"}
    assert missing(["seed-1", "seed-2", "seed-3", "seed-4", "seed-5"], done, tasks) == [
        "seed-4",
        "seed-5",
    ]


def test_finished_reads_experiment_refs(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "f").write_text("x")
    git(tmp_path, "add", "f")
    git(tmp_path, "commit", "-q", "-m", "c")
    head = git(tmp_path, "rev-parse", "HEAD").strip()
    assert finished(tmp_path) == {}
    git(tmp_path, "update-ref", f"refs/exps/{head[:2]}/{head[2:]}/seed-42", head)
    assert finished(tmp_path) == {"seed-42": head}


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


def test_predictions_by_set_orders_columns_by_code() -> None:
    records = [
        {
            "set": "later",
            "id": "1",
            "label": "cs.IR",
            "probabilities": {"cs.IR": 0.7, "cs.AI": 0.3},
        },
        {"set": "test", "id": "2", "label": "cs.AI", "probabilities": {"cs.AI": 0.6, "cs.IR": 0.4}},
        {
            "set": "later",
            "id": "3",
            "label": "cs.AI",
            "probabilities": {"cs.AI": 0.9, "cs.IR": 0.1},
        },
    ]
    by_set = predictions_by_set(records, ["cs.AI", "cs.IR"])
    assert by_set["later"].ids == ["1", "3"]
    assert by_set["later"].labels.tolist() == [1, 0]
    assert by_set["later"].probabilities.tolist() == [[0.3, 0.7], [0.9, 0.1]]
    assert by_set["test"].ids == ["2"]


# ---- the noise floor


def experiment(name: str, probabilities: np.ndarray, later: dict[str, Any]) -> Experiment:
    labels = np.repeat(np.arange(3), 20)
    details = {"later": later, "test": evaluation_set(30)}
    ids = [f"2508.{i:05d}" for i in range(len(labels))]
    return Experiment(name, name * 2, details, {"later": Predictions(ids, labels, probabilities)})


def noisy_probabilities(seed: int, flip: float) -> np.ndarray:
    """60 papers, 20 a class; a fraction `flip` of them put their mass on the next class."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(3), 20)
    guesses = np.where(rng.random(60) < flip, (labels + 1) % 3, labels)
    probabilities = np.full((60, 3), 0.1)
    probabilities[np.arange(60), guesses] = 0.8
    return probabilities


def test_pair_differences_of_identical_runs_are_zero() -> None:
    same = noisy_probabilities(0, 0.2)
    runs = [experiment(f"seed-{i}", same, evaluation_set(60)) for i in (1, 2)]
    (pair,) = pair_differences(runs, count=100, seed=0)
    assert pair["pair"] == "seed-1 - seed-2"
    for metric in ("roc_auc_ovr", "macro_f1"):
        assert pair[metric] == {
            "value": 0.0,
            "low": 0.0,
            "high": 0.0,
            "verdict": "no evidence",
            "half_width": 0.0,
        }


def test_pair_differences_refuse_other_papers() -> None:
    first = experiment("seed-1", noisy_probabilities(0, 0.2), evaluation_set(60))
    second = experiment("seed-2", noisy_probabilities(1, 0.2), evaluation_set(60))
    second.predictions["later"].ids[0] = "2601.99999"
    with pytest.raises(ValueError, match="different later papers"):
        pair_differences([first, second], count=50, seed=0)


def noise_result() -> dict[str, Any]:
    seeds = []
    for seed, (auc, f1) in zip((1, 2, 3), ((0.98, 0.91), (0.97, 0.90), (0.99, 0.92)), strict=True):
        later = evaluation_set(60)
        later["model"] = system(auc, f1)
        seeds.append(seed_record(seed, experiment(f"seed-{seed}", np.zeros((60, 3)), later)))
    pairs = [
        {
            "pair": f"seed-{a} - seed-{b}",
            "roc_auc_ovr": {**difference(0.01, 0.004), "half_width": 0.004},
            "macro_f1": {**difference(0.01, half), "half_width": half},
        }
        for (a, b), half in zip(((1, 2), (1, 3), (2, 3)), (0.02, 0.03, 0.04), strict=True)
    ]
    return {
        "machine": MACHINE,
        "later_papers": 60,
        "seeds": seeds,
        "pairs": pairs,
        "baselines_identical": True,
        "floor": noise_floor(seeds, pairs),
    }


def test_noise_floor_takes_the_larger_of_seed_noise_and_paired_half_width() -> None:
    floor = noise_result()["floor"]
    auc, f1 = floor["roc_auc_ovr"], floor["macro_f1"]
    assert auc["sd"] == pytest.approx(0.01)
    assert (auc["min"], auc["max"], auc["mean"]) == (0.97, 0.99, pytest.approx(0.98))
    assert auc["seed_noise_95"] == pytest.approx(1.959964 * 2**0.5 * 0.01, abs=1e-6)
    assert auc["median_paired_half_width"] == 0.004
    assert auc["smallest_resolvable"] == auc["seed_noise_95"]
    assert f1["median_paired_half_width"] == 0.03
    assert f1["smallest_resolvable"] == pytest.approx(max(0.03, f1["seed_noise_95"]))


def test_noise_markdown_prints_intervals_and_the_floor() -> None:
    text = noise_markdown(noise_result())
    lines = text.splitlines()
    assert "| 1 | 0.9800 [0.9700, 0.9900] | 0.9100 [0.8900, 0.9300] |" in text
    assert (
        "| seed-1 - seed-2 | +0.0100 [+0.0060, +0.0140] | +0.0100 [-0.0100, +0.0300] "
        "| better, no evidence |" in lines
    )
    assert "| ROC-AUC | 0.9800 | 0.0100 | 0.9700 - 0.9900 | 0.0277 | 0.0040 | **0.0277** |" in lines
    assert "identical in every experiment (cached)" in text
    assert {line.count("|") for line in lines if line.startswith("|")} == {6, 5, 8}, text


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


def curve_result() -> dict[str, Any]:
    probabilities = noisy_probabilities(0, 0.1)
    small = experiment("size-100", probabilities, evaluation_set(60))
    large_later = evaluation_set(60)
    large_later["differences"]["model - encoder"] = {
        "roc_auc_ovr": difference(0.01, 0.005),
        "macro_f1": difference(0.03, 0.01),
    }
    large = experiment("size-max", probabilities, large_later)
    sizes = [
        size_record({"cs.AI": 100, "cs.IR": 100, "cs.RO": 100}, small),
        size_record({"cs.AI": 1293, "cs.IR": 1404, "cs.RO": 419}, large),
    ]
    assert check_same_later_set([small, large]) == small.predictions["later"].ids
    return {
        "machine": MACHINE,
        "later_papers": 60,
        "pools": {"cs.AI": 1293, "cs.IR": 1404, "cs.RO": 419},
        "sizes": sizes,
        "answer": answer(sizes),
    }


def test_the_curve_answers_from_which_size_fine_tuning_beats_the_encoder() -> None:
    result = curve_result()
    assert result["answer"].startswith(
        "fine-tuning is significantly above the frozen encoder on both metrics from 3116 papers"
    )
    assert answer(result["sizes"][:1]).startswith("at no size measured")


def test_the_curve_refuses_experiments_on_other_later_papers() -> None:
    first = experiment("size-100", noisy_probabilities(0, 0.1), evaluation_set(60))
    second = experiment("size-300", noisy_probabilities(0, 0.1), evaluation_set(60))
    second.predictions["later"].ids[-1] = "2601.99999"
    with pytest.raises(CurveError, match="size-300 was scored on other later papers"):
        check_same_later_set([first, second])


def test_the_curve_markdown() -> None:
    result = curve_result()
    text = curve_markdown(result)
    lines = text.splitlines()
    assert "| 300 (100/100/100) | frozen encoder + LR | 0.9840 [0.9740, 0.9940] |" in text
    assert (
        "| fine-tuned model - frozen encoder + LR | 3116 (1293/1404/419) "
        "| +0.0100 [+0.0050, +0.0150] | +0.0300 [+0.0200, +0.0400] "
        "| ROC-AUC better, macro-F1 better |" in lines
    )
    assert "Every size scored on the same 60 later papers." in text
    assert {line.count("|") for line in lines if line.startswith("|")} == {5, 6}, text


def test_a_recipe_at_several_seeds_gets_the_mean_of_its_runs_and_its_t_interval() -> None:
    values = (0.90, 0.91, 0.92, 0.93, 0.94)
    runs = {
        f"seed {i}": {"roc_auc_ovr": interval(v), "macro_f1": interval(v - 0.1)}
        for i, v in enumerate(values)
    }
    rows = seed_rows("recipe", "defaults", runs, 100)
    assert len(rows) == 2 * (len(values) + 1)
    assert rows[0] == {
        "recipe": "defaults",
        "metric": "ROC-AUC",
        **interval(0.90),
        "set_papers": 100,
        "run": "seed 0",
    }
    mean = [row for row in rows if row["run"] == "mean of 5 seeds"]
    half = 2.776445 * 0.0158114 / 5**0.5  # t(0.975, 4 degrees of freedom) x SD / sqrt(n)
    assert [(row["metric"], row["value"], row["low"], row["high"]) for row in mean] == [
        (
            "ROC-AUC",
            0.92,
            pytest.approx(0.92 - half, abs=1e-6),
            pytest.approx(0.92 + half, abs=1e-6),
        ),
        (
            "macro-F1",
            0.82,
            pytest.approx(0.82 - half, abs=1e-6),
            pytest.approx(0.82 + half, abs=1e-6),
        ),
    ]
    near_one = {
        f"seed {i}": {"roc_auc_ovr": interval(v), "macro_f1": interval(v)}
        for i, v in enumerate((0.98, 0.99))
    }
    assert (
        max(row["high"] for row in seed_rows("recipe", "x", near_one, 1)) == 1.0
    )  # a score's range
    assert len(seed_rows("recipe", "one", dict(list(runs.items())[:1]), 100)) == 2  # no mean of one


def test_each_sweep_has_a_chart_of_every_run_from_its_committed_results() -> None:
    results = Path(__file__).resolve().parents[2] / "bench" / "results"
    noise = noise_floor_chart(read(results / "noise_floor.json"))
    assert [(r["run"], r["metric"]) for r in noise.rows] == [
        (run, metric)
        for run in ("seed 42", "seed 43", "seed 44", "seed 45", "seed 46", "mean of 5 seeds")
        for metric in ("ROC-AUC", "macro-F1")
    ]
    assert (
        noise.title
        == "The noise floor: the defaults at 5 training seeds, later set ({set_papers} papers)"
    )
    levers = levers_chart([read(results / name) for name in ("levers.json", "levers_seed43.json")])
    runs = {(r["setting"], r["run"]) for r in levers.rows}
    assert {run for setting, run in runs if setting == "tokenize.max_length=512"} == {
        "seed 42",
        "seed 43",
        "mean of 2 seeds",
    }
    assert {run for setting, run in runs if setting == "train.epochs=2"} == {"seed 42"}
    assert len(levers.rows) == 2 * (
        4 * 3 + 3
    )  # 4 settings at both seeds (and their mean), 3 at one
    curve = learning_curve_chart(read(results / "learning_curve.json"))
    assert len(curve.rows) == 2 * 3 * 3  # 3 sizes, 3 systems, 2 metrics
    assert curve.rows[0] == {
        "sample": "300 (100/100/100)",
        "metric": "ROC-AUC",
        "value": 0.974338,
        "low": 0.970208,
        "high": 0.978506,
        "set_papers": 2627,
        "run": "fine-tuned model",
    }
    papers = {chart.name: {r["set_papers"] for r in chart.rows} for chart in (noise, levers, curve)}
    assert papers == {"noise-floor": {2627}, "levers": {1785}, "learning-curve": {2627}}


@pytest.mark.slow
def test_the_charts_are_drawn_offline_in_chromium_one_picture_each(tmp_path: Path) -> None:
    """What `make bench-charts` does, on a small chart: `save` refuses a page that logged a
    warning or an error, asked the network for anything or left a chart undrawn."""
    runs = {
        f"seed {i}": {"roc_auc_ovr": interval(v), "macro_f1": interval(v - 0.1)}
        for i, v in enumerate((0.9, 0.92))
    }
    chart = Chart(
        "toy",
        "Toy ({set_papers} papers)",
        "recipe",
        "recipe",
        "score",
        seed_rows("recipe", "defaults", runs, 100),
    )
    assert draw([chart], tmp_path) == [tmp_path / "bench-toy.png"]
    assert (tmp_path / "bench-toy.png").read_bytes().startswith(b"\x89PNG")
