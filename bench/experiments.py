"""Queued DVC experiments in a persistent work folder, resumable, read through DVC's API and
arxivist's own readers (docs/benchmarks.md#queued-experiments)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from dvc.repo import Repo

from arxivist.atomic import write_json
from arxivist.evaluation.compare import Revision, Side, load, load_baseline
from arxivist.evaluation.runs import Group, Run, check_recipe, repository
from standins.workspace import BIN, dvc, git, make_workspace, tool_env

OVERRIDES = "overrides.json"  # the params the work folder's workspace was made with
WAITING = ("Queued", "Running")
SHARED_STAGES = ("fetch", "later", "encode", "split", "tokenize", "baselines")


class ExperimentError(RuntimeError):
    """A work folder made with other params, or a queued experiment that failed."""


def work_workspace(folder: Path, overrides: dict[str, Any]) -> Path:
    """`folder`/workspace, made with `overrides` on the first run, reused on the next; refused
    when it was made with other overrides."""
    workspace, recorded = folder / "workspace", folder / OVERRIDES
    if (workspace / ".git").is_dir() and recorded.is_file():
        made_with = json.loads(recorded.read_text(encoding="utf-8"))
        if made_with != json.loads(json.dumps(overrides)):
            raise ExperimentError(
                f"{folder} was made with other params ({made_with}); use another --work folder "
                "or remove this one"
            )
        print(f"reusing {workspace}", flush=True)
        return workspace
    shutil.rmtree(workspace, ignore_errors=True)  # a creation that was cut short
    make_workspace(workspace, overrides)
    write_json(recorded, overrides)
    print(f"made {workspace}", flush=True)
    return workspace


def shared_stages(workspace: Path, stages: Sequence[str] = SHARED_STAGES) -> dict[str, float]:
    """The `stages` reproduced and committed (a no-op once done), so every experiment restores
    them from the cache; seconds of each."""
    seconds = timed_repro(workspace, *stages)
    git(workspace, "add", "-A")
    if git(workspace, "status", "--porcelain").strip():
        git(workspace, "commit", "-q", "-m", "The data stages, the later set and the baselines")
    return seconds


def categories_override(sample: Mapping[str, int]) -> str:
    """The `dvc exp run -S` override of fetch.categories: 'fetch.categories={cs.AI:100,...}'."""
    return "fetch.categories={" + ",".join(f"{code}:{n}" for code, n in sample.items()) + "}"


def seed_sweep(recipes: Mapping[str, Sequence[str]], seeds: Sequence[int]) -> dict[str, list[str]]:
    """Experiment `<recipe>-s<seed>` -> the recipe's `dvc exp run -S` overrides, then train.seed."""
    return {
        f"{name}-s{seed}": [*overrides, f"train.seed={seed}"]
        for name, overrides in recipes.items()
        for seed in seeds
    }


def by_recipe(runs: Sequence[Revision], recipes: Iterable[str]) -> dict[str, list[Revision]]:
    """The runs of `seed_sweep` by recipe, in seed order."""
    return {name: [run for run in runs if run.name.rsplit("-s", 1)[0] == name] for name in recipes}


def finished(workspace: Path) -> dict[str, str]:
    """Saved experiment name -> its commit, as `dvc exp list --all-commits` lists them."""
    with Repo(str(workspace)) as repo:
        listed = repo.experiments.ls(all_commits=True)
    return {name: sha for found in listed.values() for name, sha in found if sha}


def queued(workspace: Path) -> dict[str, str]:
    """Task name -> status (Queued, Running, Success, Failed, ...), read through DVC's API."""
    with Repo(str(workspace)) as repo:
        tasks = repo.experiments.celery_queue.status()
    return {task["name"]: task["status"] for task in tasks if task.get("name")}


