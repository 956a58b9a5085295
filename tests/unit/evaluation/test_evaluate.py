"""The baselines and evaluate stages: both baselines, every output, intervals, `dvc plots`."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from arxivist.atomic import write_jsonl
from arxivist.errors import ArxivistError
from arxivist.evaluation.baselines import fit_encoder_probe, fit_tfidf
from arxivist.evaluation.metrics import HEADLINE, MetricsError, classification_metrics
from arxivist.evaluation.plots import SYSTEM_NAMES, pair_label
from arxivist.jsonlines import read_jsonl
from arxivist.labels import LabelSet
from arxivist.model.compute import resolve
from arxivist.model.inference import InferenceError
from arxivist.model.torch_inference import load_encoder
from arxivist.params import BaselinesParams
from stages.baselines import baselines
from stages.evaluate import evaluate
from standins.tiny_bert import LABELS, model_params
from standins.workspace import ROOT, dvc
from web.browser import visit

CODES = LABELS.codes
TOPICS = {
    0: ["planning", "reasoning", "agents", "knowledge", "logic"],
    1: ["retrieval", "ranking", "query", "recommender", "relevance"],
    2: ["robot", "grasping", "manipulation", "navigation", "motion"],
}
FILLER = ["learning", "neural", "network", "model", "data", "benchmark", "results", "method"]
BASELINES = {
    "tfidf_max_features": 500,
    "tfidf_c": 10.0,
    "encoder_cs": [1.0, 100.0],
    "encoder_folds": 3,
}
PARAMS = {
    "tokenize": {"max_length": 32},
    "baselines": BASELINES,
    "evaluate": {"batch_tokens": 64, "precision": "fp32", "bootstrap_resamples": 200},
}
SYSTEMS = ("model", "encoder", "tfidf")


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
            "id": [f"24{seed:02d}.{i:05d}" for i in range(len(texts))],
            "title": [f"{split} paper {i}" for i in range(len(texts))],
            "abstract": texts,
            "primary_category": [CODES[label] for label in labels],
            "categories": [[CODES[label]] for label in labels],
            "published": None,
            "label": labels.astype("int64"),
        }
    )


def test_the_tfidf_baseline_separates_a_separable_toy_set_deterministically() -> None:
    params = BaselinesParams(**BASELINES)
    train_texts, train_labels = toy_corpus(10, seed=1)
    test_texts, test_labels = toy_corpus(5, seed=2)

    first = fit_tfidf(train_texts, train_labels, CODES, params)
    probabilities = first.predict_proba(test_texts)
    metrics = classification_metrics(test_labels, probabilities, CODES)
    assert metrics["accuracy"] == 1.0 and metrics["roc_auc_ovr"] == 1.0

    again = fit_tfidf(train_texts, train_labels, CODES, params)
    np.testing.assert_array_equal(again.predict_proba(test_texts), probabilities)


@pytest.mark.parametrize("fit", [fit_tfidf, fit_encoder_probe])
def test_each_baseline_needs_every_class_in_training(fit) -> None:
    texts, labels = toy_corpus(3, seed=1)
    keep = labels != 2
    inputs = [t for t, k in zip(texts, keep, strict=True) if k]
    if fit is fit_encoder_probe:
        inputs = np.random.default_rng(0).normal(size=(len(inputs), 4))
    with pytest.raises(MetricsError, match=r"cs\.RO"):
        fit(inputs, labels[keep], CODES, BaselinesParams(**BASELINES))


def test_the_encoder_probe_chooses_c_on_its_training_rows_only() -> None:
    """Well-separated features want weak regularisation, noise wants strong: the C chosen by
    cross-validation follows the training rows, and the same rows give the same model."""
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 30)
    separable = np.eye(3)[labels] + rng.normal(scale=0.05, size=(90, 3))
    noise = rng.normal(size=(90, 3))
    params = BaselinesParams(**BASELINES | {"encoder_cs": [0.001, 1000.0]})

    assert fit_encoder_probe(separable, labels, CODES, params).C_ == 1000.0
    assert fit_encoder_probe(noise, labels, CODES, params).C_ == 0.001
    again = fit_encoder_probe(separable, labels, CODES, params)
    np.testing.assert_array_equal(
        again.predict_proba(separable),
        fit_encoder_probe(separable, labels, CODES, params).predict_proba(separable),
    )


def test_frozen_embeddings_are_mean_pooled_normalised_and_batch_independent(
    tiny_bert: Path,
) -> None:
    """Token batches pad texts together; each embedding equals the text's own forward pass."""
    from transformers import AutoModel, AutoTokenizer

    texts, _ = toy_corpus(3, seed=4)
    texts[0] = " ".join([texts[0]] * 5)  # longer than max_length: truncated
    encoder = load_encoder(tiny_bert, max_length=16, compute=resolve("fp32"))
    embedded = encoder.embed(texts, batch_tokens=64)

    tokenizer, model = (
        AutoTokenizer.from_pretrained(tiny_bert),
        AutoModel.from_pretrained(tiny_bert),
    )
    for text, row in zip(texts, embedded, strict=True):
        batch = tokenizer(text, truncation=True, max_length=16, return_tensors="pt")
        with torch.inference_mode():
            mean = model(**batch).last_hidden_state[0].double().mean(dim=0)
        np.testing.assert_allclose(row, (mean / mean.norm()).numpy(), atol=1e-6)
    assert encoder.embed([], batch_tokens=64).shape == (0, model.config.hidden_size)


