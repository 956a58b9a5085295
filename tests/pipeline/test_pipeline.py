"""Every stage of dvc.yaml under `dvc repro` in a fresh git repo, with a tiny BERT, as users do."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml
from datasets import load_from_disk

from arxivist.evaluation.sets import SETS
from arxivist.jsonlines import read_jsonl
from standins.tiny_bert import TOLERANCE
from standins.workspace import (
    BIN,
    REPORT_FILES,
    ROOT,
    TINY_PARAMS,
    dvc,
    tiny_pipeline_workspace,
    tool_env,
)
from web.browser import visit

pytestmark = pytest.mark.slow

STAGES = tuple(yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"])
OUTPUTS = [
    "data/raw/papers.jsonl",
    "data/labeled/papers.parquet",
    "data/labeled/labels.json",
    "data/split/train.parquet",
    "data/split/validation.parquet",
    "data/split/test.parquet",
    "data/later/papers.jsonl",
    "data/tokenized/dataset_dict.json",
    "data/baselines/predictions.jsonl",
    "models/model/model.safetensors",
    "models/model/config.json",
    "models/model/tokenizer.json",
    *REPORT_FILES,
    "reports/eval/predictions.jsonl",
    "models/published/README.md",
    "models/published/model.safetensors",
]


# dvc.yaml's plots, by plot id, and the ids of their <div>s on the plots page, in its order.
PLOT_IDS = {
    **{
        f"reports/eval/plots/{name}.json": f"reports_eval_plots_{name.replace('/', '_')}_json"
        for name in (
            *("later/systems", "later/differences", "later/confusion", "later/roc"),
            *("test/confusion", "test/roc"),
        )
    },
    "Loss per epoch": "Loss_per_epoch",
    "Validation scores per epoch": "Validation_scores_per_epoch",
}


@pytest.fixture(scope="module")
def reproduced(tmp_path_factory: pytest.TempPathFactory, tiny_bert: Path) -> tuple[Path, str]:
    workspace = tiny_pipeline_workspace(tmp_path_factory.mktemp("pipeline"), tiny_bert)
    return workspace, dvc(workspace, "repro").stdout


def test_every_stage_runs_in_order_and_writes_its_outputs(reproduced: tuple[Path, str]) -> None:
    workspace, log = reproduced
    positions = [log.index(f"Running stage '{stage}'") for stage in STAGES]
    assert positions == sorted(positions)
    missing = [out for out in OUTPUTS if not (workspace / out).is_file()]
    assert missing == []


def test_data_outputs_follow_the_stage_contracts(reproduced: tuple[Path, str]) -> None:
    workspace, _ = reproduced
    wanted = TINY_PARAMS["fetch"]["categories"]
    raw = [
        json.loads(line) for line in (workspace / "data/raw/papers.jsonl").read_text().splitlines()
    ]
    assert len(raw) == sum(wanted.values())
    assert [r["id"] for r in raw] == sorted(r["id"] for r in raw)
    labels = json.loads((workspace / "data/labeled/labels.json").read_text())
    assert labels["cs.IR"] == {"id": 1, "name": "Information Retrieval"}
    sizes = {
        split: len(pd.read_parquet(workspace / f"data/split/{split}.parquet"))
        for split in ("train", "validation", "test")
    }
    assert sizes == {"train": 44, "validation": 11, "test": 10}  # 15% of 65, then 20% of 55
    tokenized = load_from_disk(str(workspace / "data/tokenized"))
    assert {split: len(tokenized[split]) for split in sizes} == sizes
    max_length = TINY_PARAMS["tokenize"]["max_length"]
    assert max(len(ids) for ids in tokenized["train"]["input_ids"]) <= max_length


def test_metrics_have_the_contract_keys_and_sane_ranges(reproduced: tuple[Path, str]) -> None:
    workspace, _ = reproduced
    evaluation = json.loads((workspace / "reports/eval/details.json").read_text())
    for name in ("later", "test"):
        for system in ("model", "encoder", "tfidf"):
            metrics = evaluation[name][system]
            for key in ("roc_auc_ovr", "macro_f1", "accuracy"):
                assert 0.0 <= metrics[key] <= 1.0, (name, system, key)
            assert set(metrics["per_class"]) == {"cs.AI", "cs.IR", "cs.RO"}
    predictions = read_jsonl(workspace / "reports/eval/predictions.jsonl")
    sets = ("later", "test", "validation")  # the model alone on validation: no report
    scored = {name: [p["id"] for p in predictions if p["set"] == name] for name in sets}
    assert sum(map(len, scored.values())) == len(predictions)
    assert [len(scored[name]) for name in sets[:2]] == [evaluation[n]["papers"] for n in sets[:2]]
    assert evaluation["later"]["papers"] == sum(TINY_PARAMS["later"]["categories"].values())
    training = json.loads((workspace / "reports/train/metrics.json").read_text())
    assert 1 <= training["best_epoch"] <= training["step"]
    shown = json.loads(dvc(workspace, "metrics", "show", "--json").stdout)
    files = next(iter(shown.values()))["data"]
    later = {f"reports/eval/later/{system}.json" for system in ("model", "encoder", "tfidf")}
    assert {"reports/train/metrics.json", *later} <= set(files)


def test_the_validation_predictions_are_the_validation_splits_papers_only(
    reproduced: tuple[Path, str],
) -> None:
    """What a sweep's pick reads: every validation paper, none of the test split or later set."""
    workspace, _ = reproduced
    scored: dict[str, list[str]] = {}
    for record in read_jsonl(workspace / "reports/eval/predictions.jsonl"):
        scored.setdefault(record["set"], []).append(record["id"])
    split = pd.read_parquet(workspace / "data/split/validation.parquet")
    assert scored["validation"] == split["id"].tolist()
    assert not set(scored["validation"]) & (set(scored["test"]) | set(scored["later"]))
    train = pd.read_parquet(workspace / "data/split/train.parquet")
    assert not set(scored["validation"]) & set(train["id"])


