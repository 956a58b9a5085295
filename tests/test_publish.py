"""The publish stage: models/published loads offline in pipeline(), its card carries the metrics,
and the upload goes to publish.repo_id on a local Hub-compatible server only when asked for.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest
import yaml
from huggingface_hub import ModelCard

from arxivist.cards import CardError, check_eval_metrics
from arxivist.publishing import PublishError, check_model, git_revision
from stages.publish import publish
from tests.fakes.tiny_bert import LABELS
from tests.fakes.workspace import ROOT, git

TOKEN = "hf_TestTokenThatMustNeverBeWritten0123"
REPO_ID = "someone/arxiv-topics"
# papers per split and category code
COUNTS = {
    "train": {"cs.AI": 4, "cs.IR": 4, "cs.RO": 2},
    "validation": {"cs.AI": 2, "cs.IR": 2, "cs.RO": 1},
    "test": {"cs.AI": 3, "cs.IR": 2, "cs.RO": 1},
}
ARGS = (
    "models/model",
    "reports/eval/metrics.json",
    "reports/train/metrics.json",
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


EVAL_METRICS = {"model": scores(0.9321), "baseline": scores(0.8123), "n_test": 6}


def write_params(workdir: Path, **sections: dict) -> None:
    params = {
        "fetch": {"submitted_from": "2024-01-01", "submitted_to": "2024-12-31"},
        "train": {"learning_rate": 1e-4},
        "publish": {"repo_id": REPO_ID, "push_to_hub": False, "license": "mit"},
    }
    for name, values in sections.items():
        params[name] = {**params.get(name, {}), **values}
    (workdir / "params.yaml").write_text(yaml.safe_dump(params))


@pytest.fixture
def workdir(tmp_path: Path, tiny_classifier: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with everything publish reads, as the earlier stages leave it."""
    shutil.copytree(tiny_classifier, tmp_path / "models" / "model")
    for name, metrics in {
        "eval": EVAL_METRICS,
        "train": {
            "step": 2,
            "train_loss": 0.41,
            "val_loss": 0.38,
            "val_roc_auc": 0.95,
            "compute": {"device": "cpu", "precision": "bf16", "hardware": "Xeon (AVX512, AMX)"},
        },
    }.items():
        (tmp_path / "reports" / name).mkdir(parents=True)
        (tmp_path / "reports" / name / "metrics.json").write_text(json.dumps(metrics))
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
    measured = {(r.metric_type, r.metric_config): r.metric_value for r in meta.eval_results}
    assert measured == {
        ("roc_auc", "ovr"): 0.9821,
        ("f1", "macro"): 0.9321,
        ("accuracy", None): 0.9421,
    }
    assert {r.dataset_split for r in meta.eval_results} == {"test"}


def test_card_body_states_data_training_results_limits_and_reproduction(workdir: Path) -> None:
    text = (run_publish(workdir) / "README.md").read_text()

    assert "| Robotics (`cs.RO`) | 2 | 1 | 1 | 4 |" in text
    assert "| **all** | 10 | 5 | 6 | 21 |" in text
    assert "Publication dates: 2024-03-04 to 2024-03-23." in text
    assert "cat:cs.RO AND submittedDate:[202401010000 TO 202412312359]" in text
    assert "| learning rate | 0.0001 |" in text and "| val_roc_auc | 0.9500 |" in text
    assert "| precision | auto |" in text and "| trained on | Xeon (AVX512, AMX), bf16 |" in text
    assert "| ROC-AUC (one-vs-rest) | 0.9821 | 0.8623 |" in text
    assert "| F1 Information Retrieval (`cs.IR`) | 0.9121 | 0.7923 |" in text
    assert "the smallest, Robotics (`cs.RO`),\n  has 4 of 21 papers" in text
    assert "trained on papers submitted from 2024-01-01 to 2024-12-31" in text
    assert "English" in text
    assert "this commit (the card was written outside a git checkout)" in text
    assert "```bash\ndvc pull" in text


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


