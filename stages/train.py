"""train: fine-tune model.checkpoint on data/tokenized -> models/model, curves in reports/train.

The model and then the reports are put in place only when training has finished, so an
interrupted or failed run leaves the previous outputs as they were (dvc.yaml persists them).
"""

from pathlib import Path

from datasets import load_from_disk

from arxivist.atomic import atomic_paths
from arxivist.labels import LabelSet
from arxivist.model.checkpoints import resolve_checkpoint
from arxivist.model.compute import check_devices, resolve
from arxivist.model.processes import is_main, launched_workers
from arxivist.model.training import fine_tune
from arxivist.params import load_params
from arxivist.stage_runner import run_stage


def train(tokenized: Path, labels: Path, model: Path, reports: Path) -> None:
    params = load_params()
    check_devices(params.train)
    compute = resolve(params.train.precision)
    command = ["-m", "stages.train", *map(str, (tokenized, labels, model, reports))]
    if launched_workers(params.train.processes, compute, command):
        return
    data = load_from_disk(str(tokenized))
    checkpoint = resolve_checkpoint(params.model)
    with atomic_paths(model, reports, write=is_main()) as (model_out, reports_out):
        tuned = fine_tune(
            data, LabelSet.load(labels), checkpoint, params.train, reports_out, compute
        )
        if is_main():
            tuned.save(model_out, params.tokenize.max_length)


if __name__ == "__main__":
    run_stage(train, "tokenized", "labels", "model", "reports", doc=__doc__)