def later_records(per_class: int, seed: int) -> list[dict]:
    """data/later/papers.jsonl's records: the toy corpus as later papers."""
    frame = split_frame("later", per_class, seed).drop(columns="label")
    return [
        {**row, "categories": list(row["categories"])} for row in frame.to_dict(orient="records")
    ]


def make_inputs(
    root: Path, tiny_bert: Path, tiny_classifier: Path, labels: LabelSet = LABELS
) -> dict[str, Path]:
    """params.yaml, the split parquet files, later papers and labels.json under `root`."""
    (root / "params.yaml").write_text(yaml.safe_dump(PARAMS | {"model": model_params(tiny_bert)}))
    splits = root / "data" / "split"
    splits.mkdir(parents=True)
    split_frame("train", per_class=8, seed=1).to_parquet(splits / "train.parquet")
    split_frame("validation", per_class=3, seed=4).to_parquet(splits / "validation.parquet")
    split_frame("test", per_class=4, seed=2).to_parquet(splits / "test.parquet")
    split_frame("validation", per_class=3, seed=4).to_parquet(splits / "validation.parquet")
    write_jsonl(root / "data" / "later" / "papers.jsonl", later_records(per_class=5, seed=3))
    labels.save(root / "data" / "labeled" / "labels.json")
    return {
        "model": tiny_classifier,
        "splits": splits,
        "later": root / "data" / "later" / "papers.jsonl",
        "baselines": root / "data" / "baselines" / "predictions.jsonl",
        "labels": root / "data" / "labeled" / "labels.json",
        "out": root / "reports" / "eval",
    }


def run_both(paths: dict[str, Path]) -> None:
    """The baselines stage, then the evaluate stage, as dvc.yaml runs them."""
    baselines(paths["splits"], paths["later"], paths["labels"], paths["baselines"])
    evaluate(**paths)


