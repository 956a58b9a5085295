"""The evaluate stage and its parts: the baseline, every output, `dvc plots`."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from arxivist.atomic import read_jsonl
from arxivist.baseline import fit_baseline
from arxivist.cards import load_report
from arxivist.compute import resolve
from arxivist.inference import InferenceError
from arxivist.labels import LabelSet
from arxivist.metrics import HEADLINE, MetricsError, classification_metrics
from arxivist.params import EvaluateParams
from stages.evaluate import evaluate
from tests.fakes.tiny_bert import LABELS
from tests.fakes.workspace import ROOT

CODES = LABELS.codes
TOPICS = {
    0: ["planning", "reasoning", "agents", "knowledge", "logic"],
    1: ["retrieval", "ranking", "query", "recommender", "relevance"],
    2: ["robot", "grasping", "manipulation", "navigation", "motion"],
}
FILLER = ["learning", "neural", "network", "model", "data", "benchmark", "results", "method"]
PARAMS = {
    "evaluate": {
        "batch_tokens": 64,
        "precision": "fp32",
        "baseline_max_features": 500,
        "baseline_c": 10.0,
    },
}


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test here may reach the Hugging Face Hub (the flag is read when the hub is imported)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)


def toy_corpus(per_class: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Texts of four words of one topic and six shared filler words, in shuffled order."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for label, words in TOPICS.items():
        for _ in range(per_class):
            tokens = [*rng.choice(words, size=4), *rng.choice(FILLER, size=6)]
            texts.append(" ".join(rng.permutation(tokens)))
            labels.append(label)
    order = rng.permutation(len(texts))
    return [texts[i] for i in order], np.array(labels)[order]


def split_frame(split: str, per_class: int, seed: int) -> pd.DataFrame:
    """A split parquet's columns, with the toy corpus as abstracts."""
    texts, labels = toy_corpus(per_class, seed)
    return pd.DataFrame(
        {
            "id": [f"2401.{seed}{i:04d}" for i in range(len(texts))],
            "title": [f"{split} paper {i}" for i in range(len(texts))],
            "abstract": texts,
            "primary_category": [CODES[label] for label in labels],
            "categories": [[CODES[label]] for label in labels],
            "published": None,
            "label": labels.astype("int64"),
        }
    )


def test_the_baseline_separates_a_separable_toy_set_deterministically() -> None:
    params = EvaluateParams(baseline_max_features=500, baseline_c=10.0)
    train_texts, train_labels = toy_corpus(10, seed=1)
    test_texts, test_labels = toy_corpus(5, seed=2)

    first = fit_baseline(train_texts, train_labels, CODES, params)
    probabilities = first.predict_proba(test_texts)
    metrics = classification_metrics(test_labels, probabilities, CODES)
    assert metrics["accuracy"] == 1.0 and metrics["roc_auc_ovr"] == 1.0

    again = fit_baseline(train_texts, train_labels, CODES, params)
    np.testing.assert_array_equal(again.predict_proba(test_texts), probabilities)


def test_the_baseline_needs_every_class_in_training() -> None:
    texts, labels = toy_corpus(3, seed=1)
    keep = labels != 2
    with pytest.raises(MetricsError, match=r"cs\.RO"):
        fit_baseline(
            [t for t, k in zip(texts, keep, strict=True) if k],
            labels[keep],
            CODES,
            EvaluateParams(),
        )


def make_inputs(root: Path, tiny_classifier: Path, labels: LabelSet = LABELS) -> dict[str, Path]:
    """params.yaml, split parquet files and labels.json under `root`; the stage's path arguments."""
    (root / "params.yaml").write_text(yaml.safe_dump(PARAMS))
    splits = root / "data" / "split"
    splits.mkdir(parents=True)
    split_frame("train", per_class=8, seed=1).to_parquet(splits / "train.parquet")
    split_frame("test", per_class=4, seed=2).to_parquet(splits / "test.parquet")
    labels.save(root / "data" / "labeled" / "labels.json")
    return {
        "model": tiny_classifier,
        "splits": splits,
        "labels": root / "data" / "labeled" / "labels.json",
        "out": root / "reports" / "eval",
    }


