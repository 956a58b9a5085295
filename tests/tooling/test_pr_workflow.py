"""The pull-request workflow for users: actionlint passes it, and the one script it runs pulls,
reproduces, pushes and reports against the base branch, end to end on a local GCS."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from arxivist.evaluation.metrics import HEADLINE
from standins import localgcs
from standins.gcs import running_gcs
from standins.workspace import (
    BIN,
    ROOT,
    arxivist,
    bare_origin,
    copy_workspace,
    dvc,
    git,
    reproduced_tiny_workspace,
    tool_env,
)
from tests.pipeline.test_experiments import (
    QUEUE_TIMEOUT_S,
    start_queue,
    stop_workers,
    wait_for_queue,
)

WORKFLOW = ROOT / ".github" / "workflows" / "pr-experiment.yml"
SCRIPT = "ci/pr_experiment.sh"


def test_actionlint_passes_the_workflow() -> None:
    done = subprocess.run(
        [str(BIN / "actionlint"), str(WORKFLOW)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_workflow_runs_the_script_and_never_prints_the_key() -> None:
    steps = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["experiment"]["steps"]
    runs = [step["run"] for step in steps if "run" in step]
    assert f"{SCRIPT} origin/main report.md" in runs
    assert "make venv" in runs
    auth = next(step for step in steps if "google-github-actions/auth" in step.get("uses", ""))
    assert auth["with"]["credentials_json"] == "${{ secrets.GCP_SA_KEY }}"
    assert not any("GCP_SA_KEY" in run for run in runs), "the key is never echoed by a step"


def run_script(clone: Path) -> str:
    """ci/pr_experiment.sh in CI's checkout `clone`: its report."""
    done = subprocess.run(
        [str(clone / SCRIPT), "origin/main", "report.md"],
        cwd=clone,
        env=tool_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout + (clone / "report.md").read_text(encoding="utf-8")


def seed_runs(author: Path, branches: tuple[str, ...], seed: int) -> None:
    """What an author does for a verdict on recipes: each branch's recipe run again at another
    train.seed (queued from each branch's commit, two at a time), and the runs pushed (`dvc exp
    push origin`: their refs, their outputs to the remote)."""
    names = [f"{branch}-s{seed}" for branch in branches]
    for branch, name in zip(branches, names, strict=True):
        git(author, "checkout", "-q", "-f", branch)
        dvc(author, "exp", "run", "--queue", "-n", name, "-S", f"train.seed={seed}")
    try:
        start_queue(author, author.parent / "queue.log", workers=len(names))
        statuses = {name: wait_for_queue(author, name, QUEUE_TIMEOUT_S) for name in names}
    finally:
        stop_workers(author)
    assert statuses == dict.fromkeys(names, "Success"), statuses
    dvc(author, "exp", "push", "origin", *names)


@pytest.mark.slow
def test_the_script_pulls_reproduces_pushes_and_reports(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, tiny_bert: Path
) -> None:
    author = copy_workspace(reproduced_tiny_workspace(tmp_path_factory, tiny_bert), tmp_path / "a")
    hub = bare_origin(author, tmp_path / "hub.git")  # the team's GitHub
    bucket = localgcs.remote_bucket(author)
    with running_gcs(tmp_path / "gcs", bucket) as gcs:
        gcs.configure(author)
        dvc(author, "push")
        git(author, "push", "-q", "origin", "main")
        # The pull request: a branch that changes one param, as a user pushes it.
        git(author, "checkout", "-q", "-b", "lower-lr")
        params = yaml.safe_load((author / "params.yaml").read_text(encoding="utf-8"))
        params["train"]["learning_rate"] = params["train"]["learning_rate"] / 10
        (author / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
        git(author, "commit", "-q", "-am", "Lower the learning rate")
        git(author, "push", "-q", "origin", "lower-lr")
        # CI's checkout: a fresh clone with an empty DVC cache.
        clone = tmp_path / "ci"
        git(tmp_path, "clone", "-q", "-b", "lower-lr", str(hub), str(clone))
        gcs.configure(clone)
        log = run_script(clone)
        assert "Running stage 'train'" in log and "Running stage 'fetch'" not in log
        assert json.loads(dvc(clone, "status", "--cloud", "--json").stdout) == {}
        models = (clone / "report.md").read_text(encoding="utf-8")
        # A fresh clone holds no output: compare reads both revisions' predictions from the remote.
        fresh = tmp_path / "fresh"
        git(tmp_path, "clone", "-q", "-b", "main", str(hub), str(fresh))
        gcs.configure(fresh)
        remote = arxivist(fresh, "compare", "HEAD", "--resamples", "200")
        assert remote.returncode == 0, remote.stderr
        assert not (fresh / "reports" / "eval" / "predictions.jsonl").exists()
        same = "+0.000 [+0.000, +0.000]  no evidence"
        sets = ("later set, ", "test set, ", "validation set, ")
        assert all(remote.stdout.count(name) == 1 for name in sets), remote.stdout
        assert remote.stdout.count(same) == len(sets) * len(HEADLINE), remote.stdout
        # The author adds a run at another seed on each side: the report compares recipes.
        seed_runs(author, ("main", "lower-lr"), seed=43)
        run_script(clone)
        recipes = (clone / "report.md").read_text(encoding="utf-8")

    assert "## arxivist: this branch against `origin/main`" in models
    assert "| Path" in models and "val_roc_auc" in models  # dvc metrics diff --md
    assert "train.learning_rate" in models  # dvc params diff --md
    # arxivist compare --md, under the metrics and above the params: the branch's workspace (B)
    # against the base (A), a row per evaluation set and headline metric, each with a verdict.
    metrics, compared = models.index("### Metrics"), models.index("`arxivist compare --seeds")
    assert metrics < compared < models.index("### Params")
    assert "| set | metric | A | B | B - A [95% CI] | verdict |" in models
    rows = [line for line in models.splitlines() if re.match(r"\| \w+ \(\d+ papers\)", line)]
    assert {row.split(" | ")[1] for row in rows} == set(HEADLINE), models
    assert {row.split(" (")[0] for row in rows} == {"| later", "| test", "| validation"}
    assert all(re.search(r"\| (B better|B worse|no evidence) \|$", row) for row in rows), rows
    assert "A = `origin/main`" in models and "B = `workspace`" in models
    assert "Note: a verdict on these two models, one training run each" in models
    assert "Note: no seed spread measured" in models
    assert (clone / "dvc_plots" / "index.html").is_file()

    # With a run at another seed on each side: a verdict on the recipes, two runs a side.
    header = "| set | metric | A mean ± SD | B mean ± SD | B - A [95% CI] | P(B>A) | verdict |"
    assert header in recipes
    assert "A = `origin/main` (2 runs, train.seed 42, 43: `origin/main`, `main-s43`)" in recipes
    assert "B = `workspace` (2 runs, train.seed 42, 43: `workspace`, `lower-lr-s43`)" in recipes
    assert "a verdict on the recipes (these params, any train.seed)" in recipes
    assert "two models" not in recipes
