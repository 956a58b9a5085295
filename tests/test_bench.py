"""The pure parts of `make bench` and `make bench-levers`: the unseen-set selection, the command
line, the report's targets and tables, and how the levers are chosen, checked and reported."""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from arxivist.compute import Capability
from arxivist.papers import Paper
from arxivist.sources.snapshot import read_snapshot
from bench.harness import parse_set
from bench.levers import (
    AS_IS,
    RULE,
    LeverError,
    StepLever,
    check_variants,
    parse_variants,
    skip_reason,
    stages_run,
    step_levers,
    with_ratios,
)
from bench.levers import markdown as levers_markdown
from bench.report import duration, evaluate_targets, markdown
from bench.unseen import (
    UnseenError,
    check_disjoint,
    parse_unseen,
    read_unseen,
    select_unseen,
    unseen_counts,
)
from tests.fakes.corpus import snapshot_records, write_snapshot


def paper(id_: str, code: str) -> Paper:
    return Paper(
        id=id_, title="", abstract=f"abstract {id_}", primary_category=code, categories=[code]
    )


def test_select_unseen_takes_the_next_ids_after_each_sample() -> None:
    papers = [paper(f"2401.{i:05d}", code) for i, code in enumerate(["cs.AI", "cs.RO"] * 5)]
    papers += [paper("2401.99999", "cs.CV")]
    chosen = select_unseen(reversed(papers), {"cs.AI": 2, "cs.RO": 1}, {"cs.AI": 2, "cs.RO": 3})
    assert [(p.id, p.primary_category) for p in chosen] == [
        ("2401.00004", "cs.AI"),
        ("2401.00006", "cs.AI"),
        ("2401.00003", "cs.RO"),
        ("2401.00005", "cs.RO"),
        ("2401.00007", "cs.RO"),
    ]


def test_select_unseen_names_every_short_category() -> None:
    papers = [paper(f"2401.{i:05d}", code) for i, code in enumerate(["cs.AI", "cs.IR"] * 3)]
    with pytest.raises(UnseenError, match=r"cs\.AI: 1 of 2, cs\.IR: 0 of 1"):
        select_unseen(papers, {"cs.AI": 2, "cs.IR": 3}, {"cs.AI": 2, "cs.IR": 1})


def test_read_unseen_is_disjoint_from_the_fetch_sample_and_follows_it(tmp_path: Path) -> None:
    records = snapshot_records({"cs.AI": 9, "cs.IR": 7, "cs.RO": 5, "cs.CV": 3})
    records.append({**records[0], "categories": "cs.IR"})  # a duplicate id: the first one counts
    path = str(write_snapshot(tmp_path / "snap.jsonl", list(reversed(records))))
    sample, extra = {"cs.AI": 4, "cs.IR": 3, "cs.RO": 2}, {"cs.AI": 3, "cs.IR": 2, "cs.RO": 2}
    unseen = read_unseen(path, sample, extra)
    fetched = read_snapshot(path, sample)
    both = read_snapshot(path, {code: sample[code] + extra[code] for code in sample})
    assert not {p.id for p in unseen} & {p.id for p in fetched}
    assert sorted(p.id for p in fetched + unseen) == sorted(p.id for p in both)
    for code in sample:
        ids = [p.id for p in unseen if p.primary_category == code]
        assert len(ids) == extra[code]
        assert min(ids) > max(p.id for p in fetched if p.primary_category == code)


def test_check_disjoint_fails_on_a_paper_of_the_training_sample(tmp_path: Path) -> None:
    raw = tmp_path / "papers.jsonl"
    raw.write_text(json.dumps({"id": "2401.00001"}) + "\n" + json.dumps({"id": "2401.00002"}))
    check_disjoint([paper("2401.00003", "cs.AI")], raw)
    with pytest.raises(UnseenError, match=r"1 unseen papers .* e\.g\. 2401\.00002"):
        check_disjoint([paper("2401.00003", "cs.AI"), paper("2401.00002", "cs.AI")], raw)


