"""Queued DVC experiments in a persistent work folder, resumable, and what each one reported.

A benchmark that runs several experiments (`bench.noise_floor`, `bench.learning_curve`) keeps a
workspace in a work folder (git-ignored, under bench/results/work/) that survives the run: a rerun
with the same params reuses it, its finished experiments and its queue, and queues only the
experiments that are neither finished nor waiting. Experiments run through `dvc exp run --queue`
and `dvc queue start` (one worker: one experiment at a time), each in DVC's temporary copy of the
workspace, so a stage that an experiment does not change is restored from the cache.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from dvc.api import read as read_versioned

from arxivist.atomic import write_json
from standins.workspace import BIN, dvc, git, make_workspace, tool_env

OVERRIDES = "overrides.json"  # the params the work folder's workspace was made with
STATUS_LINE = re.compile(r"^\S+\s+(?P<name>\S+)\s+.*\s(?P<status>\w+)\s*$")
WORKERS = re.compile(r"Worker status: (?P<active>\d+) active")
POLL_S = 10.0  # seconds between looks at the experiments' git refs (cheap)
STATUS_EVERY_S = 120.0  # seconds between `dvc queue status` calls (seconds of CPU each)


class ExperimentError(RuntimeError):
    """A work folder made with other params, or a queued experiment that failed."""


@dataclass(frozen=True)
class Predictions:
    """One evaluation set's per-paper predictions of an experiment, in its record order."""

    ids: list[str]
    labels: np.ndarray  # label ids, in the order of `codes`
    probabilities: np.ndarray  # (papers, classes)


@dataclass(frozen=True)
class Experiment:
    """A finished experiment: its name, commit, evaluate report and per-paper predictions."""

    name: str
    commit: str
    details: dict[str, Any]  # reports/eval/details.json
    predictions: dict[str, Predictions]  # evaluation set ("later", "test") -> predictions


def work_workspace(folder: Path, overrides: dict[str, Any]) -> Path:
    """`folder`/workspace: made (params.yaml as committed, then `overrides`) and committed on the
    first run, reused as it is on the next; refused when it was made with other overrides."""
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


def commit_all(workspace: Path, message: str) -> None:
    """Commit whatever changed in the workspace (dvc.lock, DVC's .gitignore files, reports)."""
    git(workspace, "add", "-A")
    if git(workspace, "status", "--porcelain").strip():
        git(workspace, "commit", "-q", "-m", message)


def finished(workspace: Path) -> dict[str, str]:
    """Saved experiment name -> its commit (the git refs under refs/exps/)."""
    listed = git(workspace, "for-each-ref", "--format=%(refname) %(objectname)", "refs/exps/")
    refs = (line.split() for line in listed.splitlines() if line.strip())
    return {ref.rsplit("/", 1)[-1]: commit for ref, commit in refs if ref.count("/") >= 4}


def queue_status(workspace: Path) -> tuple[dict[str, str], int]:
    """Task name -> status (Queued, Running, Success, Failed, ...), and active workers."""
    text = dvc(workspace, "queue", "status").stdout
    lines = text.splitlines()
    tasks = {m["name"]: m["status"] for line in lines[1:] if (m := STATUS_LINE.match(line))}
    workers = WORKERS.search(text)
    return tasks, int(workers["active"]) if workers else 0


def missing(wanted: Sequence[str], done: Mapping[str, str], tasks: Mapping[str, str]) -> list[str]:
    """The wanted experiments that are neither saved nor waiting in the queue (in order)."""
    waiting = {name for name, status in tasks.items() if status in ("Queued", "Running")}
    return [name for name in wanted if name not in done and name not in waiting]


def run_queued(workspace: Path, runs: Mapping[str, Sequence[str]], log: Path) -> dict[str, str]:
    """Each experiment of `runs` (name -> `dvc exp run -S` overrides) finished: those already
    saved are kept, the others queued (a failed earlier try is dropped first) and run by one
    queue worker; returns name -> commit. Fails naming each experiment that failed."""
    tasks, workers = queue_status(workspace)
    for name in missing(list(runs), finished(workspace), tasks):
        if name in tasks:  # failed or otherwise ended without a saved experiment
            dvc(workspace, "queue", "remove", name, check=False)
        sets = [arg for override in runs[name] for arg in ("-S", override)]
        dvc(workspace, "exp", "run", "--queue", "--name", name, *sets)
        print(f"queued {name}: {' '.join(runs[name]) or 'as committed'}", flush=True)
    if not set(runs) <= set(finished(workspace)) and not workers:
        start_worker(workspace, log)
    return wait_for(workspace, list(runs))


