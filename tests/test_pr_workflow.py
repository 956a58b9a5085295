"""The pull-request workflow for users: actionlint passes it, and the one script it runs pulls,
reproduces, pushes and reports against the base branch, end to end on a local GCS."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from arxivist.metrics import HEADLINE
from standins import localgcs
from standins.gcs import running_gcs
from standins.workspace import (
    BIN,
    ROOT,
    arxivist,
    copy_workspace,
    dvc,
    git,
    reproduced_tiny_workspace,
    tool_env,
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


@pytest.mark.slow
def test_the_script_pulls_reproduces_pushes_and_reports(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, tiny_bert: Path
) -> None:
    origin = copy_workspace(reproduced_tiny_workspace(tmp_path_factory, tiny_bert), tmp_path / "o")
    bucket = localgcs.remote_bucket(origin)
    with running_gcs(tmp_path / "gcs", bucket) as gcs:
        gcs.configure(origin)
        dvc(origin, "push")
        # The pull request: a branch that changes one param, as a user pushes it.
        git(origin, "checkout", "-q", "-b", "lower-lr")
        params = yaml.safe_load((origin / "params.yaml").read_text(encoding="utf-8"))
        params["train"]["learning_rate"] = params["train"]["learning_rate"] / 10
        (origin / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
        git(origin, "commit", "-q", "-am", "Lower the learning rate")
        # CI's checkout: a fresh clone with an empty DVC cache.
        clone = tmp_path / "ci"
        git(tmp_path, "clone", "-q", "-b", "lower-lr", str(origin), str(clone))
        gcs.configure(clone)
        done = subprocess.run(
            [str(clone / SCRIPT), "origin/main", "report.md"],
            cwd=clone,
            env=tool_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert "Running stage 'train'" in done.stdout and "Running stage 'fetch'" not in done.stdout
        assert json.loads(dvc(clone, "status", "--cloud", "--json").stdout) == {}
        # A fresh clone holds no output: compare reads both revisions' predictions from the remote.
        fresh = tmp_path / "fresh"
        git(tmp_path, "clone", "-q", "-b", "main", str(origin), str(fresh))
        gcs.configure(fresh)
        remote = arxivist(fresh, "compare", "HEAD", "--resamples", "200")
        assert remote.returncode == 0, remote.stderr
        assert not (fresh / "reports" / "eval" / "predictions.jsonl").exists()
        same = "+0.000 [+0.000, +0.000]  no evidence"
        sets = ("later set, ", "test set, ")
        assert all(remote.stdout.count(name) == 1 for name in sets), remote.stdout
        assert remote.stdout.count(same) == len(sets) * len(HEADLINE), remote.stdout

    report = (clone / "report.md").read_text(encoding="utf-8")
    assert "## arxivist: this branch against `origin/main`" in report
    assert "| Path" in report and "val_roc_auc" in report  # dvc metrics diff --md
    assert "train.learning_rate" in report  # dvc params diff --md
    # arxivist compare --md, under the metrics and above the params: the branch's workspace (B)
    # against the base (A), a row per evaluation set and headline metric, each with a verdict.
    metrics, compared = report.index("### Metrics"), report.index("`arxivist compare origin/main`")
    assert metrics < compared < report.index("### Params")
    assert "| set | metric | A | B | B - A [95% CI] | verdict |" in report
    rows = [
        line for line in report.splitlines() if re.match(r"\| (later|test) \(\d+ papers\)", line)
    ]
    assert {row.split(" | ")[1] for row in rows} == set(HEADLINE), report
    assert all(re.search(r"\| (B better|B worse|no evidence) \|$", row) for row in rows), rows
    assert "A = `origin/main`" in report and "B = `workspace`" in report
    assert (clone / "dvc_plots" / "index.html").is_file()
