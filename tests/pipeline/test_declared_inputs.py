"""DVC reruns exactly what an input change touches: each seed has one job, the fetch stage
ignores how politely it fetches, and a snapshot replaced in place is seen.

Each test edits a copy of one reproduced tiny workspace and asks `dvc status` which stages DVC
would rerun; the import-closure half of "declared = read" is tests/tooling/test_dvc_yaml.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from standins.workspace import copy_workspace, deep_merge, dvc, reproduced_tiny_workspace

pytestmark = pytest.mark.slow

# `dvc status` names the stages whose own inputs changed (their outputs' consumers follow on repro);
# publish declares the params its model card states.


@pytest.fixture
def workspace(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, tiny_bert: Path) -> Path:
    return copy_workspace(reproduced_tiny_workspace(tmp_path_factory, tiny_bert), tmp_path / "ws")


def stale_after(workspace: Path, change: dict[str, Any]) -> set[str]:
    """The stages `dvc status` reports after `change` is merged into params.yaml."""
    params = yaml.safe_load((workspace / "params.yaml").read_text(encoding="utf-8"))
    merged = yaml.safe_dump(deep_merge(params, change))
    (workspace / "params.yaml").write_text(merged, encoding="utf-8")
    return set(json.loads(dvc(workspace, "status", "--json").stdout))


def test_the_training_seed_keeps_the_split_and_the_test_set(workspace: Path) -> None:
    assert stale_after(workspace, {"train": {"seed": 7}}) == {"train", "publish"}


def test_the_split_seed_reruns_the_split_and_what_follows(workspace: Path) -> None:
    assert stale_after(workspace, {"split": {"seed": 7}}) == {"split", "publish"}


def test_fetch_pacing_and_retries_do_not_refetch(workspace: Path) -> None:
    polite = {"page_size": 100, "delay_seconds": 9.0, "timeout_seconds": 5, "retries": 1}
    assert stale_after(workspace, {"fetch": {**polite, "allow_short": True}}) == set()


def test_the_later_set_refetches_only_itself(workspace: Path) -> None:
    """Nothing downstream reads data/later yet: later.* reruns the later stage alone."""
    assert stale_after(workspace, {"later": {"allow_short": True}}) == {"later"}
    assert stale_after(workspace, {"later": {"submitted_to": "2025-06-30"}}) == {"later"}
    log = dvc(workspace, "repro").stdout
    assert [line for line in log.splitlines() if line.startswith("Running stage")] == [
        "Running stage 'later':"
    ], log


def test_a_snapshot_replaced_in_place_reruns_fetch(workspace: Path) -> None:
    snapshot = workspace / "corpus.jsonl"
    lines = snapshot.read_text(encoding="utf-8").splitlines(keepends=True)
    snapshot.write_text("".join(reversed(lines)), encoding="utf-8")  # same papers, new bytes
    status = json.loads(dvc(workspace, "status", "--json").stdout)
    assert set(status) == {"fetch", "later"}, status  # later reads the snapshot too
    assert "Running stage 'fetch'" in dvc(workspace, "repro").stdout
