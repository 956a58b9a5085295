"""arxivist.cli.main: the one place a command's user error becomes one line and an exit status."""

from __future__ import annotations

import argparse
import errno
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
