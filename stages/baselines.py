"""baselines: TF-IDF and the frozen encoder, each + logistic regression fitted on the train split,
scored on the later papers and the test split -> data/baselines/predictions.jsonl.

Its own stage, so an experiment that changes only training reuses these predictions from DVC's
cache instead of embedding every paper again.
"""

from pathlib import Path

import pandas as pd

from arxivist.atomic import write_jsonl
from arxivist.evaluation.baselines import baseline_records, score_baselines
from arxivist.evaluation.sets import load_evaluation_sets
from arxivist.labels import LabelSet
from arxivist.model.checkpoints import resolve_checkpoint
from arxivist.model.compute import resolve
from arxivist.model.torch_inference import load_encoder
from arxivist.params import load_params
from arxivist.stage_runner import run_stage


def baselines(splits: Path, later: Path, labels: Path, out: Path) -> None:
    params = load_params()
    label_set = LabelSet.load(labels)
    sets = load_evaluation_sets(splits, later, label_set)
    train = pd.read_parquet(splits / "train.parquet")
    compute = resolve(params.evaluate.precision)
    encoder = load_encoder(resolve_checkpoint(params.model), params.tokenize.max_length, compute)
    scores = score_baselines(
        train, sets, label_set.codes, params.baselines, encoder, params.evaluate.batch_tokens
    )
    write_jsonl(out, baseline_records(scores, sets, label_set.codes))


if __name__ == "__main__":
    run_stage(baselines, "splits", "later", "labels", "out", doc=__doc__)
