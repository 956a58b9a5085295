"""arxivist.cli.main: the one place a command's user error becomes one line and an exit status."""

from __future__ import annotations

import argparse
import errno
import subprocess
import sys
from pathlib import Path

import pytest

from arxivist import cli
from arxivist.errors import ArxivistError
from arxivist.integrity.status_check import DataCheckError


@pytest.mark.parametrize(("error", "status"), [(ArxivistError, 1), (DataCheckError, 2)])
def test_a_user_error_from_any_command_is_one_line_and_its_status(
    error: type[ArxivistError],
    status: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def run(args: argparse.Namespace) -> int:
        raise error("compare: something to fix")

    monkeypatch.setattr("arxivist.evaluation.compare.run", run)

    assert cli.main(["compare"]) == status
    assert capsys.readouterr() == ("", "error: compare: something to fix\n")


def test_a_reader_that_went_away_ends_the_command_quietly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(args: argparse.Namespace) -> int:
        raise BrokenPipeError

    monkeypatch.setattr("arxivist.evaluation.compare.run", run)
    with (tmp_path / "stdout").open("w", encoding="utf-8") as stdout:  # a real file descriptor
        monkeypatch.setattr("sys.stdout", stdout)
        assert cli.main(["compare"]) == cli.CLOSED_PIPE == 141
    assert capsys.readouterr().err == ""


def chained(outer: Exception, cause: Exception) -> Exception:
    outer.__cause__ = cause
    return outer


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "no space left on device"),
        (
            OSError(errno.EDQUOT, "Disk quota exceeded", "out/model.safetensors"),
            "disk quota exceeded (writing out/model.safetensors)",
        ),
        # pyarrow's own writer: the errno only in the text (and sometimes no errno at all)
        (
            OSError("Error writing bytes to file. Detail: [errno 28] No space left on device"),
            "no space left on device",
        ),
        # safetensors: no OSError at all
        (
            Exception("Error while serializing: I/O error: No space left on device (os error 28)"),
            "no space left on device",
        ),
        (
            chained(RuntimeError("saving failed"), OSError(errno.ENOSPC, "No space left")),
            "no space left on device",
        ),
    ],
    ids=["ENOSPC", "EDQUOT", "pyarrow", "safetensors", "chained"],
)
def test_a_full_disk_in_any_command_is_one_line(
    error: Exception,
    says: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The forms a full disk takes in the libraries the commands and stages write with
    (arxivist.errors.disk_full, which arxivist.stage_runner.run_stage shares)."""

    def run(args: argparse.Namespace) -> int:
        raise error

    monkeypatch.setattr("arxivist.evaluation.compare.run", run)

    assert cli.main(["compare"]) == 1
    assert capsys.readouterr() == ("", f"error: arxivist compare: {says}; free space and rerun\n")


def test_any_other_os_error_stays_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not the user's to fix in one line: a bug shows where it is."""

    def run(args: argparse.Namespace) -> int:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr("arxivist.evaluation.compare.run", run)
    with pytest.raises(OSError, match="Input/output error"):
        cli.main(["compare"])


HEAVY = ("torch", "transformers", "dvc")


def imported_modules(*args: str, cwd: Path) -> tuple[set[str], str]:
    """The top-level modules that `arxivist ARGS` imports (python -X importtime), and its stderr
    less that report."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "arxivist.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    report = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    names = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in report[1:]}
    rest = [line for line in done.stderr.splitlines() if not line.startswith("import time:")]
    return names, "\n".join(rest)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--help",), ""),
        (("push-to-hub", "--model", "missing", "--repo-id", "a/b"), "error: missing: not a saved"),
    ],
)
def test_help_and_a_light_command_import_no_heavy_library(
    args: tuple[str, ...], said: str, tmp_path: Path
) -> None:
    """The parser is built from a table: only the chosen command's module is imported, so
    `arxivist --help` (and push-to-hub, which needs no model) never loads torch, transformers
    or dvc."""
    names, stderr = imported_modules(*args, cwd=tmp_path)
    assert "arxivist" in names and stderr.startswith(said)
    assert not names & set(HEAVY)


def test_a_chosen_command_imports_its_own_module(tmp_path: Path) -> None:
    names, _ = imported_modules("compare", "--help", cwd=tmp_path)
    assert {"numpy", "yaml"} <= names
