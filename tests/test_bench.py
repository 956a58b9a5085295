"""The pure parts of `make bench`: the unseen-set selection and the report's targets and tables."""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from arxivist.papers import Paper
from arxivist.sources.snapshot import read_snapshot
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


def test_levers_time_bf16_only_where_native() -> None:
    from bench.levers import step_levers

    assert not any(bf16 for *_, bf16 in step_levers(native_bf16=False))
    names = [name for name, *_ in step_levers(native_bf16=True)]
    assert names[-1] == "+ bf16 autocast" and len(names) == 5
    seed, checkpoint_as_is, *_ = step_levers(native_bf16=False)
    assert seed[1] == 512 and checkpoint_as_is[1] == 256


def test_levers_markdown_states_the_rule_and_every_run() -> None:
    from bench.levers import markdown as levers_markdown

    result = {
        "machine": {"name": "AMD EPYC (AVX2)", "device": "cpu", "torch_threads": 2},
        "steps": [{"lever": "seed recipe", "tokens": [16, 366], "seconds": 7.8, "ratio": 2.42}],
        "runs": [
            {
                "variant": variant,
                "seconds": seconds,
                "val_roc_auc": 0.97,
                "val_macro_f1": 0.87,
                "unseen_roc_auc": 0.98,
                "unseen_macro_f1": 0.91,
            }
            for variant, seconds in (("defaults", 200.0), ("train.frozen_layers=0", 300.0))
        ],
    }
    text = levers_markdown(result)

    assert "| seed recipe | 16x366 | 7.80 | 2.42 |" in text
    assert "| train.frozen_layers=0 | 300 s | 1.50 | 0.9700 | 0.8700 | 0.9800 | 0.9100 |" in text
    assert "chosen on validation" in text
