"""What every stage script shares: path arguments from dvc.yaml, logging, clean user errors."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path

from arxivist.errors import ArxivistError, DiskFull, disk_full, report

ENDPOINT_VARIABLE = "HF_ENDPOINT"


class BadEnvironment(ArxivistError):
    """An environment variable that cannot be used; the message names it."""


def run_stage(stage: Callable[..., None], *paths: str, doc: str | None = None) -> None:
    """Call `stage(**paths)` with the paths given on the command line (dvc.yaml's `cmd`).

    A user's error (bad params, bad input) ends the process with one line naming the problem; so
    does a full disk, naming the stage (outputs are written whole or not at all: arxivist.atomic).
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
        sys.exit(report(err))
    except Exception as err:
        full = disk_full(err)
        if not full:
            raise
        problem = f"{stage.__name__}: {full}; free space and rerun (no output is left half-written)"
        sys.exit(report(DiskFull(problem)))


def _exit_on_signal(signum: int, _frame: object) -> None:
    sys.exit(128 + signum)


def check_hub_endpoint(environ: Mapping[str, str] = os.environ) -> None:
    """Refuse an HF_ENDPOINT that is not an http(s) URL. huggingface_hub parses it when imported
    (by transformers and datasets too), so this runs first: `stages/__init__.py` and
    `arxivist push-to-hub` call it before anything imports them."""
    endpoint = environ.get(ENDPOINT_VARIABLE)
    if not endpoint:
        return
    try:
        parts = urllib.parse.urlsplit(endpoint)
        problem = "" if parts.scheme in ("http", "https") and parts.hostname else "no http(s) host"
    except ValueError as err:
        problem = str(err)
    if problem:
        raise BadEnvironment(
            f"{ENDPOINT_VARIABLE}: {endpoint!r} is not an http(s) URL ({problem}); unset it to use "
            "the Hugging Face Hub, or set the address of a Hub-compatible server"
        )


def exit_on_bad_environment() -> None:
    """check_hub_endpoint, as a stage's one-line error."""
    try:
        check_hub_endpoint()
    except ArxivistError as err:
        sys.exit(report(err))