@pytest.fixture(scope="module")
def evaluated(
    tiny_bert: Path, tiny_classifier: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Both stages run once in a tiny project; its path arguments."""
    root = tmp_path_factory.mktemp("project")
    paths = make_inputs(root, tiny_bert, tiny_classifier)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        run_both(paths)
    return paths


def files_under(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_the_baselines_stage_scores_every_paper_of_both_sets(evaluated: dict[str, Path]) -> None:
    records = read_jsonl(evaluated["baselines"])
    test = pd.read_parquet(evaluated["splits"] / "test.parquet")
    later = read_jsonl(evaluated["later"])
    expected = {
        (name, system, paper)
        for name, ids in (("later", [r["id"] for r in later]), ("test", test["id"]))
        for system in ("encoder", "tfidf")
        for paper in ids
    }
    assert {(r["set"], r["system"], r["id"]) for r in records} == expected
    assert len(records) == len(expected)
    for record in records:
        assert list(record["probabilities"]) == list(CODES)
        assert sum(record["probabilities"].values()) == pytest.approx(1, abs=1e-5)


def test_the_evaluate_stage_writes_every_output(evaluated: dict[str, Path]) -> None:
    out = evaluated["out"]
    test = pd.read_parquet(evaluated["splits"] / "test.parquet")
    later = read_jsonl(evaluated["later"])
    assert set(files_under(out)) == {
        "later/model.json",
        "later/encoder.json",
        "later/tfidf.json",
        "details.json",
        "predictions.jsonl",
        *(
            f"plots/{name}/{plot}.json"
            for name in ("later", "test")
            for plot in ("confusion", "roc")
        ),
        "plots/later/systems.json",
        "plots/later/differences.json",
    }

    details = json.loads((out / "details.json").read_text())
    assert set(details) == {"later", "test", "compute"}
    assert details["compute"] == resolve("fp32").describe()
    assert (details["test"]["papers"], details["later"]["papers"]) == (len(test), len(later))
    for system in SYSTEMS:
        headline = json.loads((out / "later" / f"{system}.json").read_text())
        assert headline == {k: details["later"][system][k] for k in HEADLINE}
    for name, report in ((n, details[n]) for n in ("later", "test")):
        assert set(report) == {"papers", *SYSTEMS, "differences"}
        for system in SYSTEMS:
            m = report[system]
            assert set(m) == {"roc_auc_ovr", "macro_f1", "accuracy", "per_class", "intervals"}
            assert list(m["per_class"]) == list(CODES)
            for per_class in m["per_class"].values():
                assert set(per_class) == {"precision", "recall", "f1", "roc_auc", "support"}
                assert all(0 <= per_class[k] <= 1 for k in ("precision", "recall", "f1", "roc_auc"))
            for key in HEADLINE:
                bounds = m["intervals"][key]
                assert bounds["value"] == m[key], (name, system, key)
                assert 0 <= bounds["low"] <= bounds["value"] <= bounds["high"] <= 1
        assert set(report["differences"]) == {"model - encoder", "model - tfidf"}
        for pair, by_metric in report["differences"].items():
            baseline = pair.removeprefix("model - ")
            for key, d in by_metric.items():
                assert d["value"] == pytest.approx(report["model"][key] - report[baseline][key])
                assert d["low"] <= d["value"] <= d["high"]
                assert d["verdict"] in ("better", "worse", "no evidence")
        assert report["tfidf"]["accuracy"] == 1.0, name  # the toy topics are separable by words

    predictions = read_jsonl(out / "predictions.jsonl")
    validation = pd.read_parquet(evaluated["splits"] / "validation.parquet")
    assert [(p["set"], p["id"]) for p in predictions] == [
        *(("later", r["id"]) for r in later),
        *(("test", i) for i in test["id"]),
        *(("validation", i) for i in validation["id"]),
    ]
    truth = [
        *(r["primary_category"] for r in later),
        *test["primary_category"],
        *validation["primary_category"],
    ]
    assert [p["label"] for p in predictions] == truth
    for p in predictions:
        assert list(p["probabilities"]) == list(CODES)
        assert sum(p["probabilities"].values()) == pytest.approx(1, abs=1e-5)
        assert p["predicted"] == max(p["probabilities"], key=p["probabilities"].get)
    on_test = [p for p in predictions if p["set"] == "test"]
    hits = sum(p["label"] == p["predicted"] for p in on_test)
    assert details["test"]["model"]["accuracy"] == round(hits / len(on_test), 6)


def test_the_plot_data_of_each_set_carries_its_counts(evaluated: dict[str, Path]) -> None:
    """Per set, the model's confusion cells and ROC curves, each row with the set's size."""
    out = evaluated["out"]
    predictions = read_jsonl(out / "predictions.jsonl")
    details = json.loads((out / "details.json").read_text())
    for name in ("later", "test"):
        on_set = [p for p in predictions if p["set"] == name]
        confusion = json.loads((out / "plots" / name / "confusion.json").read_text())
        assert [(c["actual"], c["predicted"]) for c in confusion] == [
            (actual, predicted) for actual in CODES for predicted in CODES
        ]
        for cell in confusion:
            pair = (cell["actual"], cell["predicted"])
            assert cell["papers"] == sum((p["label"], p["predicted"]) == pair for p in on_set)
        roc = json.loads((out / "plots" / name / "roc.json").read_text())
        assert list(dict.fromkeys(row["class"] for row in roc)) == list(CODES)
        for code in CODES:
            curve = [{"fpr": r["fpr"], "tpr": r["tpr"]} for r in roc if r["class"] == code]
            assert curve[0] == {"fpr": 0.0, "tpr": 0.0} and curve[-1] == {"fpr": 1.0, "tpr": 1.0}
        assert {row["set_papers"] for row in confusion + roc} == {details[name]["papers"]}


def test_the_later_sets_systems_and_differences_are_plotted_with_their_intervals(
    evaluated: dict[str, Path],
) -> None:
    later = json.loads((evaluated["out"] / "details.json").read_text())["later"]
    plots = evaluated["out"] / "plots" / "later"
    metrics = {"roc_auc_ovr": "ROC-AUC", "macro_f1": "macro-F1"}
    systems = json.loads((plots / "systems.json").read_text())
    names = {"model": "fine-tuned model", "encoder": "frozen encoder + LR", "tfidf": "TF-IDF + LR"}
    assert systems == [
        {"system": names[s], "metric": metrics[m], **later[s]["intervals"][m], "set_papers": 15}
        for s in SYSTEMS
        for m in HEADLINE
    ]
    differences = json.loads((plots / "differences.json").read_text())
    assert differences == [
        {
            "pair": f"fine-tuned model - {names[b]}",
            "metric": metrics[m],
            **later["differences"][f"model - {b}"][m],  # value, low, high and the verdict
            "set_papers": 15,
        }
        for b in ("encoder", "tfidf")
        for m in HEADLINE
    ]


def test_a_rerun_writes_identical_bytes(
    evaluated: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = files_under(evaluated["out"]), evaluated["baselines"].read_bytes()
    monkeypatch.chdir(evaluated["out"].parents[1])
    run_both(evaluated)
    assert (files_under(evaluated["out"]), evaluated["baselines"].read_bytes()) == before


def test_a_model_trained_on_other_labels_is_refused_before_any_output(
    tiny_bert: Path, tiny_classifier: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = LabelSet(CODES, ("Artificial Intelligence", "Information Retrieval", "Robots"))
    paths = make_inputs(tmp_path, tiny_bert, tiny_classifier, labels=other)
    monkeypatch.chdir(tmp_path)
    baselines(paths["splits"], paths["later"], paths["labels"], paths["baselines"])
    with pytest.raises(InferenceError, match=r"predicts .*'Robotics'.* the labels are"):
        evaluate(**paths)
    assert not (tmp_path / "reports").exists()


def test_a_text_of_the_train_split_in_a_set_that_judges_it_is_refused_in_one_line(
    tiny_bert: Path, tiny_classifier: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both stages that score the sets refuse, before any model is loaded, a paper whose
    abstract is a train paper's once normalised (case, punctuation, spacing)."""
    paths = make_inputs(tmp_path, tiny_bert, tiny_classifier)
    train = pd.read_parquet(paths["splits"] / "train.parquet")
    test = pd.read_parquet(paths["splits"] / "test.parquet")
    test.loc[2, "abstract"] = f"  {train.loc[5, 'abstract'].upper()}!"
    test.to_parquet(paths["splits"] / "test.parquet")
    later = read_jsonl(paths["later"])
    later[0]["abstract"] = train.loc[7, "abstract"]
    write_jsonl(paths["later"], later)
    expected = (
        "the train split shares 2 abstract texts (normalised) with the sets that judge it "
        f"(later 1, test 1; first: later {later[0]['id']} = train {train.loc[7, 'id']}; test "
        f"{test.loc[2, 'id']} = train {train.loc[5, 'id']}): each paper must be in one set only; "
        "fetch and later drop such papers, so rerun them (dvc repro)"
    )
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ArxivistError) as caught:
        baselines(paths["splits"], paths["later"], paths["labels"], paths["baselines"])
    assert str(caught.value) == expected
    with pytest.raises(ArxivistError) as caught:
        evaluate(**paths)
    assert str(caught.value) == expected
    assert not paths["baselines"].exists() and not paths["out"].exists()


