"""The publish stage: models/published loads offline in pipeline(), its card carries the metrics,
and it uploads nothing. `arxivist push-to-hub` uploads it on purpose, to a local Hub-compatible
server here: private unless --public, refused before any request without HF_TOKEN or good metrics.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml
from huggingface_hub import ModelCard

from arxivist.cli import main
from arxivist.evaluation.metrics import HEADLINE
from arxivist.integrity.checksums import CHECKSUMS, verify_folder
from arxivist.publishing.card_data import CardError, check_eval_metrics
from arxivist.publishing.folder import PublishError, check_model
from stages.publish import publish
from standins.hub import DROP, FakeHub
from standins.tiny_bert import LABELS
from standins.workspace import ROOT, git

TOKEN = "hf_TestTokenThatMustNeverBeWritten0123"
REPO_ID = "someone/arxiv-topics"
# papers per split and category code
COUNTS = {
    "train": {"cs.AI": 4, "cs.IR": 4, "cs.RO": 2},
    "validation": {"cs.AI": 2, "cs.IR": 2, "cs.RO": 1},
    "test": {"cs.AI": 3, "cs.IR": 2, "cs.RO": 1},
}
# reports/fetch/papers.json as the fetch stage writes it (here: 21 papers).
FETCH_REPORT = {
    "papers": 21,
    "ids_repaired": {"count": 2, "examples": ["2503.1868 -> 2503.18680", "2502.034 -> 2502.03400"]},
    "versions_collapsed": {"count": 1, "examples": ["2401.00003: v2 kept, v1 dropped"]},
    "duplicate_ids": {"count": 1, "examples": ["2503.18680"]},
    "duplicate_texts": {"count": 3, "examples": ["2401.00009 (same text as 2401.00004)"]},
    "wordless_abstracts": {"count": 0, "examples": []},
}
ARGS = (
    "models/model",
    "reports/eval/details.json",
    "reports/train/metrics.json",
    "reports/train/details.json",
    "reports/fetch/papers.json",
    "data/labeled/labels.json",
    "data/split",
    "models/published",
)


def scores(base: float) -> dict:
    per_class = {
        code: {
            "precision": base,
            "recall": base - 0.01,
            "f1": base - 0.02,
            "roc_auc": base + 0.01,
            "support": COUNTS["test"][code],
        }
        for code in LABELS.codes
    }
    return {
        "roc_auc_ovr": base + 0.05,
        "macro_f1": base,
        "accuracy": base + 0.01,
        "per_class": per_class,
    }


def with_interval(value: float) -> dict:
    return {"value": value, "low": round(value - 0.01, 4), "high": round(value + 0.01, 4)}


def set_report(papers: int, **systems: float) -> dict:
    """A set's report as the evaluate stage writes it, from each system's base score."""
    report: dict = {"papers": papers}
    for system, base in systems.items():
        report[system] = scores(base)
        report[system]["intervals"] = {k: with_interval(report[system][k]) for k in HEADLINE}
    report["differences"] = {
        f"model - {other}": {
            k: with_interval(round(report["model"][k] - report[other][k], 4)) for k in HEADLINE
        }
        for other in ("encoder", "tfidf")
    }
    return report


# Later set: the model beats TF-IDF by 0.12 but ties with the frozen encoder (within 0.01).
EVAL_METRICS = {
    "later": set_report(40, model=0.9121, encoder=0.9100, tfidf=0.7923),
    "test": set_report(6, model=0.9321, encoder=0.9400, tfidf=0.8123),
    "compute": {
        "device": "cpu",
        "precision": "fp32",
        "hardware": "AMD EPYC (AVX2, no native bf16)",
    },
}


def write_params(workdir: Path, **sections: dict) -> None:
    params = {
        "fetch": {"submitted_from": "2024-01-01", "submitted_to": "2024-12-31"},
        "train": {"learning_rate": 1e-4},
        "publish": {"repo_id": REPO_ID, "license": "mit"},
    }
    for name, values in sections.items():
        params[name] = {**params.get(name, {}), **values}
    (workdir / "params.yaml").write_text(yaml.safe_dump(params))


@pytest.fixture
def workdir(tmp_path: Path, tiny_classifier: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with everything publish reads, as the earlier stages leave it."""
    shutil.copytree(tiny_classifier, tmp_path / "models" / "model")
    (tmp_path / "reports" / "eval").mkdir(parents=True)
    (tmp_path / "reports" / "train").mkdir(parents=True)
    train_metrics = {"step": 2, "best_epoch": 2, "val_roc_auc": 0.95}
    (tmp_path / "reports" / "train" / "metrics.json").write_text(json.dumps(train_metrics))
    train_details = {
        "train_loss": 0.41,
        "val_loss": 0.38,
        "compute": {"device": "cpu", "precision": "bf16", "hardware": "Xeon (AVX512, AMX)"},
    }
    (tmp_path / "reports" / "train" / "details.json").write_text(json.dumps(train_details))
    (tmp_path / "reports" / "fetch").mkdir(parents=True)
    (tmp_path / "reports" / "fetch" / "papers.json").write_text(json.dumps(FETCH_REPORT))
    write_evaluation(tmp_path, EVAL_METRICS)
    LABELS.save(tmp_path / "data" / "labeled" / "labels.json")
    day = iter(range(3, 28))
    for split, counts in COUNTS.items():
        rows = [
            {
                "id": f"{split}-{code}-{i}",
                "abstract": "a robot",
                "label": LABELS.codes.index(code),
                "published": f"2024-03-{next(day):02d}T10:00:00Z",
            }
            for code, n in counts.items()
            for i in range(n)
        ]
        rows[0]["published"] = None
        (tmp_path / "data" / "split").mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_parquet(tmp_path / "data" / "split" / f"{split}.parquet")
    write_params(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    return tmp_path


def write_evaluation(workdir: Path, evaluation: dict) -> None:
    """`evaluation` as the evaluate stage writes it: the full report in details.json."""
    (workdir / "reports" / "eval" / "details.json").write_text(json.dumps(evaluation))


def run_publish(workdir: Path) -> Path:
    publish(*(workdir / arg for arg in ARGS))
    return workdir / "models" / "published"


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
    names = sorted(p.name for p in published.iterdir() if p.name != CHECKSUMS)
    assert [line.split("  ", 1)[1] for line in listed] == names
    assert "README.md" in names and "model.safetensors" in names
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


def hub_env(fake_hub: FakeHub) -> dict[str, str]:
    """A user's shell that could upload: HF_TOKEN set, the local Hub, offline mode off."""
    return {
        **os.environ,
        "HF_TOKEN": TOKEN,
        "HF_ENDPOINT": fake_hub.url,
        "HF_HUB_OFFLINE": "0",
        "PYTHONPATH": str(ROOT),
    }


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


@pytest.fixture
def published(workdir: Path) -> Path:
    return run_publish(workdir)


@pytest.fixture
def hub_shell(fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> FakeHub:
    """This process as hub_env's shell (huggingface_hub read HF_HUB_OFFLINE=1 at import)."""
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setenv("HF_ENDPOINT", fake_hub.url)
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    # huggingface_hub retries a 5xx or a dropped request 5 times, 1+2+4+8+8 s apart: the retries
    # still go to the server, only the waits (23 s a test) are skipped.
    monkeypatch.setattr("huggingface_hub.utils._http.time", SimpleNamespace(sleep=lambda _: None))
    return fake_hub


def push_to_hub(
    *args: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> tuple[int, str]:
    """Run `arxivist push-to-hub ARGS` in this process: its exit code and everything it said
    (stdout, stderr and every log record, huggingface_hub's debug records included)."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="huggingface_hub")
    code = main(["push-to-hub", *args])
    out, err = capsys.readouterr()
    return code, out + err + caplog.text


def test_push_to_hub_uploads_the_folder_privately_with_the_token(
    published: Path, fake_hub: FakeHub
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "arxivist.cli", "push-to-hub"],
        cwd=published.parent.parent,
        env=hub_env(fake_hub),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert fake_hub.repos == {REPO_ID: "private"}  # publish.repo_id of params.yaml
    posts = [r for r in fake_hub.requests if r[0] == "POST"]
    assert {r[2]["authorization"] for r in posts} == {f"Bearer {TOKEN}"}
    assert any(r[1] == f"/api/models/{REPO_ID}/commit/main" for r in posts)
    assert fake_hub.committed_files() == {p.name: p.read_bytes() for p in published.iterdir()}
    commit_url = f"{fake_hub.url}/{REPO_ID}/commit/{'a' * 40}"
    assert done.stdout == f"pushed models/published to {REPO_ID}: {commit_url}\n"
    files = [p for p in published.parent.parent.rglob("*") if p.is_file()]
    assert [p for p in files if TOKEN.encode() in p.read_bytes()] == []
    assert TOKEN not in done.stdout + done.stderr


def test_public_flag_makes_a_public_repo_and_floors_at_the_values_pass(
    published: Path,
    hub_shell: FakeHub,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    code, said = push_to_hub(
        "--public",
        "--repo-id=other/name",
        "--min-roc-auc=0.9821",
        "--min-macro-f1=0.9321",
        capsys=capsys,
        caplog=caplog,
    )

    assert code == 0, said
    assert hub_shell.repos == {"other/name": "public"}
    assert "pushed models/published to other/name: " in said
    assert TOKEN not in said


def test_no_token_is_refused_before_any_request(
    published: Path,
    hub_shell: FakeHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("HF_TOKEN", " ")

    code, said = push_to_hub(capsys=capsys, caplog=caplog)

    assert code == 1
    assert "error: HF_TOKEN is not set; export a Hub write token as HF_TOKEN" in said
    assert hub_shell.requests == []


def test_offline_mode_is_refused_before_any_request(
    published: Path,
    hub_shell: FakeHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)

    code, said = push_to_hub(capsys=capsys, caplog=caplog)

    assert code == 1 and "offline mode" in said and "HF_HUB_OFFLINE=0 to upload" in said
    assert hub_shell.requests == [] and TOKEN not in said


def test_ctrl_c_during_the_push_is_one_line_and_status_130(
    published: Path,
    hub_shell: FakeHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("arxivist.publishing.hub_upload.upload", interrupted)

    code, said = push_to_hub(capsys=capsys, caplog=caplog)

    assert code == 130
    assert said == "error: interrupted; the Hub repository may hold a partial upload\n"


@pytest.mark.parametrize(
    ("floor", "message"),
    [
        ("--min-roc-auc=0.99", "test ROC-AUC (one-vs-rest) 0.9821 is below the floor 0.99"),
        ("--min-macro-f1=0.95", "test macro-F1 0.9321 is below the floor 0.95 (--min-macro-f1)"),
    ],
)
def test_metrics_below_a_floor_are_refused_before_any_request(
    published: Path,
    hub_shell: FakeHub,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    floor: str,
    message: str,
) -> None:
    code, said = push_to_hub(floor, capsys=capsys, caplog=caplog)

    assert code == 1 and f"error: {message}" in said
    assert hub_shell.requests == []


def drop_macro_f1(folder: Path) -> None:
    card = ModelCard.load(folder / "README.md")
    card.data.eval_results = [r for r in card.data.eval_results if r.metric_type != "f1"]
    card.save(folder / "README.md")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda folder: (folder / "README.md").unlink(), "no model card (README.md)"),
        (
            lambda folder: ModelCard("---\nlicense: mit\n---\nNo results.\n").save(
                folder / "README.md"
            ),
            "the model card has no test ROC-AUC (one-vs-rest)",
        ),
        (drop_macro_f1, "the model card has no test macro-F1"),
        (lambda folder: (folder / "config.json").unlink(), "not a saved model (no config.json)"),
    ],
    ids=["no-card", "no-metrics", "no-macro-f1", "no-config"],
)
def test_a_folder_without_card_metrics_or_model_is_refused_before_any_request(
    published: Path,
    hub_shell: FakeHub,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    damage: Callable[[Path], None],
    message: str,
) -> None:
    damage(published)

    code, said = push_to_hub(capsys=capsys, caplog=caplog)

    assert code == 1 and message in said
    assert hub_shell.requests == []


def test_without_params_yaml_the_repo_id_is_required(
    published: Path,
    hub_shell: FakeHub,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    Path("params.yaml").unlink()

    code, said = push_to_hub(capsys=capsys, caplog=caplog)

    assert code == 1 and "--repo-id is required" in said
    assert hub_shell.requests == []


@pytest.mark.parametrize(
    ("path_part", "status", "step"),
    [
        ("/api/", 401, "creating the repository"),
        ("/api/repos/create", 500, "creating the repository"),
        ("/commit/", 403, "uploading the folder"),
    ],
    ids=["token-rejected", "hub-fails", "commit-refused"],
)
def test_hub_errors_name_the_repo_and_status_but_never_the_token(
    published: Path,
    hub_shell: FakeHub,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    path_part: str,
    status: int,
    step: str,
) -> None:
    hub_shell.fail(path_part, status)  # its error messages quote the Authorization header

    code, said = push_to_hub(capsys=capsys, caplog=caplog)

    assert code == 1
    assert f"error: Hub repository {REPO_ID}: {step} failed (HTTP {status} " in said
    assert "Bearer <HF_TOKEN>" in said and TOKEN not in said


# Every request push-to-hub makes, and the ways a Hub (or something posing as one) can fail it;
# each answer quotes the Authorization header.
REQUESTS = {
    "/api/repos/create": "creating the repository",
    "/preupload/": "uploading the folder",
    "/commit/": "uploading the folder",
}
FAULTS = {
    "401-odd-body": (401, '{"unexpected": "{authorization}"}'),
    "500": (500, None),
    "malformed-json": (200, '{"url": "{authorization}"'),
    "connection-dropped": (DROP, None),
}


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("path_part", REQUESTS)
def test_no_failure_of_any_request_ever_shows_the_token(
    published: Path,
    hub_shell: FakeHub,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    path_part: str,
    fault: str,
) -> None:
    hub_shell.fail(path_part, *FAULTS[fault])

    code, said = push_to_hub(capsys=capsys, caplog=caplog)

    assert code == 1
    assert any(path_part in request[1] for request in hub_shell.requests)
    error = [line for line in said.splitlines() if line.startswith("error: ")]
    assert len(error) == 1, said
    assert error[0].startswith(f"error: Hub repository {REPO_ID}: {REQUESTS[path_part]} failed (")
    assert TOKEN not in said
    files = [p for p in published.parent.parent.rglob("*") if p.is_file()]
    assert [p for p in files if TOKEN.encode() in p.read_bytes()] == []


def test_a_malformed_hf_endpoint_is_one_line_naming_it(published: Path, fake_hub: FakeHub) -> None:
    """In a fresh process: huggingface_hub parses HF_ENDPOINT when it is imported."""
    done = subprocess.run(
        [sys.executable, "-m", "arxivist.cli", "push-to-hub"],
        cwd=published.parent.parent,
        env={
            **hub_env(fake_hub),
            "HF_ENDPOINT": "http://[::1",
            "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert (done.returncode, done.stdout, fake_hub.requests) == (1, "", [])
    assert done.stderr == (
        "error: HF_ENDPOINT: 'http://[::1' is not an http(s) URL (Invalid IPv6 URL); unset it to "
        "use the Hugging Face Hub, or set the address of a Hub-compatible server\n"
    )