def start_worker(workspace: Path, log: Path) -> None:
    """`dvc queue start`, its output (and the detached worker's) appended to `log`: the worker
    inherits the command's stdout, so a pipe would block until it exits."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as out:
        subprocess.run(
            [str(BIN / "dvc"), "queue", "start"],
            cwd=workspace,
            env=tool_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
        )
    print(f"started a queue worker (log: {log})", flush=True)


def wait_for(workspace: Path, names: Sequence[str]) -> dict[str, str]:
    """Wait until every experiment in `names` is saved; fail once one of them has failed."""
    reported: set[str] = set()
    next_status = time.monotonic() + STATUS_EVERY_S
    while True:
        done = finished(workspace)
        for name in sorted(set(done) & set(names) - reported):
            print(f"finished {name} ({time.strftime('%H:%M:%S')})", flush=True)
            reported.add(name)
        if set(names) <= set(done):
            return {name: done[name] for name in names}
        if time.monotonic() >= next_status:
            check_not_failed(workspace, [name for name in names if name not in done])
            next_status = time.monotonic() + STATUS_EVERY_S
        time.sleep(POLL_S)


def check_not_failed(workspace: Path, names: Sequence[str]) -> None:
    """Fail with the queue's log tail when one of the unsaved experiments `names` has failed or
    nothing is left to run them."""
    tasks, workers = queue_status(workspace)
    failed = [name for name in names if tasks.get(name) not in ("Queued", "Running", "Success")]
    if failed:
        logs = dvc(workspace, "queue", "logs", failed[0], check=False).stdout
        raise ExperimentError(
            f"queued experiments {', '.join(failed)} failed or vanished "
            f"({ {name: tasks.get(name) for name in failed} }); {failed[0]}'s log ends:\n"
            f"{logs[-3000:]}"
        )
    if not workers:
        raise ExperimentError(
            f"no queue worker is left for {', '.join(names)}; rerun the benchmark to start one"
        )


def run_experiments(
    workspace: Path, runs: Mapping[str, Sequence[str]], log: Path, codes: Sequence[str]
) -> tuple[list[Experiment], float]:
    """Each experiment of `runs` finished through the queue (`run_queued`) and read, in the
    order of `runs` (`codes`: the labels in label-id order), and the seconds waited for them."""
    start = time.perf_counter()
    commits = run_queued(workspace, runs, log)
    waited = time.perf_counter() - start
    return [read_experiment(workspace, name, commits[name], codes) for name in runs], waited


def read_experiment(workspace: Path, name: str, commit: str, codes: Sequence[str]) -> Experiment:
    """An experiment's reports/eval/details.json and reports/eval/predictions.jsonl, read
    through DVC at its commit (the predictions from the cache) without checking it out."""
    details = json.loads(read_at(workspace, "reports/eval/details.json", commit))
    records = [
        json.loads(line)
        for line in read_at(workspace, "reports/eval/predictions.jsonl", commit).splitlines()
        if line.strip()
    ]
    return Experiment(name, commit, details, predictions_by_set(records, codes))


def read_at(workspace: Path, path: str, commit: str) -> str:
    """A file of the workspace's pipeline as it was at `commit`."""
    return read_versioned(path, repo=str(workspace), rev=commit, encoding="utf-8")


def predictions_by_set(records: Sequence[dict[str, Any]], codes: Sequence[str]) -> dict[str, Any]:
    """{"set", "id", "label", "probabilities": {code: p}} records -> Predictions per set."""
    by_set: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_set.setdefault(record["set"], []).append(record)
    return {
        name: Predictions(
            ids=[record["id"] for record in rows],
            labels=np.array([codes.index(record["label"]) for record in rows]),
            probabilities=np.array(
                [[record["probabilities"][code] for code in codes] for record in rows]
            ),
        )
        for name, rows in by_set.items()
    }


def timed_repro(workspace: Path, *stages: str) -> dict[str, float]:
    """`dvc repro -s` each stage in turn (the cache answers those that did not change); seconds
    of each."""
    seconds = {}
    for stage in stages:
        start = time.perf_counter()
        dvc(workspace, "repro", "-s", stage)
        seconds[stage] = round(time.perf_counter() - start, 1)
        print(f"dvc repro -s {stage}: {seconds[stage]} s", flush=True)
    return seconds
