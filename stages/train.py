"""train: fine-tune model.checkpoint on data/tokenized -> models/model, curves in reports/train."""

from pathlib import Path

from datasets import load_from_disk

from arxivist.atomic import atomic_path
from arxivist.checkpoints import resolve_checkpoint
from arxivist.compute import resolve
from arxivist.labels import LabelSet
from arxivist.params import load_params
from arxivist.processes import check_processes, is_main
from arxivist.stage import run_stage
from arxivist.training import fine_tune


def train(tokenized: Path, labels: Path, model: Path, reports: Path) -> None:
    params = load_params()
    data = load_from_disk(str(tokenized))
    checkpoint = resolve_checkpoint(params.model)
    compute = resolve(params.train.precision)
    check_processes(params.train.processes, compute)
    tuned = fine_tune(
        data, LabelSet.load(labels), checkpoint, params.train, params.train.seed, reports, compute
    )
    if is_main():
        with atomic_path(model) as tmp:
            tuned.save(tmp, params.tokenize.max_length)


if __name__ == "__main__":
    run_stage(train, "tokenized", "labels", "model", "reports", doc=__doc__)
