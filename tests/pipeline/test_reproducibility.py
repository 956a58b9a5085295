"""Same code, params and inputs, same bytes: the whole pipeline run twice from scratch, on CPU,
in two fresh workspaces at different paths (no shared cache, no run-cache to restore from).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from standins.workspace import REPORT_FILES, dvc, reproduced_tiny_workspace, tiny_pipeline_workspace

pytestmark = pytest.mark.slow

DATA_STAGES = ("fetch", "later", "encode", "split", "tokenize", "baselines")
MODEL_STAGES = ("train", "evaluate")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, tiny_bert: Path) -> tuple[Path, Path]:
    """The session's reproduced workspace, and a second one reproduced from scratch here."""
    first = reproduced_tiny_workspace(tmp_path_factory, tiny_bert)
    second = tiny_pipeline_workspace(tmp_path_factory.mktemp("reproduced-again"), tiny_bert)
    dvc(second, "repro")
    return first, second


def locked_outs(workspace: Path, stage: str) -> dict[str, str]:
    """A stage's outputs in dvc.lock: path -> md5 (".dir" for a directory)."""
    lock = yaml.safe_load((workspace / "dvc.lock").read_text())
    return {out["path"]: out["md5"] for out in lock["stages"][stage]["outs"]}


@pytest.mark.parametrize("stage", DATA_STAGES)
def test_a_data_stage_gives_identical_outputs(runs: tuple[Path, Path], stage: str) -> None:
    first, second = (locked_outs(workspace, stage) for workspace in runs)
    assert first, f"{stage} has no outputs in dvc.lock"
    assert first == second, f"{stage}: outputs differ between two runs from scratch"


@pytest.mark.parametrize("stage", MODEL_STAGES)
def test_training_and_evaluation_give_identical_outputs(
    runs: tuple[Path, Path], stage: str
) -> None:
    """On CPU with the same seed: the same weights (models/model), the same predictions."""
    first, second = (locked_outs(workspace, stage) for workspace in runs)
    assert first == second, f"{stage}: outputs differ between two runs with the same seed"


@pytest.mark.parametrize("name", REPORT_FILES)
def test_metrics_and_curves_are_identical_bytes(runs: tuple[Path, Path], name: str) -> None:
    first, second = ((workspace / name).read_bytes() for workspace in runs)
    assert first == second, f"{name} differs between two runs with the same seed"


def test_the_published_folder_is_the_same_bytes_in_both_repositories(
    runs: tuple[Path, Path],
) -> None:
    """The two repositories have different commits (different commit times); the publish stage
    reads no git state, so the published folder, model card included, is byte for byte the same."""
    first, second = (
        {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
        for folder in (workspace / "models/published" for workspace in runs)
    )
    assert sorted(first) == sorted(second)
    assert sorted(name for name in first if first[name] != second[name]) == []
