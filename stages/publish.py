"""publish: model + tokenizer + model card (+ the int8 ONNX model when it passes its quality gate
on the later set) -> models/published. Uploading: arxivist push-to-hub."""

import json
import tempfile
from pathlib import Path

import pandas as pd

from arxivist.data.splits import SPLITS
from arxivist.labels import LabelSet
from arxivist.model.onnx_inference import INT8_MODEL
from arxivist.params import load_params
from arxivist.publishing.card_data import (
    DataSummary,
    check_eval_metrics,
    load_fetch_report,
    load_report,
)
from arxivist.publishing.card_text import build_card
from arxivist.publishing.folder import assemble, check_model, gate_int8_model
from arxivist.publishing.onnx_export import check_extra
from arxivist.stage_runner import run_stage


def publish(
    model: Path,
    evaluation: Path,
    train_metrics: Path,
    train_details: Path,
    fetch_report: Path,
    labels: Path,
    splits: Path,
    later: Path,
    out: Path,
) -> None:
    params = load_params()
    label_set = LabelSet.load(labels)
    check_model(model, label_set)
    if params.publish.int8:
        check_extra()
    report = json.loads(evaluation.read_text(encoding="utf-8"))
    check_eval_metrics(report, label_set, str(evaluation))
    frames = {
        name: pd.read_parquet(splits / f"{name}.parquet", columns=["label", "published"])
        for name in SPLITS
    }
    training = load_report(train_metrics, train_details)
    data = DataSummary.from_splits(frames, label_set)
    fetched = load_fetch_report(fetch_report)
    with tempfile.TemporaryDirectory() as scratch:
        gate = gate_int8_model(model, later, label_set, params.publish, Path(scratch))
        card = build_card(params, label_set, data, report, training, fetched, gate)
        extra = {INT8_MODEL: Path(scratch) / INT8_MODEL} if gate and gate.passed else {}
        assemble(model, card, out, extra)


if __name__ == "__main__":
    run_stage(
        publish,
        *("model", "evaluation", "train_metrics", "train_details", "fetch_report"),
        *("labels", "splits", "later", "out"),
        doc=__doc__,
    )
