"""What every stage script shares: path arguments from dvc.yaml, logging, clean user errors."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from arxivist.errors import ArxivistError


def run_stage(stage: Callable[..., None], *paths: str, doc: str | None = None) -> None:
    """Call `stage(**paths)` with the paths given on the command line (dvc.yaml's `cmd`).

    A user's error (bad params, bad input) ends the process with one line naming the problem.
    """
    parser = argparse.ArgumentParser(description=doc)
    for name in paths:
        parser.add_argument(name, type=Path)
    args = parser.parse_args()
    # With several workers only rank 0 logs progress; the others report warnings and errors.
    level = logging.INFO if os.environ.get("RANK", "0") == "0" else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(name)s: %(message)s")
    # SIGTERM (`kill`, a CI runner's stop) unwinds like Ctrl-C, so cleanups in `finally` run.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        stage(**vars(args))
    except ArxivistError as err:
        sys.exit(f"error: {err}")


def _exit_on_signal(signum: int, _frame: object) -> None:
    sys.exit(128 + signum)
