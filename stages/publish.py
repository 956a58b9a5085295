"""publish: model + tokenizer + model card -> models/published. Uploading: arxivist push-to-hub."""

import json
from pathlib import Path

import pandas as pd

from arxivist.data.splits import SPLITS
from arxivist.labels import LabelSet
from arxivist.params import load_params
from arxivist.publishing.card_data import (
    DataSummary,
    check_eval_metrics,
    load_fetch_report,
    load_report,
)
from arxivist.publishing.card_text import build_card
from arxivist.publishing.folder import assemble, check_model
from arxivist.stage_runner import run_stage


def publish(
    model: Path,
    evaluation: Path,
    train_metrics: Path,
    train_details: Path,
    fetch_report: Path,
    labels: Path,
    splits: Path,
    out: Path,
) -> None:
    params = load_params()
    label_set = LabelSet.load(labels)
    check_model(model, label_set)
    report = json.loads(evaluation.read_text(encoding="utf-8"))
    check_eval_metrics(report, label_set, str(evaluation))
    frames = {
        name: pd.read_parquet(splits / f"{name}.parquet", columns=["label", "published"])
        for name in SPLITS
    }
    training = load_report(train_metrics, train_details)
    card = build_card(
        params,
        label_set,
        DataSummary.from_splits(frames, label_set),
        report,
        training,
        load_fetch_report(fetch_report),
    )
    assemble(model, card, out)


if __name__ == "__main__":
    run_stage(
        publish,
        *("model", "evaluation", "train_metrics", "train_details", "fetch_report"),
        *("labels", "splits", "out"),
        doc=__doc__,
    )
