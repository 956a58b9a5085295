"""DVC experiments on the tiny pipeline: `dvc exp run -S`, the run queue, and comparing runs.

One run in the foreground and two through `dvc exp run --queue` + `dvc queue start -j 2`, side by
side (queued runs execute in a temporary copy holding only what git and DVC track; one repeats the
foreground's params, so it must reproduce its metrics), then `dvc exp show`, `dvc metrics diff`,
`dvc params diff`, `dvc plots diff` and `arxivist compare` between two of them, by name. Beside
them, from a commit of their own, a sweep in DVC's grid syntax (2 recipes x 2 seeds) that the
same queue runs, compared as recipes: groups by name and glob, `--seeds`, `--by` and `--pick`.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from arxivist.evaluation.metrics import HEADLINE
from arxivist.evaluation.plots import SYSTEM_NAMES, pair_label
from arxivist.params import load_params
from standins.workspace import (
    BIN,
    TINY_PARAMS,
    arxivist,
    copy_workspace,
    dvc,
    git,
    reproduced_tiny_workspace,
    tool_env,
)
from web.browser import visit

pytestmark = pytest.mark.slow

FOREGROUND = "lr-low"
QUEUED = "lr-high"
TWIN = "lr-low-queued"  # the foreground's params, queued beside QUEUED
# The queued run also changes fetch.timeout_seconds, which the snapshot source ignores: the
# fetch stage re-runs (reading corpus.jsonl in the queue's temporary copy) and writes the same
# bytes, so encode, split and tokenize are skipped.
PARAMS = {
    FOREGROUND: {"train.learning_rate": 0.001},
    QUEUED: {"train.learning_rate": 0.02, "fetch.timeout_seconds": 31},
    TWIN: {"train.learning_rate": 0.001},
}
# The sweep, as docs/experiments.md runs it: DVC names its runs grid-1 ... grid-4.
# 16 tokens cut the tiny abstracts short: another model; 32 would not.
SWEEP = ("-n", "grid", "-S", "train.seed=range(42,44)", "-S", "tokenize.max_length=64,16")
SWEPT = tuple(f"grid-{i}" for i in range(1, 5))
SWEEP_BRANCH = "sweep"  # a commit of its own: its experiments are the sweep's alone
QUEUE_TIMEOUT_S = 600  # two queued runs beside other tests on 2 cores
LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) [\w.]+: ", re.MULTILINE)
STATUS_LINE = re.compile(r"^\S+\s+(?P<name>\S+)\s+.*\s(?P<status>\w+)\s*$")


@dataclass(frozen=True)
class Runs:
    workspace: Path
    show: list[dict[str, Any]]  # dvc exp show --json
    queue_logs: dict[str, str]  # dvc queue logs of each queued run


def set_args(name: str) -> list[str]:
    return [arg for key, value in PARAMS[name].items() for arg in ("-S", f"{key}={value}")]


def queue_status(workspace: Path) -> dict[str, str]:
    """Task name -> status (Queued, Running, Success, Failed, ...) from `dvc queue status`."""
    lines = dvc(workspace, "queue", "status").stdout.splitlines()
    return {m["name"]: m["status"] for line in lines[1:] if (m := STATUS_LINE.match(line))}


def start_queue(workspace: Path, log: Path, workers: int = 1) -> None:
    """`dvc queue start -j WORKERS`, its output to `log`: the workers it spawns inherit the
    command's stdout, so capturing that through a pipe would block until they exit."""
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run(
            [str(BIN / "dvc"), "queue", "start", "-j", str(workers)],
            cwd=workspace,
            env=tool_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    started = log.read_text(encoding="utf-8")
    assert done.returncode == 0, started
    assert f"Started '{workers}' new experiments task queue worker" in started, started


def has_exp_ref(workspace: Path, name: str) -> bool:
    """Whether experiment `name` has been saved (a git ref under refs/exps/): cheap to poll."""
    refs = git(workspace, "for-each-ref", "--format=%(refname)", "refs/exps/").split()
    return any(ref.endswith(f"/{name}") for ref in refs)


def wait_for_queue(workspace: Path, name: str, timeout_s: float) -> str:
    """Wait until queued task `name` has finished; return its final `dvc queue status`.

    Polls for the experiment's git ref every 2 s (a `dvc queue status` costs seconds of CPU that
    the queued run needs on a small machine), and `dvc queue status` every 30 s or so, to
    stop early when the task failed (a failed task saves no ref).
    """
    deadline = time.monotonic() + timeout_s
    next_status = time.monotonic() + 30
    while time.monotonic() < deadline:
        saved = has_exp_ref(workspace, name)
        if saved or time.monotonic() >= next_status:
            status = queue_status(workspace).get(name)
            if status not in (None, "Queued", "Running"):
                return status
            next_status = time.monotonic() + 30
        time.sleep(2)
    raise AssertionError(f"queued experiment {name!r} still unfinished after {timeout_s} s")


def stop_workers(workspace: Path, timeout_s: float = 30) -> None:
    """`dvc queue stop`, then wait until no worker is left (they linger 60 s idle otherwise)."""
    dvc(workspace, "queue", "stop", check=False)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = dvc(workspace, "queue", "status", check=False).stdout
        if "Worker status: 0 active, 0 idle" in status:
            return
        time.sleep(1)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, tiny_bert: Path) -> Runs:
    root = tmp_path_factory.mktemp("experiments")
    workspace = copy_workspace(reproduced_tiny_workspace(tmp_path_factory, tiny_bert), root / "ws")
    # Queue first, from the clean committed workspace; the foreground run then applies its
    # results to the workspace, which the queued runs (already stashed) do not see.
    queued = (QUEUED, TWIN)
    for name in queued:
        dvc(workspace, "exp", "run", "--queue", "-n", name, *set_args(name))
    git(workspace, "checkout", "-q", "-b", SWEEP_BRANCH)
    git(workspace, "commit", "-q", "--allow-empty", "-m", "Sweep")
    dvc(workspace, "exp", "run", "--queue", *SWEEP)
    git(workspace, "checkout", "-q", "main")
    dvc(workspace, "exp", "run", "-n", FOREGROUND, *set_args(FOREGROUND))
    try:
        start_queue(workspace, root / "queue-start.log", workers=len(queued))
        every = (*queued, *SWEPT)
        statuses = {name: wait_for_queue(workspace, name, QUEUE_TIMEOUT_S) for name in every}
        logs = {name: dvc(workspace, "queue", "logs", name).stdout for name in every}
    finally:
        stop_workers(workspace)
    assert statuses == dict.fromkeys(every, "Success"), {n: logs[n][-3000:] for n in every}
    logs = {name: logs[name] for name in queued}
    show = json.loads(dvc(workspace, "exp", "show", "--json").stdout)
    return Runs(workspace, show, logs)