def test_card_reproduction_names_the_git_commit(workdir: Path) -> None:
    git(workdir, "init", "-q")
    git(workdir, "add", "params.yaml")
    git(workdir, "commit", "-q", "-m", "params")
    head = git(workdir, "rev-parse", "HEAD").strip()

    clean = (run_publish(workdir) / "README.md").read_text()
    write_params(workdir, publish={"license": "apache-2.0"})
    dirty = (run_publish(workdir) / "README.md").read_text()

    assert f"git checkout {head}\n" in clean and "uncommitted" not in clean
    assert f"git checkout {head}\n" in dirty and "records this run's dvc.lock" in dirty
    assert git_revision(workdir.parent) is None


def test_skipped_upload_says_why(workdir: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="arxivist.publishing"):
        run_publish(workdir)

    assert "upload skipped: publish.push_to_hub is false" in caplog.text


def test_push_without_token_fails_before_writing(workdir: Path) -> None:
    write_params(workdir, publish={"push_to_hub": True})

    with pytest.raises(PublishError, match="push_to_hub is true but HF_TOKEN is not set"):
        run_publish(workdir)
    assert not (workdir / "models" / "published").exists()


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
        ({"n_test": None}, "missing integer n_test"),
        ({"baseline": {"roc_auc_ovr": 0.5}}, "missing number baseline.macro_f1"),
        ({"model": {**scores(0.9), "per_class": {}}}, r"model.per_class.cs.AI needs"),
    ],
)
def test_incomplete_eval_metrics_name_the_key(broken: dict, message: str) -> None:
    with pytest.raises(CardError, match=f"eval.json: {message}"):
        check_eval_metrics({**EVAL_METRICS, **broken}, LABELS, "eval.json")


@dataclass
class FakeHub:
    """A local stand-in for the Hub's HTTP API: records requests, accepts repos and commits."""

    url: str = ""
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)

    def committed_files(self) -> dict[str, bytes]:
        files = {}
        for method, path, _, body in self.requests:
            if method == "POST" and "/commit/" in path:
                for line in body.decode().splitlines():
                    entry = json.loads(line)
                    if entry["key"] == "file":
                        files[entry["value"]["path"]] = base64.b64decode(entry["value"]["content"])
        return files


@pytest.fixture
def fake_hub() -> Iterator[FakeHub]:
    hub = FakeHub()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            hub.requests.append((self.command, self.path, headers, body))
            if self.path == "/api/repos/create":
                name = json.loads(body)
                answer = {"url": f"{hub.url}/{name['organization']}/{name['name']}"}
            elif "/preupload/" in self.path:
                files = json.loads(body)["files"]
                answer = {
                    "files": [
                        {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                        for f in files
                    ]
                }
            elif "/commit/" in self.path:
                answer = {
                    "commitUrl": f"{hub.url}/{REPO_ID}/commit/{'a' * 40}",
                    "commitOid": "a" * 40,
                }
            else:
                answer = {}
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hub.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield hub
    server.shutdown()
    server.server_close()


def test_upload_sends_the_folder_to_repo_id_with_the_token(
    workdir: Path, fake_hub: FakeHub
) -> None:
    write_params(workdir, publish={"push_to_hub": True})
    env = {
        **os.environ,
        "HF_TOKEN": TOKEN,
        "HF_ENDPOINT": fake_hub.url,
        "HF_HUB_OFFLINE": "0",
        "PYTHONPATH": str(ROOT),
    }

    done = subprocess.run(
        [sys.executable, "-m", "stages.publish", *ARGS],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    created = [r for r in fake_hub.requests if r[1] == "/api/repos/create"]
    assert json.loads(created[0][3]) == {"name": "arxiv-topics", "organization": "someone"}
    posts = [r for r in fake_hub.requests if r[0] == "POST"]
    assert {r[2]["authorization"] for r in posts} == {f"Bearer {TOKEN}"}
    assert any(r[1] == f"/api/models/{REPO_ID}/commit/main" for r in posts)
    published = workdir / "models" / "published"
    assert fake_hub.committed_files() == {p.name: p.read_bytes() for p in published.iterdir()}
    assert "uploaded" in done.stderr
    leaks = [p for p in workdir.rglob("*") if p.is_file() and TOKEN.encode() in p.read_bytes()]
    assert leaks == [] and TOKEN not in done.stdout + done.stderr
