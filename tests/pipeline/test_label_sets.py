"""Labels are data: the whole pipeline on other label sets, set in params.yaml alone.

Two categories the committed params do not name, and five listed out of alphabetical order (the
order gives the label ids), each from a generated snapshot; dvc.yaml and the code are the
repository's own. Every stage follows the labels: the model's head, the metrics, the ROC and
confusion plot data and what `dvc plots show` draws.

And in an experiment: docs/experiments.md's `dvc exp run` without cs.RO trains two classes; its
run with cs.CV added writes the four categories in order; `-S 'labels={...}'` merges (so it cannot
drop one); a label set that fetch.categories does not match is one line, and nothing is trained.
"""

from __future__ import annotations

import itertools
import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from arxivist.params import SAME_CATEGORIES, load_params
from standins.workspace import (
    ROOT,
    TINY_PARAMS,
    copy_workspace,
    dvc,
    file_hashes,
    git,
    reproduced_tiny_workspace,
    tiny_pipeline_workspace,
)
from tests.tooling.test_cleanup_docs import commands

pytestmark = pytest.mark.slow

LABEL_SETS = {
    "two": {"cs.DB": "Databases", "cs.CL": "Computation and Language"},
    "five": {
        "cs.RO": "Robotics",
        "cs.AI": "Artificial Intelligence",
        "cs.DB": "Databases",
        "cs.CL": "Computation and Language",
        "cs.IR": "Information Retrieval",
    },
}
WANTED = 16  # papers per category, so that the stratified test split holds 2+ of each


@dataclass(frozen=True)
class Run:
    workspace: Path
    labels: dict[str, str]  # code -> display name, in params.yaml's order

    @property
    def codes(self) -> list[str]:
        return list(self.labels)


@pytest.fixture(scope="module", params=sorted(LABEL_SETS))
def run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tiny_bert: Path
) -> Run:
    """A tiny workspace on one label set after `dvc repro`."""
    labels = LABEL_SETS[request.param]
    corpus = {**dict.fromkeys(labels, WANTED + 2), "cs.CV": 3}  # papers fetch must leave out
    params = {
        "fetch": {"categories": dict.fromkeys(labels, WANTED)},
        "later": {"categories": dict.fromkeys(labels, 3)},
        "labels": labels,
        "train": {"epochs": 1},
    }
    folder = tmp_path_factory.mktemp(f"{request.param}-labels")
    workspace = tiny_pipeline_workspace(folder, tiny_bert, corpus=corpus, params=params)
    dvc(workspace, "repro")
    return Run(workspace, labels)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_pipeline_is_the_repositorys_own(run: Run) -> None:
    assert (run.workspace / "dvc.yaml").read_bytes() == (ROOT / "dvc.yaml").read_bytes()
    assert dvc(run.workspace, "status", "--json").stdout.strip() == "{}"


def test_labels_and_the_model_have_the_classes_in_params_order(run: Run) -> None:
    labels = read_json(run.workspace / "data/labeled/labels.json")
    assert labels == {
        code: {"id": i, "name": name} for i, (code, name) in enumerate(run.labels.items())
    }
    names = {str(i): name for i, name in enumerate(run.labels.values())}
    for model in ("models/model", "models/published"):
        assert read_json(run.workspace / model / "config.json")["id2label"] == names, model


def test_metrics_cover_every_class(run: Run) -> None:
    evaluation = read_json(run.workspace / "reports/eval/details.json")
    for name in ("later", "test"):
        for system in ("model", "encoder", "tfidf"):
            per_class = evaluation[name][system]["per_class"]
            assert set(per_class) == set(run.codes), (name, system)
            assert all(m["support"] >= 2 for m in per_class.values()), (name, system)


def test_the_plot_data_has_a_curve_per_class_and_a_confusion_cell_per_pair(run: Run) -> None:
    roc = read_json(run.workspace / "reports/eval/plots/later/roc.json")
    assert list(dict.fromkeys(row["class"] for row in roc)) == run.codes
    for code in run.codes:
        curve = [(row["fpr"], row["tpr"]) for row in roc if row["class"] == code]
        assert curve[0] == (0.0, 0.0) and curve[-1] == (1.0, 1.0), code
    confusion = read_json(run.workspace / "reports/eval/plots/later/confusion.json")
    cells = [(row["actual"], row["predicted"]) for row in confusion]
    assert cells == [(actual, predicted) for actual in run.codes for predicted in run.codes]


def test_dvc_plots_show_draws_a_line_per_class(run: Run) -> None:
    shown = json.loads(dvc(run.workspace, "plots", "show", "--json").stdout)
    assert not shown.get("errors"), shown["errors"]
    (roc,) = shown["data"]["reports/eval/plots/later/roc.json"]
    content = roc["content"]
    assert {row["class"] for row in content["data"]["values"]} == set(run.codes)
    assert content["layer"][-1]["encoding"]["color"]["field"] == "class"
    (confusion,) = shown["data"]["reports/eval/plots/later/confusion.json"]
    assert {row["actual"] for row in confusion["content"]["data"]["values"]} == set(run.codes)


# docs/experiments.md, "Dropping or adding a category": its two runs, by name
WITHOUT, WITH = "no-robotics", "with-vision"
TWO = {"cs.AI": "Artificial Intelligence", "cs.IR": "Information Retrieval"}


def documented_runs() -> dict[str, list[str]]:
    """The `dvc exp run` commands of the section, by experiment name, as arguments after `run`."""
    text = (ROOT / "docs" / "experiments.md").read_text(encoding="utf-8")
    section = text[text.index("## Dropping or adding a category") :]
    section = section[: section.index("\n## ")]
    runs = {}
    for command in commands(section, "dvc exp run"):
        args = shlex.split(command)[3:]
        if "-n" in args:
            runs[args[args.index("-n") + 1]] = args
    assert set(runs) == {WITHOUT, WITH}, runs
    return runs