def logged_span(log: str) -> tuple[datetime, datetime]:
    """First and last time stamps of the stages' log lines in a `dvc queue logs` output."""
    stamps = [datetime.strptime(text, "%Y-%m-%d %H:%M:%S,%f") for text in LOG_TIME.findall(log)]
    assert stamps, log[-2000:]
    return stamps[0], stamps[-1]


def experiments(show: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Experiment name -> its `data` from `dvc exp show --json`."""
    found = {}
    for baseline in show:
        for experiment in baseline.get("experiments") or []:
            for rev in experiment["revs"]:
                found[rev["name"]] = rev["data"]
    return found


def flat_params(params: dict[str, Any]) -> dict[str, Any]:
    """{"train": {"epochs": 2}} -> {"train.epochs": 2} (one level, as the PARAMS keys are)."""
    return {
        f"{group}.{key}": value
        for group, keys in params.items()
        if isinstance(keys, dict)
        for key, value in keys.items()
    }


def shown_params(data: dict[str, Any]) -> dict[str, Any]:
    return flat_params(data["params"]["params.yaml"]["data"])


def committed_params(workspace: Path) -> dict[str, Any]:
    return flat_params(yaml.safe_load(git(workspace, "show", "HEAD:params.yaml")))


def test_exp_show_lists_every_run_with_its_params(runs: Runs, tiny_bert: Path) -> None:
    found = experiments(runs.show)
    assert set(found) == set(PARAMS), f"experiments in dvc exp show: {sorted(found)}"
    committed = committed_params(runs.workspace)
    for name, changed in PARAMS.items():
        params = shown_params(found[name])
        assert params == {**committed, **changed}, name
        assert params["model.checkpoint"] == str(tiny_bert)


def test_exp_show_fills_the_metrics_columns(runs: Runs) -> None:
    """The trap: with a dvclive folder as a whole stage output, these go blank."""
    for name, data in experiments(runs.show).items():
        metrics = data.get("metrics") or {}
        train = metrics.get("reports/train/metrics.json", {}).get("data") or {}
        assert isinstance(train.get("best_epoch"), int), f"{name}: no best_epoch: {metrics}"
        assert isinstance(train.get("val_roc_auc"), float), f"{name}: no val_roc_auc: {metrics}"
        for system in ("model", "encoder", "tfidf"):
            later = metrics.get(f"reports/eval/later/{system}.json", {}).get("data") or {}
            assert set(later) == {"roc_auc_ovr", "macro_f1"}, f"{name}, {system}: {metrics}"
        assert data.get("error") is None, f"{name}: {data['error']}"


def test_params_diff_shows_exactly_the_changed_params(runs: Runs) -> None:
    diff = json.loads(dvc(runs.workspace, "params", "diff", FOREGROUND, QUEUED, "--json").stdout)
    changed = diff.get("params.yaml", {})
    assert set(changed) == set(PARAMS[FOREGROUND]) | set(PARAMS[QUEUED]), diff
    committed = committed_params(runs.workspace)
    for key, entry in changed.items():
        old = PARAMS[FOREGROUND].get(key, committed[key])
        assert (entry["old"], entry["new"]) == (old, PARAMS[QUEUED][key]), (key, entry)
        assert math.isclose(entry["diff"], entry["new"] - entry["old"], rel_tol=1e-6), (key, entry)


def test_metrics_diff_shows_the_deltas_between_the_runs(runs: Runs) -> None:
    found = experiments(runs.show)
    diff = json.loads(dvc(runs.workspace, "metrics", "diff", FOREGROUND, QUEUED, "--json").stdout)
    train = diff.get("reports/train/metrics.json", {}).get("val_roc_auc")
    assert train is not None, f"val_roc_auc unchanged between learning rates? {diff}"
    shown = {n: found[n]["metrics"]["reports/train/metrics.json"]["data"] for n in found}
    assert train["old"] == shown[FOREGROUND]["val_roc_auc"]
    assert train["new"] == shown[QUEUED]["val_roc_auc"]
    assert train["old"] != train["new"]
    assert math.isclose(train["diff"], train["new"] - train["old"], rel_tol=1e-6, abs_tol=1e-12)
    # Only the headline numbers: the per-class detail lives in reports/eval/details.json.
    later = {path: keys for path, keys in diff.items() if path.startswith("reports/eval/")}
    assert not any("per_class" in key for keys in later.values() for key in keys), diff


def test_plots_diff_has_both_runs_curves(runs: Runs) -> None:
    plots = json.loads(dvc(runs.workspace, "plots", "diff", FOREGROUND, QUEUED, "--json").stdout)
    assert not plots.get("errors"), plots["errors"]
    data = plots["data"]
    roc_id, confusion_id = (
        f"reports/eval/plots/later/{plot}.json" for plot in ("roc", "confusion")
    )
    assert {roc_id, confusion_id} <= set(data), sorted(data)
    (curve,) = data["Loss per epoch"]
    assert curve["revisions"] == [FOREGROUND, QUEUED]
    series: dict[tuple[str, str], list[float]] = {}
    for row in curve["content"]["data"]["values"]:
        key = (row["rev"], row["filename::field"])
        series.setdefault(key, []).append(float(row["dvc_inferred_y_value"]))
    epochs = TINY_PARAMS["train"]["epochs"]
    logged = ("train_loss.tsv::train_loss", "val_loss.tsv::val_loss")
    counted = ("train_papers.tsv::train_papers", "val_papers.tsv::val_papers")  # for the title
    assert {key: len(values) for key, values in series.items()} == {
        (rev, name): epochs for rev in (FOREGROUND, QUEUED) for name in (*logged, *counted)
    }
    assert series[FOREGROUND, logged[0]] != series[QUEUED, logged[0]]
    (roc,) = data[roc_id]
    assert roc["revisions"] == [FOREGROUND, QUEUED]
    lines = {(row["rev"], row["class"]) for row in roc["content"]["data"]["values"]}
    classes = list(TINY_PARAMS["fetch"]["categories"])
    assert lines == {(rev, code) for rev in (FOREGROUND, QUEUED) for code in classes}
    # Both runs on one chart: a colour per class, a dash pattern per run.
    curves = roc["content"]["layer"][-1]["encoding"]
    assert (curves["color"]["field"], curves["strokeDash"]["field"]) == ("class", "rev")
    (confusion,) = data[confusion_id]
    assert confusion["content"]["facet"]["column"]["field"] == "rev"


def test_the_plots_diff_page_draws_both_runs_in_every_chart_in_chromium(
    runs: Runs, tmp_path: Path
) -> None:
    """`dvc plots diff` through the repository's page: each chart tells the two runs apart, and
    the intervals drawn for each run are those of its own reports/eval/details.json."""
    dvc(runs.workspace, "plots", "diff", FOREGROUND, QUEUED, "-o", str(tmp_path))
    page = tmp_path / "index.html"
    seen = visit(page)
    assert seen.problems == []
    assert seen.requests == [page.as_uri()]
    assert len(seen.charts) == 8
    assert all(chart.drawn for chart in seen.charts.values())
    both, classes = {FOREGROUND, QUEUED}, list(TINY_PARAMS["fetch"]["categories"])
    for curves in ("Loss_per_epoch", "Validation_scores_per_epoch"):
        chart = seen.charts[curves]
        assert both <= set(chart.legend)
        assert (chart.lines, chart.dashes) == (4, 2)  # two series for each run, a dash per run
    for name in ("later", "test"):
        roc = seen.charts[f"reports_eval_plots_{name}_roc_json"]
        assert both | set(classes) <= set(roc.legend)
        assert (roc.lines, roc.dashes) == (2 * len(classes), 2)
        confusion = seen.charts[f"reports_eval_plots_{name}_confusion_json"]
        assert both <= set(confusion.titles)  # a panel per run
        assert confusion.rects == 2 * len(classes) ** 2
    details = {
        run: json.loads(exp_file(runs.workspace, run, "reports/eval/details.json")) for run in both
    }
    assert details[FOREGROUND]["later"]["model"] != details[QUEUED]["later"]["model"]
    for chart_id, x_title, drawn_from in (
        ("reports_eval_plots_later_systems_json", "system", systems_drawn),
        ("reports_eval_plots_later_differences_json", "paired difference", differences_drawn),
    ):
        chart = seen.charts[chart_id]
        assert both <= set(chart.legend)  # a colour per run
        expected = {run: drawn_from(details[run]["later"]) for run in both}
        for panel, metric in zip(chart.panels, HEADLINE, strict=True):
            # A mark per system (or pair) and run, spanning that run's interval (to a pixel).
            assert panel.intervals(x_title) == {
                (name, run): pytest.approx(
                    (bounds[metric]["low"], bounds[metric]["high"], bounds[metric]["value"]),
                    abs=panel.per_pixel,
                )
                for run in both
                for name, bounds in expected[run].items()
            }, (chart_id, metric)


def exp_file(workspace: Path, name: str, path: str) -> str:
    """A git-tracked file as experiment `name` committed it."""
    refs = git(workspace, "for-each-ref", "--format=%(refname)", "refs/exps/").split()
    (ref,) = [ref for ref in refs if ref.endswith(f"/{name}")]
    return git(workspace, "show", f"{ref}:{path}")


def systems_drawn(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What the systems chart draws of one set's report: name -> intervals by metric."""
    return {SYSTEM_NAMES[system]: report[system]["intervals"] for system in SYSTEM_NAMES}


def differences_drawn(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What the differences chart draws: name -> paired difference by metric."""
    return {pair_label(pair): by_metric for pair, by_metric in report["differences"].items()}


def test_the_queued_run_used_its_temporary_copy_and_the_outside_checkpoint(
    runs: Runs, tiny_bert: Path
) -> None:
    """Queued runs see only git/DVC-tracked files: corpus.jsonl is committed (fetch declares it,
    so DVC hashed the temporary copy's file and found it unchanged; a missing one would fail the
    run); the checkpoint is an absolute path outside the repository, still readable from there."""
    assert not tiny_bert.is_relative_to(runs.workspace)
    log = runs.queue_logs[QUEUED]
    assert "Stage 'fetch' didn't change, skipping" in log, log[-3000:]
    assert "Stage 'tokenize' didn't change, skipping" in log, log[-3000:]
    assert "Running stage 'train'" in log, log[-3000:]  # loaded the outside checkpoint
    assert "Running stage 'publish'" in log, log[-3000:]


def test_two_queued_runs_ran_side_by_side_each_with_its_own_params(runs: Runs) -> None:
    (start_a, end_a), (start_b, end_b) = (logged_span(log) for log in runs.queue_logs.values())
    assert start_a < end_b and start_b < end_a, f"one ran after the other: {runs.queue_logs}"
    overlap = (min(end_a, end_b) - max(start_a, start_b)).total_seconds()
    print(f"two queued runs: their logged work overlapped for {overlap:.1f} s")
    found = experiments(runs.show)
    metrics = {
        name: {path: shown["data"] for path, shown in data["metrics"].items()}
        for name, data in found.items()
    }
    # The twin ran beside another run in its own copy, yet gives the foreground's numbers.
    assert metrics[TWIN] == metrics[FOREGROUND], metrics
    assert metrics[QUEUED] != metrics[FOREGROUND], metrics


def test_compare_two_experiments(runs: Runs) -> None:
    """`arxivist compare` by experiment name: each side's predictions read through DVC from its
    experiment commit, neither checked out."""
    done = arxivist(runs.workspace, "compare", FOREGROUND, QUEUED)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    print(done.stdout)
    sets = [line for line in lines if re.match(r"(later|test|validation) set, \d+ papers: ", line)]
    assert sets, done.stdout
    names = rf"A = {FOREGROUND} \(\w{{7}}\), B = {QUEUED} \(\w{{7}}\)$"
    assert all(re.search(names, line) for line in sets), done.stdout
    for metric in HEADLINE:
        rows = [line for line in lines if line.startswith(f"{metric} ")]
        assert len(rows) == len(sets), done.stdout
        assert all(re.search(r"(B better|B worse|no evidence)$", row) for row in rows), rows
    assert max(map(len, lines)) <= 100
    # One experiment against the workspace, which holds that run's outputs: exactly no difference.
    same = arxivist(runs.workspace, "compare", FOREGROUND, "--md")
    assert same.returncode == 0, same.stderr
    rows = [line for line in same.stdout.splitlines() if line.startswith("| test")]
    assert rows and all("| +0.000 [+0.000, +0.000] | no evidence |" in row for row in rows)


def test_a_learning_rate_set_with_dash_s_loads_as_a_number(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, tiny_bert: Path
) -> None:
    """The README's `dvc exp run -S train.learning_rate=5e-5`: what DVC writes must load."""
    workspace = copy_workspace(
        reproduced_tiny_workspace(tmp_path_factory, tiny_bert), tmp_path / "ws"
    )
    # Queued, never run: the queue's stash commit holds params.yaml as DVC wrote it.
    dvc(workspace, "exp", "run", "--queue", "-n", "lr-5e-5", "-S", "train.learning_rate=5e-5")
    written = git(workspace, "show", "refs/exps/celery/stash:params.yaml")
    dvc(workspace, "queue", "remove", "lr-5e-5")
    (tmp_path / "params.yaml").write_text(written)
    assert load_params(tmp_path / "params.yaml").train.learning_rate == 5e-5, written


# The sweep: 2 recipes (tokenize.max_length 64, 16) x 2 seeds (train.seed 42, 43), compared as
# recipes.


def swept(runs: Runs) -> dict[int, list[tuple[str, int]]]:
    """The sweep's runs from `dvc exp show`: tokenize.max_length -> [(name, train.seed)]."""
    show = json.loads(dvc(runs.workspace, "exp", "show", "--json", "--rev", SWEEP_BRANCH).stdout)
    recipes: dict[int, list[tuple[str, int]]] = {}
    for name, data in sorted(experiments(show).items()):
        params = shown_params(data)
        recipes.setdefault(params["tokenize.max_length"], []).append((name, params["train.seed"]))
    return recipes


def recipe_line(side: str, length: int, members: list[tuple[str, int]]) -> str:
    seeds = ", ".join(str(seed) for _, seed in members)
    names = ", ".join(name for name, _ in members)
    return f"{side} = tokenize.max_length={length}: 2 runs (train.seed {seeds}): {names}"


def test_the_grid_sweep_ran_every_combination_through_the_queue(runs: Runs) -> None:
    recipes = swept(runs)
    assert {name for members in recipes.values() for name, _ in members} == set(SWEPT)
    assert {length: sorted(seed for _, seed in members) for length, members in recipes.items()} == {
        64: [42, 43],
        16: [42, 43],
    }


def test_compare_by_a_key_gives_a_verdict_on_the_recipes(runs: Runs) -> None:
    recipes = swept(runs)
    done = arxivist(runs.workspace, "compare", "--by", "tokenize.max_length", SWEEP_BRANCH)
    assert done.returncode == 0, done.stderr
    print(done.stdout)
    lines = done.stdout.splitlines()
    assert lines[:3] == [
        recipe_line("A", 64, recipes[64]),  # the sweep commit's own value first
        recipe_line("B", 16, recipes[16]),
        "B - A changes tokenize.max_length: 64 -> 16",
    ]
    sets = [line.split()[0] for line in lines if re.match(r"\w+ set, \d+ papers$", line)]
    assert sets == ["later", "test", "validation"]
    for metric in HEADLINE:
        spread = r"\d\.\d{4} ± \d\.\d{4}"
        row = rf"{metric} +{spread} +{spread} +[+-]\d\.\d{{4}} \[.*\] +\d\.\d\d +"
        rows = [line for line in lines if re.match(row + "(B better|B worse|no evidence)$", line)]
        assert len(rows) == len(sets), done.stdout
    assert "a verdict on the recipes (these" in done.stdout
    assert max(map(len, lines)) <= 100
    unknown = arxivist(runs.workspace, "compare", "--by", "tokenize.length", SWEEP_BRANCH)
    assert (unknown.returncode, unknown.stderr) == (
        1,
        f"error: no experiment of {SWEEP_BRANCH} has the params key 'tokenize.length'\n",
    )


def test_compare_groups_named_or_globbed_and_refuses_mixed_recipes(runs: Runs) -> None:
    recipes = swept(runs)
    sides = [",".join(name for name, _ in recipes[length]) for length in (64, 16)]
    table = arxivist(runs.workspace, "compare", *sides, "--md")
    assert table.returncode == 0, table.stderr
    header = "| set | metric | A mean ± SD | B mean ± SD | B - A [95% CI] | P(B>A) | verdict |"
    assert header in table.stdout
    rows = [line for line in table.stdout.splitlines() if re.match(r"\| \w+ \(\d+ papers\)", line)]
    assert len(rows) == 3 * len(HEADLINE), table.stdout
    mixed = arxivist(runs.workspace, "compare", "grid-*", FOREGROUND)
    values = ", ".join(f"{n}: {length}" for n, length in sorted(named_lengths(recipes).items()))
    assert (mixed.returncode, mixed.stderr) == (
        1,
        f"error: grid-*: its runs differ in tokenize.max_length ({values}); a recipe's runs may "
        "differ only in train.seed\n",
    )
    # main's own experiments differ in more than one key: no recipes by one of them.
    by = arxivist(runs.workspace, "compare", "--by", "train.learning_rate")
    assert by.returncode == 1
    assert by.stderr.startswith(
        "error: the experiments of HEAD differ in fetch.timeout_seconds beside "
        "train.learning_rate and train.seed ("
    ), by.stderr


def named_lengths(recipes: dict[int, list[tuple[str, int]]]) -> dict[str, int]:
    return {name: length for length, members in recipes.items() for name, _ in members}


def test_seeds_finds_each_runs_recipe_at_its_other_seeds(runs: Runs) -> None:
    recipes = swept(runs)
    (a, _), (b, _) = recipes[64][0], recipes[16][0]
    models = arxivist(runs.workspace, "compare", a, b)
    assert models.returncode == 0, models.stderr
    said = " ".join(line.strip() for line in models.stdout.splitlines())
    assert "Note: a verdict on these two models, one training run each" in said
    assert f"both recipes have runs at other seeds here: arxivist compare --seeds {a} {b}" in said
    seeded = arxivist(runs.workspace, "compare", "--seeds", a, b)
    assert seeded.returncode == 0, seeded.stderr
    lines = seeded.stdout.splitlines()
    members = [", ".join(name for name, _ in recipes[length]) for length in (64, 16)]
    assert lines[0] == f"A = {a}: 2 runs (train.seed 42, 43): {members[0]}"
    assert lines[1] == f"B = {b}: 2 runs (train.seed 42, 43): {members[1]}"


def test_the_pick_is_made_on_validation_and_reported_once_on_the_later_set(runs: Runs) -> None:
    done = arxivist(
        runs.workspace, "compare", "--by", "tokenize.max_length", "--pick", SWEEP_BRANCH
    )
    assert done.returncode == 0, done.stderr
    print(done.stdout)
    lines = done.stdout.splitlines()
    papers = len(pd.read_parquet(runs.workspace / "data" / "split" / "validation.parquet"))
    assert lines[0] == (
        f"Pick by roc_auc_ovr on the validation set ({papers} papers), among the recipes of "
        f"tokenize.max_length (the experiments of {SWEEP_BRANCH}):"
    )
    assert re.match(r"recipe +runs +mean ± SD +B - baseline \[95% CI\] +verdict$", lines[1])
    assert re.match(r"tokenize\.max_length=64 \(baseline\) +2 +\d\.\d{4} ± \d\.\d{4}$", lines[2])
    challenger = re.match(
        r"tokenize\.max_length=16 +2 +.* (B better|B worse|no evidence)$", lines[3]
    )
    assert challenger, lines[3]
    winner = "16" if challenger[1] == "B better" else "64"
    assert lines[5].startswith(f"Picked tokenize.max_length={winner}")
    reported = [i for i, line in enumerate(lines) if "on the later set, once" in line]
    assert len(reported) == 1 and reported[0] > 5
    assert not any("later" in line for line in lines[:5])  # the later set chose nothing