def test_parse_unseen_and_counts() -> None:
    assert parse_unseen("20") == 20
    assert parse_unseen("cs.AI=400, cs.IR=200") == {"cs.AI": 400, "cs.IR": 200}
    for bad in ("0", "cs.AI=x", "cs.AI=-1"):
        with pytest.raises(argparse.ArgumentTypeError, match="positive integer"):
            parse_unseen(bad)
    assert unseen_counts(20, ["cs.AI", "cs.IR"]) == {"cs.AI": 20, "cs.IR": 20}
    assert unseen_counts({"cs.IR": 2, "cs.AI": 4}, ["cs.AI", "cs.IR"]) == {"cs.AI": 4, "cs.IR": 2}
    with pytest.raises(UnseenError, match=r"fetch\.categories"):
        unseen_counts({"cs.AI": 4}, ["cs.AI", "cs.IR"])


def metrics(auc: float, f1: float, **extra: Any) -> dict[str, Any]:
    per_class = {code: {"f1": f1} for code in ("cs.AI", "cs.IR", "cs.RO")}
    return {"roc_auc_ovr": auc, "macro_f1": f1, "per_class": per_class, **extra}


RESULT: dict[str, Any] = {
    "machine": {
        "name": "AMD EPYC (AVX2)",
        "device": "cpu",
        "torch_threads": 2,
        "torch": "2.13.0",
        "date": "2026-01-01",
    },
    "seed_recipe": {
        "kind": "estimate from 6 measured steps",
        "seconds": 36000.0,
        "recipe": {"max_length": 512, "batch_size": 16, "learning_rate": 1e-4, "epochs": 5},
    },
    "pipeline": {
        "stages": {"fetch": 2.0, "train": 1200.0},
        "seconds": 1202.0,
        "test_split": {
            "n_test": 315,
            "model": metrics(0.982, 0.89),
            "baseline": metrics(0.978, 0.76),
        },
    },
    "unseen": {"papers": {"cs.AI": 400, "cs.IR": 200, "cs.RO": 200}},
    "quality": {
        "fine_tuned": metrics(0.995, 0.96, seconds=40.0),
        "tfidf_lr": metrics(0.98, 0.90, seconds=3.0),
        "frozen_encoder_lr": metrics(0.99, 0.94, seconds=95.0),
    },
    "throughput": {
        "predict": {"texts_per_second": 30.0},
        "pipeline": {"texts_per_second": 5.0},
        "argmax_agreement": 0.99875,
    },
}


def test_targets_met() -> None:
    targets = evaluate_targets(RESULT)
    assert {name: t["met"] for name, t in targets.items()} == {
        "pipeline_vs_seed_recipe": True,
        "unseen_roc_auc": True,
        "unseen_macro_f1": True,
        "beats_baselines": True,
        "predict_vs_pipeline": True,
    }
    assert targets["pipeline_vs_seed_recipe"]["value"] == pytest.approx(1202 / 36000, abs=1e-6)
    assert targets["beats_baselines"]["value"] == pytest.approx(0.005)
    assert targets["predict_vs_pipeline"]["value"] == pytest.approx(6.0)


def test_targets_not_met() -> None:
    result = copy.deepcopy(RESULT)
    result["quality"]["frozen_encoder_lr"]["macro_f1"] = 0.97
    result["quality"]["fine_tuned"]["roc_auc_ovr"] = 0.985
    result["throughput"]["pipeline"]["texts_per_second"] = 10.0
    result["pipeline"]["seconds"] = 3601.0
    targets = evaluate_targets(result)
    assert not any(t["met"] for name, t in targets.items() if name != "unseen_macro_f1")
    assert targets["beats_baselines"]["value"] == pytest.approx(-0.01)