def test_dvc_plots_render_every_declared_plot(reproduced: tuple[Path, str]) -> None:
    workspace, _ = reproduced
    plots = json.loads(dvc(workspace, "plots", "show", "--json").stdout)
    errors = plots.get("errors") or []
    assert errors == []
    ids = set(plots["data"]) if "data" in plots else set(plots)
    assert ids == set(PLOT_IDS)


def test_the_plots_page_draws_every_chart_offline_in_chromium(
    reproduced: tuple[Path, str], tmp_path: Path
) -> None:
    """`dvc plots show` through the repository's page: every chart drawn, readable, titled with
    its set and paper count, no network. (tests/unit/evaluation/test_evaluate.py reads the
    intervals drawn.)"""
    workspace, _ = reproduced
    dvc(workspace, "plots", "show", "-o", str(tmp_path))
    page = tmp_path / "index.html"
    seen = visit(page)
    assert seen.problems == []
    assert seen.requests == [page.as_uri()]
    assert list(seen.charts) == list(PLOT_IDS.values())  # the later set first
    assert all(chart.drawn for chart in seen.charts.values())
    later = sum(TINY_PARAMS["later"]["categories"].values())
    titles = {chart_id: chart.titles[-1] for chart_id, chart in seen.charts.items()}
    sizes = {"later": f"later set ({later} papers)", "test": "test split (10 papers)"}
    for (
        name,
        size,
    ) in sizes.items():  # tests/unit/evaluation/test_evaluate.py reads these titles whole
        assert all(titles[c].endswith(size) for c in PLOT_IDS.values() if f"_{name}_" in c)
    assert titles["Loss_per_epoch"] == (
        "Loss per epoch, training (44 papers) and validation (11 papers)"
    )
    assert titles["Validation_scores_per_epoch"] == (
        "Validation scores per epoch, validation (11 papers; the best epoch is kept)"
    )
    classes = list(TINY_PARAMS["fetch"]["categories"])
    loss, scores = seen.charts["Loss_per_epoch"], seen.charts["Validation_scores_per_epoch"]
    assert loss.axis_titles == ["epoch", "cross-entropy loss"]
    revision = {"revision", "workspace"}  # the dash legend
    assert set(loss.legend) == {"training loss", "validation loss"} | revision  # counts undrawn
    assert (loss.lines, loss.dashes) == (2, 1)
    assert set(scores.legend) == {"validation roc auc", "validation macro f1"} | revision
    assert scores.lines == 2
    predictions = read_jsonl(workspace / "reports/eval/predictions.jsonl")
    for name in SETS:
        roc = seen.charts[f"reports_eval_plots_{name}_roc_json"]
        assert roc.axis_titles == ["false positive rate", "true positive rate"]
        assert set(classes) <= set(roc.legend)
        assert (roc.lines, roc.rules) == (len(classes), 1)  # a line per class, the chance diagonal
        confusion = seen.charts[f"reports_eval_plots_{name}_confusion_json"]
        assert confusion.rects == len(classes) ** 2
        pairs = [(p["label"], p["predicted"]) for p in predictions if p["set"] == name]
        assert confusion.mark_texts == [str(pairs.count((a, p))) for a in classes for p in classes]


def test_published_model_loads_in_a_pipeline_with_display_names(
    reproduced: tuple[Path, str],
) -> None:
    from transformers import pipeline

    workspace, _ = reproduced
    classify = pipeline("text-classification", model=str(workspace / "models/published"))
    (prediction,) = classify(["A robot grasps objects with a learned manipulation policy."])
    assert prediction["label"] in {"Artificial Intelligence", "Information Retrieval", "Robotics"}
    card = (workspace / "models/published/README.md").read_text()
    assert card.startswith("---\n") and "model-index" in card


