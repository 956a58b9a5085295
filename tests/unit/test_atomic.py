"""arxivist.atomic and the text outputs: written whole or not at all, stable bytes, UTF-8."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from arxivist.atomic import atomic_path, write_parquet
from standins.workspace import ROOT
from tests.unit.frames import LABELS, papers


def test_parquet_bytes_are_stable(tmp_path: Path) -> None:
    frame = LABELS.encode(papers({"cs.AI": 5, "cs.IR": 5, "cs.RO": 5}))
    write_parquet(tmp_path / "a.parquet", frame)
    write_parquet(tmp_path / "b.parquet", frame.copy())
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_atomic_path_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out" / "folder"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.mkdir()
        (tmp / "half.txt").write_text("half")
        raise RuntimeError("boom")
    assert list((tmp_path / "out").iterdir()) == []
    with atomic_path(target) as tmp:
        tmp.mkdir()
        (tmp / "whole.txt").write_text("whole")
    assert [p.name for p in target.iterdir()] == ["whole.txt"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["folder"]


def test_a_folder_is_never_missing_while_it_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed at any rename while a folder output is replaced, the old or the new folder is
    there: the replacement is one atomic exchange, not two renames with a gap between."""
    target = tmp_path / "folder"
    target.mkdir()
    (target / "old.txt").write_text("old", encoding="utf-8")
    real_replace, calls = os.replace, []

    def killed_after_first_rename(source: object, destination: object) -> None:
        calls.append(destination)
        if len(calls) > 1:
            raise KeyboardInterrupt("killed")
        real_replace(source, destination)

    monkeypatch.setattr(os, "replace", killed_after_first_rename)
    with contextlib.suppress(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.mkdir()
        (tmp / "new.txt").write_text("new", encoding="utf-8")
    assert [p.name for p in target.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["folder"]


def test_leftover_temporaries_are_git_ignored(tmp_path: Path) -> None:
    target = ROOT / "data" / "split" / "train.parquet"
    with pytest.raises(RuntimeError), atomic_path(tmp_path / target.name) as tmp:
        leftover = tmp.parent.name
        raise RuntimeError("boom")
    probe = target.parent / leftover / "train.parquet"
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(probe.relative_to(ROOT))], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0, f"{probe} is not git-ignored"


def test_text_outputs_are_utf8_whatever_the_locale(tmp_path: Path) -> None:
    """Labels' display names may be non-ASCII: every text read and write names UTF-8, so
    Python's EncodingWarning (raised on any I/O that falls back to the locale) never fires."""
    script = f"""
from pathlib import Path
from arxivist.atomic import write_json, write_jsonl
from arxivist.jsonlines import read_jsonl
from arxivist.labels import LabelSet
from arxivist.params import load_params
labels = LabelSet.from_params({{"cs.AI": "Intelligence artificielle", "cs.RO": "Robótica"}})
labels.save(Path({str(tmp_path)!r}) / "labels.json")
assert LabelSet.load(Path({str(tmp_path)!r}) / "labels.json").names[1] == "Robótica"
write_json(Path({str(tmp_path)!r}) / "m.json", {{"name": "Robótica"}})
write_jsonl(Path({str(tmp_path)!r}) / "p.jsonl", [{{"name": "Robótica"}}])
assert read_jsonl(Path({str(tmp_path)!r}) / "p.jsonl") == [{{"name": "Robótica"}}]
load_params({str(ROOT / "params.yaml")!r})
"""
    done = subprocess.run(
        [
            sys.executable,
            "-X",
            "warn_default_encoding",
            "-W",
            "error::EncodingWarning",
            "-c",
            script,
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert done.returncode == 0, done.stderr
