"""arxivist.cli.main: the one place a command's user error becomes one line and an exit status."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from arxivist import cli
from arxivist.datacheck import DataCheckError
from arxivist.errors import ArxivistError


@pytest.mark.parametrize(("error", "status"), [(ArxivistError, 1), (DataCheckError, 2)])
def test_a_user_error_from_any_command_is_one_line_and_its_status(
    error: type[ArxivistError],
    status: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def run(args: argparse.Namespace) -> int:
        raise error("compare: something to fix")

    monkeypatch.setattr("arxivist.compare.run", run)

    assert cli.main(["compare"]) == status
    assert capsys.readouterr() == ("", "error: compare: something to fix\n")


def test_a_reader_that_went_away_ends_the_command_quietly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(args: argparse.Namespace) -> int:
        raise BrokenPipeError

    monkeypatch.setattr("arxivist.compare.run", run)
    with (tmp_path / "stdout").open("w", encoding="utf-8") as stdout:  # a real file descriptor
        monkeypatch.setattr("sys.stdout", stdout)
        assert cli.main(["compare"]) == 1
    assert capsys.readouterr().err == ""
