"""One real run: real arXiv abstracts, the packaged MiniLM, every stage under `dvc repro`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from standins.corpus import REAL_SNAPSHOT
from standins.workspace import dvc, make_workspace

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not REAL_SNAPSHOT.exists(), reason=f"{REAL_SNAPSHOT} is not on this machine"
    ),
]

PARAMS = {
    "fetch": {
        "source": "snapshot",
        "snapshot_path": str(REAL_SNAPSHOT),
        "categories": {"cs.AI": 150, "cs.IR": 150, "cs.RO": 60},
    },
    # The training sample's newest paper is from April 2025 (by id): the later set starts after.
    "later": {
        "categories": {"cs.AI": 200, "cs.IR": 200, "cs.RO": 200},
        "submitted_from": "2025-05-01",
        "submitted_to": "2026-06-30",
    },
    "tokenize": {"max_length": 128},
    "train": {"epochs": 1, "early_stopping_patience": 0},
}


def test_minilm_one_epoch_on_real_abstracts_reaches_roc_auc_0_9(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path, PARAMS)
    dvc(workspace, "repro")
    details = json.loads((workspace / "reports/eval/details.json").read_text())
    assert details["later"]["papers"] == 600
    assert details["later"]["model"]["roc_auc_ovr"] >= 0.9, details["later"]
    metrics = details["test"]
    model, baseline = metrics["model"], metrics["tfidf"]
    assert metrics["papers"] == 54  # 15% of 360
    assert model["roc_auc_ovr"] >= 0.9, metrics
    assert model["accuracy"] > 0.5, metrics
    assert baseline["roc_auc_ovr"] > 0.5, metrics
    card = (workspace / "models/published/README.md").read_text()
    assert "base_model: sentence-transformers/all-MiniLM-L6-v2" in card