@pytest.fixture(scope="module")
def evaluated(tiny_classifier: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The stage run once in a tiny project; its path arguments."""
    root = tmp_path_factory.mktemp("project")
    paths = make_inputs(root, tiny_classifier)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        evaluate(**paths)
    return paths


def files_under(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_the_stage_writes_every_output(evaluated: dict[str, Path]) -> None:
    out = evaluated["out"]
    test = pd.read_parquet(evaluated["splits"] / "test.parquet")
    assert set(files_under(out)) == {
        "metrics.json",
        "details.json",
        "predictions.jsonl",
        "plots/confusion.json",
        "plots/roc.json",
    }

    headline = json.loads((out / "metrics.json").read_text())
    assert set(headline) == {"model", "baseline"}
    assert all(set(headline[name]) == set(HEADLINE) for name in ("model", "baseline"))
    metrics = load_report(out / "metrics.json", out / "details.json")
    assert metrics["compute"] == resolve("fp32").describe()
    assert metrics["n_test"] == len(test) == 12
    for m in (metrics["model"], metrics["baseline"]):
        assert set(m) == {"roc_auc_ovr", "macro_f1", "accuracy", "per_class"}
        assert list(m["per_class"]) == list(CODES)
        for per_class in m["per_class"].values():
            assert set(per_class) == {"precision", "recall", "f1", "roc_auc", "support"}
            assert per_class["support"] == 4
            assert all(0 <= per_class[k] <= 1 for k in ("precision", "recall", "f1", "roc_auc"))
        assert all(0 <= m[k] <= 1 for k in ("roc_auc_ovr", "macro_f1", "accuracy"))
    assert metrics["baseline"]["accuracy"] == 1.0

    predictions = read_jsonl(out / "predictions.jsonl")
    assert [p["id"] for p in predictions] == test["id"].tolist()
    assert [p["label"] for p in predictions] == test["primary_category"].tolist()
    for p in predictions:
        assert list(p["probabilities"]) == list(CODES)
        assert sum(p["probabilities"].values()) == pytest.approx(1, abs=1e-5)
        assert p["predicted"] == max(p["probabilities"], key=p["probabilities"].get)
    hits = sum(p["label"] == p["predicted"] for p in predictions)
    assert metrics["model"]["accuracy"] == round(hits / len(predictions), 6)

    confusion = json.loads((out / "plots" / "confusion.json").read_text())
    assert [(c["actual"], c["predicted"]) for c in confusion] == [
        (actual, predicted) for actual in CODES for predicted in CODES
    ]
    for cell in confusion:
        pair = (cell["actual"], cell["predicted"])
        assert cell["papers"] == sum((p["label"], p["predicted"]) == pair for p in predictions)
    roc = json.loads((out / "plots" / "roc.json").read_text())
    assert list(dict.fromkeys(row["class"] for row in roc)) == list(CODES)
    for code in CODES:
        curve = [{"fpr": r["fpr"], "tpr": r["tpr"]} for r in roc if r["class"] == code]
        assert curve[0] == {"fpr": 0.0, "tpr": 0.0} and curve[-1] == {"fpr": 1.0, "tpr": 1.0}


def test_a_rerun_writes_identical_bytes(
    evaluated: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = files_under(evaluated["out"])
    monkeypatch.chdir(evaluated["out"].parents[1])
    evaluate(**evaluated)
    assert files_under(evaluated["out"]) == before


def test_a_model_trained_on_other_labels_is_refused_before_any_output(
    tiny_classifier: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = LabelSet(CODES, ("Artificial Intelligence", "Information Retrieval", "Robots"))
    paths = make_inputs(tmp_path, tiny_classifier, labels=other)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InferenceError, match=r"predicts .*'Robotics'.* the labels are"):
        evaluate(**paths)
    assert not (tmp_path / "reports").exists()


def test_dvc_plots_show_renders_the_plot_data(evaluated: dict[str, Path], tmp_path: Path) -> None:
    """dvc.yaml's top-level `plots:` with the templates of .dvc/plots/, on the stage's output."""
    repo = tmp_path / "repo"
    shutil.copytree(evaluated["out"], repo / "reports" / "eval")
    plots = [  # the evaluate stage's: the training curves are not here
        plot
        for plot in yaml.safe_load((ROOT / "dvc.yaml").read_text())["plots"]
        if next(iter(plot)).startswith("reports/eval/")
    ]
    (repo / "dvc.yaml").write_text(yaml.safe_dump({"plots": plots}))

    def run(*args: str) -> str:
        done = subprocess.run(args, cwd=repo, capture_output=True, text=True, check=True)
        return done.stdout

    run("git", "init", "-q")
    run(sys.executable, "-m", "dvc", "init", "-q")
    shutil.copytree(ROOT / ".dvc" / "plots", repo / ".dvc" / "plots")
    shown = json.loads(run(sys.executable, "-m", "dvc", "plots", "show", "--json"))

    assert "errors" not in shown
    confusion = shown["data"]["reports/eval/plots/confusion.json"][0]["content"]
    assert {"actual", "predicted", "papers"} <= set(confusion["data"]["values"][0])
    assert len(confusion["data"]["values"]) == len(CODES) ** 2
    assert confusion["spec"]["layer"][-1]["encoding"]["text"]["field"] == "papers"  # cell counts
    roc = shown["data"]["reports/eval/plots/roc.json"][0]["content"]
    assert {v["class"] for v in roc["data"]["values"]} == set(CODES)
    assert roc["title"]["text"].startswith("One-vs-rest ROC curves")
    chance, curves = roc["layer"]
    assert chance["encoding"]["x2"] == chance["encoding"]["y2"] == {"datum": 1}
    # One line per class (a colour and a legend entry each), one dash pattern per revision.
    assert curves["encoding"]["color"]["field"] == "class"
    assert curves["encoding"]["strokeDash"]["field"] == "rev"
    assert curves["encoding"]["x"]["title"] == "false positive rate"
    assert curves["encoding"]["y"]["title"] == "true positive rate"