def with_tiny_counts(args: list[str]) -> list[str]:
    """The documented overrides with the tiny workspace's paper counts for the same categories:
    the docs give the committed params' thousands, more than the tiny snapshot holds."""
    scaled = []
    for arg in args:
        if m := re.fullmatch(r"\+(fetch|later)\.categories=\{(.*)\}", arg):
            counts = TINY_PARAMS[m[1]]["categories"]
            codes = [item.split(":")[0].strip() for item in m[2].split(",")]
            arg = f"+{m[1]}.categories={{{', '.join(f'{c}: {counts[c]}' for c in codes)}}}"
        scaled.append(arg)
    return scaled


def queued_params(workspace: Path, name: str, *args: str) -> dict[str, Any]:
    """The params.yaml that `dvc exp run --queue ARGS` writes, the run removed from the queue."""
    dvc(workspace, "exp", "run", "--queue", "-n", name, *args)
    written = git(workspace, "show", "refs/exps/celery/stash:params.yaml")
    dvc(workspace, "queue", "remove", name)
    return yaml.safe_load(written)


@pytest.fixture(scope="module")
def without_robotics(tmp_path_factory: pytest.TempPathFactory, tiny_bert: Path) -> Path:
    """The reproduced tiny workspace (three classes) after the documented run without cs.RO."""
    folder = tmp_path_factory.mktemp("no-robotics")
    workspace = copy_workspace(
        reproduced_tiny_workspace(tmp_path_factory, tiny_bert), folder / "ws"
    )
    dvc(workspace, "exp", "run", *with_tiny_counts(documented_runs()[WITHOUT]))
    return workspace


def test_the_documented_run_without_a_category_trains_two_classes(without_robotics: Path) -> None:
    params = yaml.safe_load((without_robotics / "params.yaml").read_text(encoding="utf-8"))
    assert params["labels"] == TWO
    names = {str(i): name for i, name in enumerate(TWO.values())}
    for model in ("models/model", "models/published"):
        assert read_json(without_robotics / model / "config.json")["id2label"] == names, model
    evaluation = read_json(without_robotics / "reports/eval/details.json")
    for name in ("later", "test"):
        for system in ("model", "encoder", "tfidf"):
            assert set(evaluation[name][system]["per_class"]) == set(TWO), (name, system)


def test_the_documented_run_with_a_category_added_writes_four_in_order(
    tmp_path: Path, tiny_bert: Path
) -> None:
    workspace = tiny_pipeline_workspace(tmp_path, tiny_bert)
    written = queued_params(workspace, WITH, *documented_runs()[WITH][2:])
    codes = ["cs.AI", "cs.IR", "cs.RO", "cs.CV"]
    assert list(written["labels"]) == codes
    assert written["labels"]["cs.CV"] == "Computer Vision"
    assert list(written["fetch"]["categories"]) == codes
    assert list(written["later"]["categories"]) == codes
    (workspace / "params.yaml").write_text(yaml.safe_dump(written, sort_keys=False))
    assert list(load_params(workspace / "params.yaml").labels) == codes  # valid as a whole


def test_a_mapping_set_with_dash_s_merges_so_it_cannot_drop_a_category(
    tmp_path: Path, tiny_bert: Path
) -> None:
    workspace = tiny_pipeline_workspace(tmp_path, tiny_bert)
    labels = ", ".join(f"{code}: {name}" for code, name in TWO.items())
    written = queued_params(workspace, "merged", "-S", f"labels={{{labels}}}")
    assert written["labels"] == {**TWO, "cs.RO": "Robotics"}


def labels_only(args: list[str]) -> list[str]:
    """The `-S` overrides of `labels` among `args`: a set that fetch.categories does not match."""
    values = [value for flag, value in itertools.pairwise(args) if flag == "-S"]
    return [
        arg for value in values if value.lstrip("~+").startswith("labels") for arg in ("-S", value)
    ]


MISMATCHED = {
    "labels-only": f"error: params: labels.cs.RO: missing: fetch.categories names cs.RO; "
    f"{SAME_CATEGORIES}",
    "dotted-key": "ERROR: Invalid `--set-param` value: Could not delete from config. "
    "'labels.cs.RO' does not exist.",
}


@pytest.mark.parametrize("case", sorted(MISMATCHED))
def test_a_label_set_fetch_does_not_match_is_one_line_and_trains_nothing(
    case: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, tiny_bert: Path
) -> None:
    """The documented run's `labels` overrides alone (the first stage to run refuses them), or a
    single code deleted with `~` (DVC refuses it: the dot of cs.RO reads as nesting)."""
    overrides = {
        "labels-only": labels_only(documented_runs()[WITHOUT]),
        "dotted-key": ["-S", "~labels.cs.RO"],
    }[case]
    reproduced = reproduced_tiny_workspace(tmp_path_factory, tiny_bert)
    workspace = copy_workspace(reproduced, tmp_path / "ws")
    done = dvc(workspace, "exp", "run", "-n", "mismatched", *overrides, check=False)
    assert done.returncode != 0
    said = [line for line in done.stderr.splitlines() if line.lower().startswith("error")]
    assert said[0] == MISMATCHED[case], done.stderr  # then DVC's line that the stage failed
    assert "Traceback" not in done.stderr, done.stderr
    assert "Running stage 'train'" not in done.stdout, done.stdout
    assert file_hashes(workspace, "models") == file_hashes(reproduced, "models")
    assert "mismatched" not in git(workspace, "for-each-ref", "refs/exps/")
