"""An experiment run on another machine and brought back, through git and the GCS remote only.

Here: the reproduced tiny pipeline, pushed to a local GCS (`dvc push`) and to a bare repository
standing in for the team's git host (`git push`). There: a `git clone` of that repository with an
empty cache, pointed at the same GCS, runs `dvc exp run --pull -S train.learning_rate=...` (the
unchanged stages' outputs pulled, train and after run) and `dvc exp push origin <name>` (the git
ref, and the experiment's outputs to the DVC remote). Back here: `dvc exp pull origin <name>`,
then `dvc exp show`, `dvc metrics diff` and `dvc exp apply` see that run, byte for byte.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from standins import localgcs
from standins.gcs import FakeGCS, running_gcs
from standins.workspace import (
    bare_origin,
    copy_workspace,
    dvc,
    file_hashes,
    git,
    reproduced_tiny_workspace,
)
from tests.pipeline.test_experiments import experiments

pytestmark = pytest.mark.slow

NAME = "lr-1e-3"
LEARNING_RATE = 0.001  # the tiny workspace trains at 5e-3
OUTPUTS = ("data", "models", "reports")


@dataclass(frozen=True)
class Shared:
    gcs: FakeGCS
    origin: Path  # the bare git repository both machines push to
    here: Path  # ran the baseline; after `dvc exp pull`
    there: Path  # the other machine, after `dvc exp run --pull` and `dvc exp push`
    produced: dict[str, str]  # sha256 of every output file there, after the experiment
    run_log: str
    push_log: str


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, tiny_bert: Path) -> Iterator[Shared]:
    root = tmp_path_factory.mktemp("remote-experiments")
    here = copy_workspace(reproduced_tiny_workspace(tmp_path_factory, tiny_bert), root / "here")
    origin = bare_origin(here, root / "arxivist.git")
    with running_gcs(root / "gcs", localgcs.remote_bucket(here)) as gcs:
        gcs.configure(here)
        dvc(here, "push")
        git(here, "push", "-q", "origin", "main")

        there = root / "there"
        git(root, "clone", "-q", str(origin), str(there))
        gcs.configure(there)
        run = dvc(
            there, "exp", "run", "--pull", "-n", NAME, "-S", f"train.learning_rate={LEARNING_RATE}"
        )
        push = dvc(there, "exp", "push", "origin", NAME)

        dvc(here, "exp", "pull", "origin", NAME)
        yield Shared(
            gcs,
            origin,
            here,
            there,
            file_hashes(there, *OUTPUTS),
            run.stdout + run.stderr,
            push.stdout + push.stderr,
        )


def test_there_the_unchanged_stages_were_pulled_and_train_ran(shared: Shared) -> None:
    log = shared.run_log
    for stage in ("fetch", "encode", "split", "tokenize"):
        assert f"Pulling data for stage: '{stage}'" in log, log[-3000:]
        assert f"Running stage '{stage}'" not in log, log[-3000:]
    for stage in ("train", "evaluate", "publish"):
        assert f"Running stage '{stage}'" in log, log[-3000:]


def test_exp_push_sent_the_ref_to_git_and_the_outputs_to_the_remote(shared: Shared) -> None:
    assert f"Pushed experiment {NAME} to Git remote 'origin'" in shared.push_log, shared.push_log
    refs = git(shared.there, "ls-remote", "origin", "refs/exps/*").split()
    assert any(ref.endswith(f"/{NAME}") for ref in refs), refs
    # The experiment's new weights, an object that only the other machine had.
    digest = hashlib.md5((shared.there / "models/model/model.safetensors").read_bytes()).hexdigest()
    assert f"dvcstore/files/md5/{digest[:2]}/{digest[2:]}" in shared.gcs.objects("dvcstore/")


def test_exp_show_here_lists_the_run_with_its_param_and_metrics(shared: Shared) -> None:
    found = experiments(json.loads(dvc(shared.here, "exp", "show", "--json").stdout))
    assert set(found) == {NAME}, sorted(found)
    data = found[NAME]
    params = data["params"]["params.yaml"]["data"]
    assert params["train"]["learning_rate"] == LEARNING_RATE
    train = data["metrics"]["reports/train/metrics.json"]["data"]
    made = json.loads((shared.there / "reports/train/metrics.json").read_text())
    assert train == made


def test_metrics_diff_here_shows_what_the_run_changed(shared: Shared) -> None:
    diff = json.loads(dvc(shared.here, "metrics", "diff", "main", NAME, "--json").stdout)
    base = json.loads((shared.here / "reports/train/metrics.json").read_text())
    made = json.loads((shared.there / "reports/train/metrics.json").read_text())
    changed = {key for key in base if base[key] != made.get(key)}
    assert changed, "the learning rate changed no training metric"
    shown = diff.get("reports/train/metrics.json", {})
    assert set(shown) == changed, diff
    for key in changed:
        assert (shown[key]["old"], shown[key]["new"]) == (base[key], made[key]), key


def test_exp_apply_here_restores_the_runs_bytes_from_the_remote(
    shared: Shared, tmp_path: Path
) -> None:
    workspace = copy_workspace(shared.here, tmp_path / "here")
    before = file_hashes(workspace, *OUTPUTS)
    assert before != shared.produced, "the experiment changed no output"
    dvc(workspace, "exp", "apply", NAME)
    assert file_hashes(workspace, *OUTPUTS) == shared.produced


def test_a_fresh_clone_gets_the_whole_run_from_exp_pull(shared: Shared, tmp_path: Path) -> None:
    """A third machine with an empty cache: `dvc exp pull` fetches every output the experiment
    uses (not only what it changed), so `dvc exp apply` needs no `dvc pull`."""
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(shared.origin), str(clone))
    shared.gcs.configure(clone)
    dvc(clone, "exp", "pull", "origin", NAME)
    dvc(clone, "exp", "apply", NAME)
    assert file_hashes(clone, *OUTPUTS) == shared.produced
