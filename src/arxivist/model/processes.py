"""The train stage's processes: one, or several data-parallel workers on this machine.

With `train.processes: 1` the stage trains in its own process. With N > 1 it becomes a launcher:
it starts N workers running the same command, each told its RANK and WORLD_SIZE, and waits. The
workers meet through a file store in a private temporary folder (no TCP rendezvous store, which
torchrun would open on every interface) and talk over gloo (CPU) or NCCL (GPU) bound to the
loopback interface: nothing listens beyond 127.0.0.1. The Hugging Face Trainer then wraps the model
in DistributedDataParallel over that process group. Every worker trains; only rank 0 writes
outputs, curves and logs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import torch

from arxivist.errors import ArxivistError
from arxivist.model.compute import Compute

RENDEZVOUS = "ARXIVIST_RENDEZVOUS"  # the file store the workers of one run join
RUN_ID = "ARXIVIST_RUN_ID"  # shared by the workers of one run: names their scratch folder


class ProcessesError(ArxivistError):
    """train.processes cannot run here, or a worker failed; the message names the param."""


def rank() -> int:
    """This process's rank among the run's workers (0 when run alone)."""
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    """How many processes train together (1 when run alone)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main() -> bool:
    """Rank 0: the one process that writes outputs, curves and logs."""
    return rank() == 0


def launched_workers(wanted: int, compute: Compute, command: list[str]) -> bool:
    """Run the stage in `wanted` processes: True when this process launched `wanted` workers, each
    running `python COMMAND`, that did the training (the caller has nothing left to do); False when
    this process trains (alone, or as a worker that has joined the others). `wanted` has passed
    `arxivist.model.compute.check_devices`."""
    if RENDEZVOUS in os.environ:
        _join(compute)
        return False
    if wanted == 1:
        return False
    _launch(wanted, command)
    return True


def _launch(count: int, command: list[str]) -> None:
    """Start `count` workers running `python COMMAND`; wait; fail if any fails."""
    loopback = _loopback_interface()
    with tempfile.TemporaryDirectory(prefix="arxivist-rendezvous-") as folder:
        common = {
            **os.environ,
            RENDEZVOUS: str(Path(folder) / "store"),
            RUN_ID: uuid.uuid4().hex,
            "WORLD_SIZE": str(count),
            "LOCAL_WORLD_SIZE": str(count),
            "MASTER_ADDR": "127.0.0.1",
            "GLOO_SOCKET_IFNAME": loopback,
            "NCCL_SOCKET_IFNAME": loopback,
        }
        workers = [
            subprocess.Popen(
                [sys.executable, *command],
                env={**common, "RANK": str(i), "LOCAL_RANK": str(i)},
            )
            for i in range(count)
        ]
        try:
            codes = [worker.wait() for worker in workers]
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.send_signal(signal.SIGINT)
            for worker in workers:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    worker.wait(timeout=30)
                if worker.poll() is None:
                    worker.kill()
    if failed := [i for i, code in enumerate(codes) if code != 0]:
        raise ProcessesError(
            f"train.processes={count}: worker {failed[0]} of {count} failed "
            f"(exit status {codes[failed[0]]}); its error is above"
        )


def _join(compute: Compute) -> None:
    """Join the run's process group through its file store."""
    if compute.device == "cuda":
        torch.cuda.set_device(rank())
    torch.distributed.init_process_group(
        backend="nccl" if compute.device == "cuda" else "gloo",
        init_method=f"file://{os.environ[RENDEZVOUS]}",
        rank=rank(),
        world_size=world_size(),
    )


def _loopback_interface() -> str:
    """The name of the network interface that holds 127.0.0.1 ("lo" on Linux)."""
    for name, addresses in psutil.net_if_addrs().items():
        if any(address.address == "127.0.0.1" for address in addresses):
            return name
    raise ProcessesError("train.processes > 1 needs a loopback interface (127.0.0.1); none found")


SCRATCH_PREFIX = "arxivist-train-"


@contextmanager
def shared_scratch() -> Iterator[str]:
    """A temporary folder outside the repository that every process of the run sees (Trainer
    checkpoints: rank 0 saves them, all ranks load the best); removed by rank 0 on any exit that
    runs Python's cleanup (an error, Ctrl-C, SIGTERM). Folders of killed runs (SIGKILL) are
    removed at the next start: each name carries the launching process's id."""
    owner = os.getppid() if RENDEZVOUS in os.environ else os.getpid()
    run_id = os.environ.get(RUN_ID) or uuid.uuid4().hex
    root = Path(tempfile.gettempdir())
    if is_main():
        remove_stale_scratch(root)
    folder = root / f"{SCRATCH_PREFIX}{owner}-{run_id}"
    folder.mkdir(exist_ok=True)
    try:
        yield str(folder)
    finally:
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            with contextlib.suppress(RuntimeError):  # a worker that died leaves no barrier
                torch.distributed.barrier()
        if is_main():
            shutil.rmtree(folder, ignore_errors=True)


def remove_stale_scratch(root: Path) -> list[Path]:
    """Remove the scratch folders under `root` whose launching process is gone; return them."""
    stale = []
    for folder in root.glob(f"{SCRATCH_PREFIX}*"):
        owner = folder.name.removeprefix(SCRATCH_PREFIX).split("-")[0]
        if owner.isdigit() and not psutil.pid_exists(int(owner)):
            shutil.rmtree(folder, ignore_errors=True)
            stale.append(folder)
    return stale