def missing(wanted: Sequence[str], done: Mapping[str, str], tasks: Mapping[str, str]) -> list[str]:
    """The wanted experiments that are neither saved nor waiting in the queue (in order)."""
    waiting = {name for name, status in tasks.items() if status in WAITING}
    return [name for name in wanted if name not in done and name not in waiting]


def run_experiments(
    workspace: Path, runs: Mapping[str, Sequence[str]], log: Path
) -> tuple[list[Revision], float]:
    """Each experiment of `runs` (name -> `dvc exp run -S` overrides) finished, and read as
    `arxivist compare` reads them, in order, with the seconds waited: those saved are kept, the
    others queued (a failed earlier try dropped first) and run by `dvc exp run --run-all`."""
    start, done = time.perf_counter(), finished(workspace)
    if not set(runs) <= set(done):
        tasks = queued(workspace)
        for name in missing(list(runs), done, tasks):
            if name in tasks:  # failed or otherwise ended without a saved experiment
                dvc(workspace, "queue", "remove", name, check=False)
            sets = [arg for override in runs[name] for arg in ("-S", override)]
            dvc(workspace, "exp", "run", "--queue", "--name", name, *sets)
            print(f"queued {name}: {' '.join(runs[name]) or 'as committed'}", flush=True)
        run_queue(workspace, log)
        check_finished(workspace, [name for name in runs if name not in finished(workspace)])
    waited = time.perf_counter() - start
    with repository(str(workspace)) as found:
        return [load(str(found.root), found.run(name)) for name in runs], waited


def run_queue(workspace: Path, log: Path) -> None:
    """`dvc exp run --run-all`: DVC's worker runs the queue, its output appended to `log`, and
    returns once every queued experiment has ended. Each imports its own copy of arxivist
    (PYTHONPATH=src), the code DVC hashed, not this checkout's, which may change during a sweep."""
    log.parent.mkdir(parents=True, exist_ok=True)
    print(f"running the queue (log: {log})", flush=True)
    with log.open("a", encoding="utf-8") as out:
        subprocess.run(
            [str(BIN / "dvc"), "exp", "run", "--run-all"],
            cwd=workspace,
            env={**tool_env(), "PYTHONPATH": "src"},
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,  # a failed experiment is named below, with its log
        )


def check_finished(workspace: Path, failed: Sequence[str]) -> None:
    """Fail, with the first one's log tail, when experiments the queue ran were not saved."""
    if failed:
        logs = dvc(workspace, "queue", "logs", failed[0], check=False).stdout
        raise ExperimentError(
            f"queued experiments {', '.join(failed)} failed; {failed[0]}'s log ends:\n"
            f"{logs[-3000:]}"
        )


def recipe(label: str, runs: Sequence[Revision]) -> Side:
    """The runs as one side of `compare_sides`, refused as `arxivist compare` refuses a group
    unless they differ in train.seed only."""
    check_recipe(Group(label, tuple(Run(run.name, run.sha, run.params) for run in runs)))
    return Side(label, tuple(runs))


def baseline(workspace: Path, runs: Sequence[Revision], system: str) -> tuple[Side, bool]:
    """The baseline `system` of the runs as a side of one run (it does not depend on train.seed),
    and whether every run's predictions are identical."""
    found = [load_baseline(str(workspace), run, system) for run in runs]
    first = found[0].sets
    same = all(
        other.sets.keys() == first.keys()
        and all(
            np.array_equal(other.sets[name].probabilities, first[name].probabilities)
            for name in first
        )
        for other in found[1:]
    )
    return Side(system, (found[0],)), same


def timed_repro(workspace: Path, *stages: str) -> dict[str, float]:
    """`dvc repro -s` each stage in turn; seconds of each."""
    seconds = {}
    for stage in stages:
        start = time.perf_counter()
        dvc(workspace, "repro", "-s", stage)
        seconds[stage] = round(time.perf_counter() - start, 1)
        print(f"dvc repro -s {stage}: {seconds[stage]} s", flush=True)
    return seconds
