"""A throwaway copy of this repository as its own git + DVC repo, and a way to run dvc in it."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from arxivist.evaluation.sets import SETS

if TYPE_CHECKING:
    import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def project_files() -> list[str]:
    """The files git would carry: tracked plus untracked-but-not-ignored (works before a commit)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def make_workspace(dest: Path, params: dict[str, Any] | None = None) -> Path:
    """Copy the project to `dest`, apply `params` over params.yaml, and commit it all."""
    for name in project_files():
        # Outputs and the lock of any run here (`make demo` leaves them): a workspace starts unrun.
        # Nor the development code (tests, benchmarks, tools, these stand-ins): no stage imports it.
        if name == "dvc.lock" or name.startswith(
            ("data/", "models/", "reports/", "tests/", "bench/", "tools/", "standins/")
        ):
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    if params:
        current = yaml.safe_load((dest / "params.yaml").read_text())
        merged = deep_merge(current, params)  # in order: the order of `labels` gives the ids
        (dest / "params.yaml").write_text(yaml.safe_dump(merged, sort_keys=False))
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "workspace")
    return dest


def deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """`base` with `update` merged in; mappings merge, except a category set (`categories`,
    `labels`), and everything else replaces."""
    merged = dict(base)
    for key, value in update.items():
        if (
            isinstance(value, dict)
            and isinstance(merged.get(key), dict)
            and key not in ("categories", "labels")
        ):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def interruptible() -> None:
    """A Popen preexec_fn: Ctrl-C (SIGINT) as in a terminal. A process started in the background
    by a non-interactive shell (`cmd &`, nohup) ignores SIGINT, and its children inherit that, so
    a test that sends SIGINT must restore the default first."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def tool_env() -> dict[str, str]:
    """This interpreter's bin first on PATH (stages run as `python -m ...`), offline settings."""
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout


def dvc(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the venv's dvc in `cwd`; on failure the assertion shows its output."""
    done = subprocess.run(
        [str(BIN / "dvc"), *args], cwd=cwd, env=tool_env(), capture_output=True, text=True
    )
    if check:
        assert done.returncode == 0, f"dvc {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


# Small enough for seconds of CPU, big enough that every split holds every label.
TINY_CORPUS = {"cs.AI": 30, "cs.IR": 30, "cs.RO": 20, "cs.CV": 5}
# The corpus's papers are from January 2024; LATER_PER_CATEGORY more of each of its categories
# from February 2025 (LATER_MONTH) make the later set, of which the tiny params ask for 5.
LATER_MONTH = "2502"
LATER_PER_CATEGORY = 6
TINY_PARAMS = {
    "fetch": {
        "source": "snapshot",
        "snapshot_path": "corpus.jsonl",
        "categories": {"cs.AI": 25, "cs.IR": 25, "cs.RO": 15},
    },
    "later": {
        "categories": {"cs.AI": 5, "cs.IR": 5, "cs.RO": 5},
        "submitted_from": "2025-01-01",
        "submitted_to": "2025-12-31",
    },
    "tokenize": {"max_length": 64},
    # The tiny BERT has two layers: freeze one, as the default freezes three of MiniLM's six.
    "train": {"epochs": 2, "learning_rate": 5e-3, "early_stopping_patience": 0, "frozen_layers": 1},
}


# What train and evaluate write outside the DVC cache (cache: false) in the tiny workspace:
# one list for every test that reads the report files a `dvc repro` leaves.
REPORT_FILES = (
    "reports/train/metrics.json",
    "reports/train/details.json",
    "reports/eval/details.json",
    *(
        f"reports/train/plots/metrics/{name}.tsv"
        for name in (
            "train_loss",
            "val_loss",
            "val_roc_auc",
            "val_macro_f1",
            "train_papers",
            "val_papers",
        )
    ),
    *(f"reports/eval/later/{system}.json" for system in ("model", "encoder", "tfidf")),
    *(f"reports/eval/plots/{name}/{plot}.json" for name in SETS for plot in ("confusion", "roc")),
    "reports/eval/plots/later/systems.json",
    "reports/eval/plots/later/differences.json",
)


def tiny_pipeline_workspace(
    dest: Path,
    checkpoint: Path,
    corpus: dict[str, int] = TINY_CORPUS,
    params: dict[str, Any] | None = None,
) -> Path:
    """A committed workspace whose pipeline runs in seconds: a small snapshot (papers per
    category, and LATER_PER_CATEGORY later ones of each category) and a tiny BERT; `params` go
    over TINY_PARAMS."""
    from standins.corpus import snapshot_records, write_snapshot

    later = snapshot_records(dict.fromkeys(corpus, LATER_PER_CATEGORY), month=LATER_MONTH)
    write_snapshot(dest / "corpus.jsonl", snapshot_records(corpus) + later)
    from standins.tiny_bert import model_params

    tiny = deep_merge(TINY_PARAMS, params or {})
    return make_workspace(dest, deep_merge(tiny, {"model": model_params(checkpoint)}))


def arxivist(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the venv's `arxivist` command in `cwd` (not checked: callers assert on the exit code)."""
    return subprocess.run(
        [str(BIN / "arxivist"), *args], cwd=cwd, env=tool_env(), capture_output=True, text=True
    )


# One reproduced tiny workspace per test session (keyed by pytest's base temp dir and checkpoint).
_REPRODUCED: dict[tuple[Path, Path], Path] = {}


def reproduced_tiny_workspace(tmp_path_factory: pytest.TempPathFactory, checkpoint: Path) -> Path:
    """A tiny pipeline workspace after `dvc repro`, its results committed (dvc.lock, DVC's
    .gitignore files, the `cache: false` reports), as a user commits a run.

    Built once per test session (about a minute) and shared: treat it as read-only and work on a
    `copy_workspace()` of it.
    """
    key = (Path(tmp_path_factory.getbasetemp()), Path(checkpoint))
    if key not in _REPRODUCED:
        workspace = tiny_pipeline_workspace(tmp_path_factory.mktemp("reproduced"), checkpoint)
        dvc(workspace, "repro")
        git(workspace, "add", "-A")
        git(workspace, "commit", "-q", "-m", "Run the pipeline")
        _REPRODUCED[key] = workspace
    return _REPRODUCED[key]


def copy_workspace(source: Path, dest: Path) -> Path:
    """A complete, independent copy of a workspace: git history, DVC cache and config, outputs."""
    return Path(shutil.copytree(source, dest, symlinks=True))


def file_hashes(root: Path, *folders: str) -> dict[str, str]:
    """sha256 of every file under `folders` of `root`, by path relative to `root`."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for folder in folders
        for path in sorted((root / folder).rglob("*"))
        if path.is_file()
    }


def bare_origin(workspace: Path, origin: Path) -> Path:
    """A bare git repo at `origin`, added as the workspace's remote `origin` (the team's GitHub)."""
    git(origin.parent, "init", "-q", "--bare", "-b", "main", str(origin))
    git(workspace, "remote", "add", "origin", str(origin))
    return origin
