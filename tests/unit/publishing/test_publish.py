"""The publish stage: models/published loads offline in pipeline(), its card carries the metrics,
and it uploads nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from huggingface_hub import ModelCard

from arxivist.integrity.checksums import CHECKSUMS, verify_folder
from arxivist.publishing.card_data import CardError, check_eval_metrics
from arxivist.publishing.folder import PublishError, check_model
from standins.hub import FakeHub
from standins.tiny_bert import LABELS
from standins.workspace import git
from tests.unit.publishing.workdirs import (
    ARGS,
    COUNTS,
    EVAL_METRICS,
    FETCH_REPORT,
    hub_env,
    run_publish,
    scores,
    write_params,
)


def test_published_folder_loads_offline_in_pipeline_with_display_names(workdir: Path) -> None:
    from transformers import pipeline

    published = run_publish(workdir)

    classify = pipeline("text-classification", model=str(published), top_k=None)
    got = classify(["a robot grasping", "ranking documents for a query"])
    assert all({s["label"] for s in row} == set(LABELS.names) for row in got)
    weights = published / "model.safetensors"
    assert weights.read_bytes() == (workdir / "models/model/model.safetensors").read_bytes()
    assert (published / "tokenizer.json").is_file()


def test_published_folder_lists_every_file_in_its_sha256sum_checksums(workdir: Path) -> None:
    published = run_publish(workdir)
    listed = (published / CHECKSUMS).read_text(encoding="utf-8").splitlines()
    names = sorted(
        p.relative_to(published).as_posix()
        for p in published.rglob("*")
        if p.is_file() and p.name != CHECKSUMS
    )
    assert [line.split("  ", 1)[1] for line in listed] == names
    assert {"README.md", "model.safetensors", "onnx/model_quantized.onnx"} <= set(names)
    checked = subprocess.run(
        ["sha256sum", "--check", "--strict", CHECKSUMS],
        cwd=published,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert verify_folder(published)


def test_card_parses_and_carries_the_test_metrics(workdir: Path) -> None:
    card = ModelCard.load(run_publish(workdir) / "README.md")

    meta = card.data
    assert (meta.license, meta.pipeline_tag, meta.library_name) == (
        "mit",
        "text-classification",
        "transformers",
    )
    assert meta.base_model == "sentence-transformers/all-MiniLM-L6-v2"
    assert meta.metrics == ["roc_auc", "f1", "accuracy"]
    assert meta.model_name == "arxiv-topics"
    measured = {
        (r.dataset_split, r.metric_type, r.metric_config): r.metric_value for r in meta.eval_results
    }
    assert measured == {
        ("later", "roc_auc", "ovr"): 0.9621,
        ("later", "f1", "macro"): 0.9121,
        ("later", "accuracy", None): 0.9221,
        ("test", "roc_auc", "ovr"): 0.9821,
        ("test", "f1", "macro"): 0.9321,
        ("test", "accuracy", None): 0.9421,
    }


def test_card_body_states_data_training_results_limits_and_reproduction(workdir: Path) -> None:
    text = (run_publish(workdir) / "README.md").read_text()

    assert "| Robotics (`cs.RO`) | 2 | 1 | 1 | 4 |" in text
    assert "| **all** | 10 | 5 | 6 | 21 |" in text
    assert "Publication dates: 2024-03-04 to 2024-03-23." in text
    assert "cat:cs.RO AND submittedDate:[202401010000 TO 202412312359]" in text
    assert "| learning rate | 0.0001 |" in text and "| val_roc_auc | 0.9500 |" in text
    assert "| precision | auto |" in text and "| trained on | Xeon (AVX512, AMX), bf16 |" in text
    later = text.index("### Papers submitted after the training sample (40 papers)")
    assert later < text.index("### The test split (6 papers)")
    assert "| metric | this model | frozen encoder | TF-IDF |" in text
    assert (
        "| ROC-AUC (one-vs-rest) | 0.9621 [0.9521, 0.9721] | 0.9600 [0.9500, 0.9700] | "
        "0.8423 [0.8323, 0.8523] |" in text
    )
    assert "| F1 Information Retrieval (`cs.IR`) | 0.8921 | 0.8900 | 0.7723 |" in text
    later_part = text[later : text.index("### The test split")]
    assert (
        "- F1 (macro): no evidence that fine-tuning beats the frozen encoder baseline "
        "(+0.0021 [-0.0079, +0.0121])." in later_part
    )
    assert (
        "- F1 (macro): fine-tuning beats the TF-IDF baseline by +0.1198 [+0.1098, +0.1298]."
        in later_part
    )
    assert "- F1 (macro): fine-tuning is worse than the frozen encoder baseline" not in later_part
    assert "the smallest, Robotics (`cs.RO`),\n  has 4 of 21 papers" in text
    assert "trained on papers submitted from 2024-01-01 to 2024-12-31" in text
    assert "English" in text
    assert "shared over the calendar months of the window" in text
    assert "`dvc.lock` lists this\nfolder's hash" in text and "dvc pull" in text


def test_card_states_what_fetch_repaired_and_dropped(workdir: Path) -> None:
    text = (run_publish(workdir) / "README.md").read_text()

    data = text[text.index("## Data") : text.index("## Training")]
    assert "reports/fetch/papers.json" in data
    assert [line for line in data.splitlines() if line.startswith("- ")] == [
        "- ids that had lost trailing zeros (an id once read as a number), padded to their "
        "month's digits: 2, e.g. 2503.1868 -> 2503.18680",
        "- records dropped for a newer version of their paper: 1, e.g. 2401.00003: v2 kept, v1 "
        "dropped",
        "- records dropped for repeating an id in the same version: 1, e.g. 2503.18680",
        "- papers dropped for the abstract text of an earlier paper of the sample: 3, e.g. "
        "2401.00009 (same text as 2401.00004)",
        "- papers dropped for an abstract without words: 0",
    ]


def test_card_refuses_a_fetch_report_without_a_count(workdir: Path) -> None:
    report = {key: value for key, value in FETCH_REPORT.items() if key != "duplicate_texts"}
    (workdir / "reports" / "fetch" / "papers.json").write_text(json.dumps(report))
    with pytest.raises(CardError, match=r"papers\.json: missing duplicate_texts \(a count"):
        run_publish(workdir)
    assert not (workdir / "models" / "published").exists()


def test_card_keeps_local_paths_out_and_says_when_dates_are_unknown(
    workdir: Path, tiny_bert: Path
) -> None:
    write_params(
        workdir,
        fetch={"source": "snapshot", "snapshot_path": "/secret/dir/dump.jsonl.gz"},
        model={"checkpoint": str(tiny_bert)},
    )
    for split in COUNTS:
        path = workdir / "data" / "split" / f"{split}.parquet"
        pd.read_parquet(path).assign(published=None).to_parquet(path)

    card = ModelCard.load(run_publish(workdir) / "README.md")

    assert "snapshot `dump.jsonl.gz`" in card.text and "/secret" not in card.content
    assert card.data.base_model is None and str(tiny_bert) not in card.content
    assert f"a local checkpoint (`{tiny_bert.name}`)" in card.text
    assert "Publication dates: unknown" in card.text
    assert "Date window: the papers' dates are unknown" in card.text


def test_card_states_each_category_date_span(workdir: Path) -> None:
    for split in COUNTS:  # no dates for cs.RO
        path = workdir / "data" / "split" / f"{split}.parquet"
        frame = pd.read_parquet(path)
        frame.loc[frame["label"] == LABELS.codes.index("cs.RO"), "published"] = None
        frame.to_parquet(path)

    text = (run_publish(workdir) / "README.md").read_text()

    rows = [
        "| category | train | validation | test | total | published (first to last) |",
        "| Artificial Intelligence (`cs.AI`) | 4 | 2 | 3 | 9 | 2024-03-04 to 2024-03-20 |",
        "| Information Retrieval (`cs.IR`) | 4 | 2 | 2 | 8 | 2024-03-07 to 2024-03-22 |",
        "| Robotics (`cs.RO`) | 2 | 1 | 1 | 4 | unknown |",
        "| **all** | 10 | 5 | 6 | 21 | 2024-03-04 to 2024-03-22 |",
    ]
    assert [row for row in rows if row not in text.splitlines()] == []


def test_card_bytes_do_not_depend_on_git(workdir: Path) -> None:
    """The publish stage reads no git state (no stage declares it): the same inputs give the
    same card inside and outside a git checkout, committed or not."""
    outside = (run_publish(workdir) / "README.md").read_text()
    git(workdir, "init", "-q")
    git(workdir, "add", "params.yaml")
    git(workdir, "commit", "-q", "-m", "params")
    assert (run_publish(workdir) / "README.md").read_text() == outside
    assert "dvc.lock" in outside and "git checkout <that commit>" in outside


def test_model_without_display_names_is_refused(workdir: Path) -> None:
    config_path = workdir / "models" / "model" / "config.json"
    config = json.loads(config_path.read_text())
    config["id2label"] = {"0": "LABEL_0", "1": "LABEL_1", "2": "LABEL_2"}
    config_path.write_text(json.dumps(config))

    with pytest.raises(PublishError, match="do not match the display names"):
        check_model(workdir / "models" / "model", LABELS)


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ({"papers": None}, "missing integer later.papers"),
        ({"tfidf": {"roc_auc_ovr": 0.5}}, "missing number later.tfidf.macro_f1"),
        ({"model": {**scores(0.9), "per_class": {}}}, r"later.model.per_class.cs.AI needs"),
        ({"encoder": scores(0.9)}, "later.encoder.intervals.roc_auc_ovr needs value, low and high"),
        ({"differences": {}}, "later.differences.model - encoder.roc_auc_ovr needs value, low"),
    ],
)
def test_incomplete_eval_metrics_name_the_key(broken: dict, message: str) -> None:
    evaluation = {**EVAL_METRICS, "later": {**EVAL_METRICS["later"], **broken}}
    with pytest.raises(CardError, match=f"eval.json: {message}"):
        check_eval_metrics(evaluation, LABELS, "eval.json")


def test_publish_stage_uploads_nothing_even_with_a_token(workdir: Path, fake_hub: FakeHub) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stages.publish", *ARGS],
        cwd=workdir,
        env=hub_env(fake_hub),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert (workdir / "models" / "published" / "README.md").is_file()
    assert fake_hub.requests == []