def test_pipeline_truncates_the_published_model_as_evaluate_and_predict_do(
    reproduced: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """The published tokenizer carries tokenize.max_length, so a plain pipeline(truncation=True)
    scores as the evaluate stage did and, on texts longer than that, as `arxivist predict` does."""
    from transformers import AutoTokenizer, pipeline

    from arxivist.cli import main

    workspace, _ = reproduced
    published = workspace / "models/published"
    max_length = TINY_PARAMS["tokenize"]["max_length"]
    tokenizer = AutoTokenizer.from_pretrained(published)
    assert tokenizer.model_max_length == max_length
    classify = pipeline("text-classification", model=str(published), truncation=True, top_k=None)

    def scores(texts: list[str]) -> list[dict[str, float]]:
        return [{s["label"]: s["score"] for s in row} for row in classify(texts)]

    names = {
        code: entry["name"]
        for code, entry in json.loads((workspace / "data/labeled/labels.json").read_text()).items()
    }
    evaluated = [
        {names[code]: p for code, p in record["probabilities"].items()}
        for record in read_jsonl(workspace / "reports/eval/predictions.jsonl")
        if record["set"] == "test"
    ]
    test = pd.read_parquet(workspace / "data/split/test.parquet")["abstract"].tolist()
    ran = json.loads((workspace / "reports/eval/details.json").read_text())["compute"]["precision"]
    for mine, theirs in zip(scores(test), evaluated, strict=True):  # pipeline() runs fp32
        assert mine == pytest.approx(theirs, abs=TOLERANCE[ran])

    long = [" ".join([text] * 4) for text in test[:3]]
    assert min(len(ids) for ids in tokenizer(long)["input_ids"]) > max_length
    argv = ["--model", str(published), "--precision", "fp32", "--format", "jsonl", "--all-scores"]
    code = main(["predict", *argv, *long])
    predicted = [json.loads(line)["scores"] for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    for mine, theirs in zip(scores(long), predicted, strict=True):
        assert mine == pytest.approx(theirs, abs=1e-5)


def test_a_second_repro_does_nothing(reproduced: tuple[Path, str]) -> None:
    workspace, _ = reproduced
    again = dvc(workspace, "repro")
    assert "Running stage" not in again.stdout
    assert dvc(workspace, "status", "--json").stdout.strip() == "{}"


def test_bad_params_fail_before_work_and_leave_nothing(tmp_path: Path, tiny_bert: Path) -> None:
    workspace = tiny_pipeline_workspace(tmp_path, tiny_bert)
    params = (workspace / "params.yaml").read_text()
    (workspace / "params.yaml").write_text(params.replace("test_size: 0.15", "test_size: 1.5"))
    failed = dvc(workspace, "repro", check=False)
    assert failed.returncode != 0
    assert "params: split.test_size: must be strictly between 0 and 1" in failed.stderr
    assert not (workspace / "data").exists()


def test_metrics_and_experiment_tables_fit_160_columns(reproduced: tuple[Path, str]) -> None:
    """The headline numbers only: `dvc metrics show` fits 160 columns with a row per system, and
    `dvc exp show` as docs/experiments.md suggests shows the model's later-set metrics in a
    160-column terminal instead of `…`."""
    workspace, _ = reproduced
    shown = dvc(workspace, "metrics", "show").stdout
    assert max(len(line) for line in shown.splitlines()) <= 160, shown
    rows = [line.split()[0] for line in shown.splitlines()[1:]]
    later = [f"reports/eval/later/{system}.json" for system in ("model", "encoder", "tfidf")]
    assert rows == ["reports/train/metrics.json", *later], shown
    exp = dvc_wide(workspace, *EXP_SHOW).stdout
    assert max(len(line) for line in exp.splitlines()) <= 160, exp
    columns = (
        "val_roc_auc",
        "reports/eval/later/model.json:roc_auc_ovr",
        "reports/eval/later/model.json:macro_f1",
        "train.learning_rate",
    )
    assert all(column in exp for column in columns), exp


# docs/experiments.md's `dvc exp show`: the model's later-set headline metrics and the params
# experiments usually change (the baselines are the same for every training experiment: a row
# each in `dvc metrics show`).
EXP_SHOW = (
    *("exp", "show", "--no-pager", "--drop", ".*", "--keep"),
    "Experiment|best_epoch|val_roc_auc|reports/eval/later/model\\.json:.*|train\\.learning_rate",
)


def dvc_wide(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """dvc in a 160-column terminal (rich reads COLUMNS)."""
    env = {**tool_env(), "COLUMNS": "160"}
    return subprocess.run(
        [str(BIN / "dvc"), *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
