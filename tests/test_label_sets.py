"""Labels are data: the whole pipeline on other label sets, set in params.yaml alone.

Two categories the committed params do not name, and five listed out of alphabetical order (the
order gives the label ids), each from a generated snapshot; dvc.yaml and the code are the
repository's own. Every stage follows the labels: the model's head, the metrics, the ROC and
confusion plot data and what `dvc plots show` draws.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from standins.workspace import ROOT, dvc, tiny_pipeline_workspace

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
