"""The last good state survives: a run of train or evaluate that is interrupted (Ctrl-C, SIGKILL)
or fails (a full disk) leaves the previous outputs as they were, and the next `dvc repro`
completes. DVC keeps the outputs while a stage runs (`persist: true` in dvc.yaml); the stages
replace them only when they have finished, the model before the reports."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from arxivist.model.processes import SCRATCH_PREFIX
from arxivist.model.training import FineTuned
from standins.workspace import (
    BIN,
    copy_workspace,
    dvc,
    file_hashes,
    interruptible,
    reproduced_tiny_workspace,
    tool_env,
)

OUTPUTS = ("models/model", "reports/train", "reports/eval", "models/published")


def outputs(workspace: Path) -> dict[str, str]:
    return file_hashes(workspace, *OUTPUTS)


@pytest.fixture
def workspace(tmp_path_factory: pytest.TempPathFactory, tiny_bert: Path, tmp_path: Path) -> Path:
    """A copy of the session's reproduced tiny workspace, its results committed."""
    return copy_workspace(reproduced_tiny_workspace(tmp_path_factory, tiny_bert), tmp_path / "ws")


def set_param(workspace: Path, key: str, value: object) -> None:
    """params.yaml with `key` (dotted) set to `value`, as an edit by hand."""
    params = yaml.safe_load((workspace / "params.yaml").read_text())
    *parents, name = key.split(".")
    node = params
    for part in parents:
        node = node[part]
    node[name] = value
    (workspace / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def start_repro(workspace: Path, scratch: Path) -> subprocess.Popen[str]:
    """`dvc repro` in a session of its own (so a signal reaches dvc and the stage, as Ctrl-C
    reaches a terminal's foreground group), its temporary folder under `scratch`."""
    scratch.mkdir(exist_ok=True)
    return subprocess.Popen(
        [str(BIN / "dvc"), "repro"],
        cwd=workspace,
        env={**tool_env(), "TMPDIR": str(scratch)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=interruptible,
    )


def wait_until(condition, process: subprocess.Popen[str], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, process.communicate()[0][-3000:]
        assert time.monotonic() < deadline, "timed out waiting for the stage"
        time.sleep(0.1)


def training_started(scratch: Path) -> bool:
    return any(scratch.glob(f"{SCRATCH_PREFIX}*"))


def evaluating(workspace: Path) -> bool:
    return any((workspace / "reports").glob(".eval.*.tmp"))


pytestmark = pytest.mark.slow


def interrupt(workspace: Path, scratch: Path, started: Callable[[], bool], signum: int) -> None:
    """Start `dvc repro`, wait until `started()`, a second more, then send `signum` to dvc and the
    stage; the run must fail."""
    repro = start_repro(workspace, scratch)
    wait_until(started, repro)
    time.sleep(1)
    os.killpg(repro.pid, signum)
    repro.wait(timeout=240)
    assert repro.returncode != 0
    # dvc may end before the stage it ran has finished its own cleanup: wait for the whole group.
    deadline = time.monotonic() + 240
    while _group_alive(repro.pid):
        assert time.monotonic() < deadline, "the stage outlived dvc by 4 minutes"
        time.sleep(0.2)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def repro_again(workspace: Path, scratch: Path) -> None:
    done = subprocess.run(
        [str(BIN / "dvc"), "repro"],
        cwd=workspace,
        env={**tool_env(), "TMPDIR": str(scratch)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "sigkill"])
def test_train_stopped_midway_keeps_the_previous_outputs(
    workspace: Path, tmp_path: Path, signum: int
) -> None:
    before, scratch = outputs(workspace), tmp_path / "tmp"
    set_param(workspace, "train.epochs", 40)  # long enough to stop midway

    interrupt(workspace, scratch, lambda: training_started(scratch), signum)

    assert outputs(workspace) == before
    stale = list(scratch.glob(f"{SCRATCH_PREFIX}*"))
    assert bool(stale) == (signum == signal.SIGKILL), "Ctrl-C cleans up; SIGKILL cannot"
    set_param(workspace, "train.epochs", 1)
    repro_again(workspace, scratch)
    assert outputs(workspace) != before
    assert not list(scratch.glob(f"{SCRATCH_PREFIX}*")), "the next run removes a killed run's"
    assert dvc(workspace, "status").stdout.strip().endswith("Data and pipelines are up to date.")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "sigkill"])
def test_evaluate_stopped_midway_keeps_the_previous_reports(
    workspace: Path, tmp_path: Path, signum: int
) -> None:
    before, scratch = outputs(workspace), tmp_path / "tmp"
    set_param(workspace, "evaluate.bootstrap_resamples", 400000)  # evaluate only, and slow

    interrupt(workspace, scratch, lambda: evaluating(workspace), signum)

    assert outputs(workspace) == before
    set_param(workspace, "evaluate.bootstrap_resamples", 300)
    repro_again(workspace, scratch)
    # The next run finishes evaluate: its outputs match a lock that records the new param (the
    # tiny model's intervals may not move with the resample count, so the bytes may not either).
    assert dvc(workspace, "status").stdout.strip().endswith("Data and pipelines are up to date.")
    assert "bootstrap_resamples: 300" in (workspace / "dvc.lock").read_text()


def test_a_full_disk_at_the_model_save_leaves_model_and_reports_as_they_were(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seam: saving the model fails with ENOSPC, as on a full disk, after training."""
    from stages.train import train

    before = outputs(workspace)

    def full_disk(self: FineTuned, path: Path, max_length: int) -> None:
        path.mkdir()
        (path / "model.safetensors").write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(FineTuned, "save", full_disk)
    monkeypatch.chdir(workspace)
    with pytest.raises(OSError, match="No space left"):
        train(
            Path("data/tokenized"),
            Path("data/labeled/labels.json"),
            Path("models/model"),
            Path("reports/train"),
        )

    assert outputs(workspace) == before
    leftovers = [p for p in (workspace / "models").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == [] and not list((workspace / "reports").glob(".*.tmp"))


FREE_KIB = 8  # room for a small file (config.json, dataset_dict.json), not for weights or arrays
ON_A_FULL_DISK = """set -e
cp -a "$FOLDER" "$SCRATCH/before"
mount -t tmpfs -o size=16m tmpfs "$FOLDER"
cp -a "$SCRATCH/before/." "$FOLDER/"
dd if=/dev/zero of="$FOLDER/.fill" bs=4k 2>/dev/null || true
truncate -s "-${FREE_KIB}k" "$FOLDER/.fill"
status=0
"$@" || status=$?
rm "$FOLDER/.fill"
mkdir "$SCRATCH/after" && cp -a "$FOLDER" "$SCRATCH/after/"
exit $status
"""


def on_a_full_disk(
    workspace: Path, folder: str, command: list[str], scratch: Path
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run `command` in `workspace` with `folder` on a file system of its own that is full but
    for FREE_KIB: a tmpfs mounted in a private mount namespace (`unshare -rm`: no root needed,
    nothing outside sees it), holding a copy of what was there. The tmpfs goes when the command
    ends, so its content is copied to `scratch`/after/`folder` first. Returns the run and that
    copy's parent (`file_hashes(it, folder)`)."""
    scratch.mkdir()
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", f'mount -t tmpfs -o size=4k tmpfs "{scratch}"'],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        pytest.skip(f"no private mount namespace here to make a small disk: {probe.stderr}")
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", ON_A_FULL_DISK, "sh", *command],
        cwd=workspace,
        env={
            **tool_env(),
            "FOLDER": folder,
            "SCRATCH": str(scratch),
            "FREE_KIB": str(FREE_KIB),
            "TMPDIR": str(scratch),
        },
        capture_output=True,
        text=True,
    )
    assert (scratch / "after" / folder).is_dir(), done.stderr
    return done, scratch / "after"


@pytest.mark.parametrize(
    ("folder", "command", "output"),
    [
        ("data", ["data/split", "data/tokenized"], "data/tokenized"),
        (
            "models",
            ["data/tokenized", "data/labeled/labels.json", "models/model", "reports/train"],
            "models/model",
        ),
    ],
    ids=["tokenize", "train"],
)
def test_a_full_disk_is_one_line_naming_the_stage_and_leaves_the_outputs_as_they_were(
    workspace: Path, tmp_path: Path, folder: str, command: list[str], output: str
) -> None:
    """A real full file system under the stage's output: pyarrow's write of the tokenized
    splits, and safetensors' write of the model, fail for want of space (each was a traceback)."""
    stage = "tokenize" if output == "data/tokenized" else "train"
    before = file_hashes(workspace, folder, "reports")
    entries = sorted(path.name for path in (workspace / folder).iterdir())

    done, after = on_a_full_disk(
        workspace, folder, ["python", "-m", f"stages.{stage}", *command], tmp_path / "scratch"
    )

    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"error: {stage}: no space left on device; free space and rerun (no output is left "
        "half-written)"
    )
    assert file_hashes(after, folder) == {k: v for k, v in before.items() if k.startswith(folder)}
    assert sorted(path.name for path in (after / folder).iterdir()) == entries  # no temporary
    assert file_hashes(workspace, "reports") == {
        k: v for k, v in before.items() if k.startswith("reports")
    }
    assert not list((workspace / "reports").glob(".*.tmp"))