def test_markdown_tables() -> None:
    result = {**RESULT, "targets": evaluate_targets(RESULT)}
    text = markdown(result)
    assert text.startswith("**AMD EPYC (AVX2)** (cpu, 2 torch threads, torch 2.13.0, 2026-01-01)")
    lines = text.splitlines()
    assert "| model | set | ROC-AUC | macro-F1 | F1 cs.AI | F1 cs.IR | F1 cs.RO | cost |" in lines
    assert (
        "| fine-tuned model | unseen (800) | 0.9950 | 0.9600 | 0.9600 | 0.9600 | 0.9600 "
        "| pipeline 20.0 min + predict 40 s |" in lines
    )
    assert "| TF-IDF + LR | test split (315) | 0.9780 | 0.7600 | 0.7600 | 0.7600 | 0.7600 " in text
    assert "| default pipeline wall / seed-recipe training | 0.03339 | ≤ 0.1 | met |" in lines
    assert "| argmax agreement, predict vs `pipeline()` | 99.9% |  |  |" in lines
    assert "10.0 h" in text
    assert "Stages: fetch 2.0 s, train 20.0 min." in text
    assert all(line.count("|") in (0, 5, 9) for line in lines), text


def test_duration() -> None:
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


def test_stages_run_reads_what_dvc_ran_not_what_it_skipped() -> None:
    output = (
        "Stage 'fetch' didn't change, skipping\n"
        "Stage 'tokenize' is cached - skipping run, checking out outputs\n"
        "Running stage 'train':\n> python -m stages.train ...\n"
        "Running stage 'evaluate':\nRunning stage 'publish':\n"
    )
    assert stages_run(output) == ["train", "evaluate", "publish"]
    assert stages_run("Stage 'train' didn't change, skipping") == []


def levers_result() -> dict[str, Any]:
    runs = [
        {
            "variant": variant,
            "seconds": seconds,
            "stages_run": ["train", "evaluate", "publish"],
            "val_roc_auc": 0.97,
            "val_macro_f1": 0.87,
            "unseen_roc_auc": 0.98,
            "unseen_macro_f1": 0.91,
        }
        for variant, seconds in (("defaults", 200.0), ("train.frozen_layers=0", 300.0))
    ]
    steps = [
        {
            "lever": lever,
            "padded_batch": [16, width],
            "attention_dropout": dropout,
            "frozen_layers": frozen,
            "precision": "fp32",
            "median_seconds": seconds,
        }
        for lever, width, dropout, frozen, seconds in (
            ("seed recipe", 366, 0.1, 0, 7.8),
            (AS_IS, 256, 0.1, 0, 3.2),
            ("+ 3 layers frozen", 256, 0.0, 3, 1.6),
        )
    ]
    for step in steps:
        step["ratio"] = step["median_seconds"] / 3.2
    steps.append({"lever": "+ bf16 autocast", "skipped": "no native bf16 on AMD EPYC (AVX2)"})
    return {
        "machine": RESULT["machine"],
        "steps": {"batch": 16, "timed_steps": 3, "levers": steps},
        "runs": with_ratios(runs),
        "unseen": RESULT["unseen"],
        "rule": RULE,
    }


def test_levers_markdown_states_the_rule_and_every_lever() -> None:
    text = levers_markdown(levers_result())
    lines = text.splitlines()

    assert lines[0] == "**AMD EPYC (AVX2)** (cpu, 2 torch threads, torch 2.13.0, 2026-01-01)"
    assert "| seed recipe | 16x366 | 0.1 | 0 | fp32 | 7.80 | 2.44 |" in lines
    assert "| + 3 layers frozen | 16x256 | 0 | 3 | fp32 | 1.60 | 0.50 |" in lines
    skipped = "| + bf16 autocast | skipped: no native bf16 on AMD EPYC (AVX2) |  |  |  |  |  |"
    assert skipped in lines
    assert "| defaults | 200 | 1.00 | 0.9700 | 0.8700 | 0.9800 | 0.9100 |" in lines
    assert "| train.frozen_layers=0 | 300 | 1.50 | 0.9700 | 0.8700 | 0.9800 | 0.9100 |" in lines
    assert "which ran train, evaluate, publish (the data stages cached)" in text
    assert "Unseen set: 800 papers" in text
    assert text.rstrip().endswith(RULE)
    assert all(line.count("|") in (0, 8) for line in lines), text