def test_baseline_predictions_missing_a_paper_are_refused_naming_the_file(
    evaluated: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = read_jsonl(evaluated["baselines"])
    short = tmp_path / "predictions.jsonl"
    write_jsonl(short, [r for r in records if r["system"] != "tfidf" or r["set"] != "later"][1:])
    monkeypatch.chdir(evaluated["out"].parents[1])
    with pytest.raises(
        ArxivistError,
        match=r"predictions\.jsonl: no encoder prediction for 1 papers of the later set",
    ):
        evaluate(**evaluated | {"baselines": short, "out": tmp_path / "eval"})
    assert not (tmp_path / "eval").exists()


def test_the_plots_page_draws_the_later_set_with_its_intervals_in_chromium(
    evaluated: dict[str, Path], tmp_path: Path
) -> None:
    """dvc.yaml's evaluate plots, through the templates and the page of .dvc/plots/, on the
    stage's output: drawn offline, each title with its set and size, the later set's counts in
    its confusion cells, every system's interval and every difference's where details.json has
    them, read off the drawn y axis, and 0 drawn on the differences."""
    repo = tmp_path / "repo"
    shutil.copytree(evaluated["out"], repo / "reports" / "eval")
    plots = [  # the evaluate stage's: the training curves are not here
        plot
        for plot in yaml.safe_load((ROOT / "dvc.yaml").read_text())["plots"]
        if next(iter(plot)).startswith("reports/eval/")
    ]
    (repo / "dvc.yaml").write_text(yaml.safe_dump({"plots": plots}))
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    dvc(repo, "init", "-q")
    shutil.copytree(ROOT / ".dvc" / "plots", repo / ".dvc" / "plots")
    dvc(repo, "config", "plots.html_template", "plots/page.html")
    dvc(repo, "plots", "show", "-o", str(tmp_path / "page"))

    page = tmp_path / "page" / "index.html"
    seen = visit(page)
    assert (seen.problems, seen.requests) == ([], [page.as_uri()])
    assert len(seen.charts) == len(plots) == 6
    assert all(chart.drawn for chart in seen.charts.values())
    details = json.loads((evaluated["out"] / "details.json").read_text())
    later, test = details["later"]["papers"], details["test"]["papers"]
    titles = {chart_id: chart.titles[-1] for chart_id, chart in seen.charts.items()}
    assert titles == {
        "reports_eval_plots_later_systems_json": (
            f"The model beside the baselines, later set ({later} papers)"
        ),
        "reports_eval_plots_later_differences_json": (
            f"Paired differences model - baseline, later set ({later} papers)"
        ),
        "reports_eval_plots_later_confusion_json": f"Confusion matrix, later set ({later} papers)",
        "reports_eval_plots_later_roc_json": f"One-vs-rest ROC curves, later set ({later} papers)",
        "reports_eval_plots_test_confusion_json": f"Confusion matrix, test split ({test} papers)",
        "reports_eval_plots_test_roc_json": f"One-vs-rest ROC curves, test split ({test} papers)",
    }
    predicted = [
        (p["label"], p["predicted"])
        for p in read_jsonl(evaluated["out"] / "predictions.jsonl")
        if p["set"] == "later"
    ]
    cells = seen.charts["reports_eval_plots_later_confusion_json"].mark_texts
    assert cells == [str(predicted.count((a, p))) for a in CODES for p in CODES]

    systems = seen.charts["reports_eval_plots_later_systems_json"]
    differences = seen.charts["reports_eval_plots_later_differences_json"]
    for chart, x_title, expected in (
        (systems, "system", {SYSTEM_NAMES[s]: details["later"][s]["intervals"] for s in SYSTEMS}),
        (
            differences,
            "paired difference",
            {pair_label(p): d for p, d in details["later"]["differences"].items()},
        ),
    ):
        assert len(chart.panels) == len(HEADLINE)  # a panel per metric
        for panel, metric in zip(chart.panels, HEADLINE, strict=True):
            # An error bar and a point per system (or pair) and revision, here the workspace's,
            # spanning the interval of details.json (to a pixel).
            wanted = {
                (name, "workspace"): pytest.approx(
                    (bounds[metric]["low"], bounds[metric]["high"], bounds[metric]["value"]),
                    abs=panel.per_pixel,
                )
                for name, bounds in expected.items()
            }
            assert panel.intervals(x_title) == wanted, metric
    assert [panel.dark_grid for panel in systems.panels] == [[], []]
    zero = [[pytest.approx(0, abs=panel.per_pixel)] for panel in differences.panels]
    assert [panel.dark_grid for panel in differences.panels] == zero  # the zero line, per panel
