"""Which of the train stage's processes this one is, under PyTorch's own launcher.

dvc.yaml runs the train stage as `python -m torch.distributed.run --nproc-per-node
${train.processes} -m stages.train ...`: torchrun starts that many copies and tells each its RANK
and WORLD_SIZE; the Hugging Face Trainer then wraps the model in DistributedDataParallel (gloo on
CPUs, NCCL on GPUs). Every process trains; only rank 0 writes outputs, curves and logs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch

from arxivist.compute import Compute
from arxivist.errors import ArxivistError


class ProcessesError(ArxivistError):
    """train.processes cannot run here; the message names the param."""


def rank() -> int:
    """This process's rank among torchrun's (0 when run alone)."""
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    """How many processes train together (1 when run alone)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main() -> bool:
    """Rank 0: the one process that writes outputs, curves and logs."""
    return rank() == 0


def check_processes(wanted: int, compute: Compute) -> None:
    """Fail unless this run has the `wanted` processes, each with a device of its own on a GPU."""
    if world_size() != wanted:
        raise ProcessesError(
            f"train.processes is {wanted} but {world_size()} process(es) run: start the stage as "
            "dvc.yaml does (python -m torch.distributed.run --nproc-per-node ...)"
        )
    if compute.device == "cuda" and wanted > torch.cuda.device_count():
        raise ProcessesError(
            f"train.processes={wanted} exceeds the {torch.cuda.device_count()} visible GPU(s)"
        )


@contextmanager
def shared_scratch(prefix: str) -> Iterator[str]:
    """A temporary folder outside the repository that every process of the run sees (Trainer
    checkpoints: rank 0 saves them, all ranks load the best); removed by rank 0 at the end."""
    run_id = os.environ.get("TORCHELASTIC_RUN_ID") or uuid.uuid4().hex
    folder = Path(tempfile.gettempdir()) / f"{prefix}{run_id}-{world_size()}"
    folder.mkdir(exist_ok=True)
    try:
        yield str(folder)
    finally:
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.barrier()
        if is_main():
            shutil.rmtree(folder, ignore_errors=True)
