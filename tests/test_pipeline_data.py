"""`dvc repro` of the data stages in a fresh git repo, as a user would run it."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from datasets import load_from_disk

from tests.fakes.corpus import snapshot_records, write_snapshot
from tests.fakes.workspace import dvc, make_workspace

CORPUS = {"cs.AI": 30, "cs.IR": 30, "cs.RO": 20, "cs.CV": 5}
WANTED = {"cs.AI": 25, "cs.IR": 25, "cs.RO": 15}
DATA_OUTS = [
    "data/raw/papers.jsonl",
    "data/labeled/papers.parquet",
    "data/labeled/labels.json",
    "data/split/train.parquet",
    "data/split/validation.parquet",
    "data/split/test.parquet",
    "data/tokenized/dataset_dict.json",
]


@pytest.fixture
def workspace(tmp_path: Path, tiny_bert: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    write_snapshot(ws / "corpus.jsonl", snapshot_records(CORPUS))
    params = {
        "fetch": {"source": "snapshot", "snapshot_path": "corpus.jsonl", "categories": WANTED},
        "model": {"checkpoint": str(tiny_bert)},
        "tokenize": {"max_length": 64},
    }
    return make_workspace(ws, params)


@pytest.mark.slow
def test_dvc_repro_data_stages(workspace: Path) -> None:
    first = dvc(workspace, "repro", "tokenize")
    for stage in ("fetch", "encode", "split", "tokenize"):
        assert f"Running stage '{stage}'" in first.stdout
    for out in DATA_OUTS:
        assert (workspace / out).is_file(), out

    raw = [json.loads(line) for line in (workspace / DATA_OUTS[0]).read_text().splitlines()]
    assert len(raw) == sum(WANTED.values())
    assert [r["id"] for r in raw] == sorted(r["id"] for r in raw)
    assert json.loads((workspace / "data/labeled/labels.json").read_text())["cs.IR"] == {
        "id": 1,
        "name": "Information Retrieval",
    }
    sizes = {
        s: len(pd.read_parquet(workspace / f"data/split/{s}.parquet"))
        for s in ("train", "validation", "test")
    }
    assert sum(sizes.values()) == len(raw)
    assert sizes["test"] == 10  # ceil(0.15 * 65)
    tokenized = load_from_disk(str(workspace / "data/tokenized"))
    assert {s: len(tokenized[s]) for s in sizes} == sizes
    assert max(len(ids) for ids in tokenized["train"]["input_ids"]) <= 64

    second = dvc(workspace, "repro", "tokenize")
    assert "Running stage" not in second.stdout
    assert "Data and pipelines are up to date" in second.stdout
    assert dvc(workspace, "status", "--json").stdout.strip() == "{}"


@pytest.mark.slow
def test_bad_params_fail_before_work_and_leave_nothing(workspace: Path) -> None:
    params = (workspace / "params.yaml").read_text()
    (workspace / "params.yaml").write_text(params.replace("test_size: 0.15", "test_size: 1.5"))
    failed = dvc(workspace, "repro", "fetch", check=False)
    assert failed.returncode != 0
    assert "split.test_size" in failed.stderr + failed.stdout
    assert not (workspace / "data/raw/papers.jsonl").exists()
    assert not list((workspace / "data").rglob("*.tmp")) if (workspace / "data").exists() else True
