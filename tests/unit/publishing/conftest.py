"""Fixtures of the publishing tests: a workdir publish reads, its published folder, a Hub shell."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from standins.hub import FakeHub
from standins.tiny_bert import LABELS
from tests.unit.publishing.workdirs import (
    COUNTS,
    EVAL_METRICS,
    FETCH_REPORT,
    TOKEN,
    run_publish,
    write_evaluation,
    write_later,
    write_params,
)


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
    write_later(tmp_path / "data" / "later" / "papers.jsonl")
    write_params(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    return tmp_path


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
