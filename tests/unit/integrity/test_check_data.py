"""arxivist.integrity (`arxivist check-data`) against a pushed git + DVC repo on a local GCS."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from configobj import ConfigObj

from arxivist import cli
from arxivist.integrity.content_check import check_content, open_repo
from arxivist.integrity.remote_check import PROBE_TIMEOUT_S, Progress, RemoteCheckError, reach
from arxivist.integrity.status_check import check, problems_from_status
from standins.gcs import FakeGCS, init_repo, running_gcs
from standins.workspace import ROOT, arxivist, dvc

FILES = {  # every content distinct, so each path has its own object on the remote
    "f.txt": b"hello\r\n",
    "d/a.txt": b"alpha\n",
    "d/b.txt": b"beta\r\n",
    "d/sub/c.bin": bytes(range(256)),
}
# One stage whose outputs (a file and a directory) are recorded in dvc.lock.
DVC_YAML = {
    "stages": {
        "make": {
            "cmd": "mkdir -p out && cat f.txt f.txt > out.txt && echo y > out/y.txt",
            "deps": ["f.txt"],
            "outs": ["out.txt", "out"],
        }
    }
}


@pytest.fixture(scope="module")
def gcs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeGCS]:
    with running_gcs(tmp_path_factory.mktemp("gcs")) as server:
        yield server


@pytest.fixture(scope="module")
def pushed(gcs: FakeGCS, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repo with a .dvc file, a tracked directory and a stage, all pushed to `gcs`."""
    repo = init_repo(tmp_path_factory.mktemp("pushed") / "repo")
    for name, data in FILES.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_bytes(data)
    (repo / "dvc.yaml").write_text(yaml.safe_dump(DVC_YAML))
    dvc(repo, "add", "-q", "f.txt", "d")
    dvc(repo, "repro", "-q")
    gcs.configure(repo)
    dvc(repo, "push", "-q")
    return repo


@pytest.fixture
def repo(pushed: Path, tmp_path: Path) -> Path:
    """A private copy of the pushed repo (workspace, cache, config) to damage."""
    return Path(shutil.copytree(pushed, tmp_path / "repo", symlinks=True))


def object_name(repo: Path, path: str) -> str:
    """The remote object holding `path`: a file's content, or a directory's .dir manifest."""
    if path.endswith("/"):
        md5 = yaml.safe_load((repo / f"{path[:-1]}.dvc").read_text())["outs"][0]["md5"]
    else:
        md5 = hashlib.md5((repo / path).read_bytes()).hexdigest()
    return f"dvcstore/files/md5/{md5[:2]}/{md5[2:]}"


def test_a_pushed_workspace_passes_quietly(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check-data", "--repo", str(repo)]) == 0
    out, err = capsys.readouterr()
    assert "present and unmodified (workspace and remote)" in out
    assert err == ""  # a short check shows no progress


@pytest.mark.parametrize("path", ["f.txt", "d/sub/c.bin", "out.txt", "out/y.txt"])
def test_a_missing_workspace_file_is_named(repo: Path, path: str) -> None:
    (repo / path).unlink()
    assert check(repo, remote=False) == [f"missing from workspace: {path}"]


def test_changes_inside_a_tracked_directory_are_named(repo: Path) -> None:
    (repo / "d" / "a.txt").write_bytes(b"alpha, edited\n")
    (repo / "d" / "new.txt").write_bytes(b"stray\n")
    assert check(repo, remote=False) == [
        "modified in workspace: d/a.txt",
        "added in workspace (not recorded in dvc.lock/.dvc): d/new.txt",
    ]


@pytest.mark.parametrize("path", ["f.txt", "d/b.txt", "d/", "out/y.txt"])
def test_an_object_missing_from_the_remote_is_named(gcs: FakeGCS, repo: Path, path: str) -> None:
    name = object_name(repo, path)
    cached = (repo / ".dvc" / "cache" / "files" / name.removeprefix("dvcstore/files/")).read_bytes()
    gcs.delete(name)
    try:
        assert check(repo, remote=True) == [f"missing from remote: {path}"]
    finally:
        gcs.upload(name, cached)  # the bucket is shared by this module's tests


def test_the_cli_fails_listing_each_path(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "f.txt").unlink()
    (repo / "out" / "y.txt").write_text("changed\n")
    assert cli.main(["check-data", "--repo", str(repo), "--no-remote"]) == 1
    err = capsys.readouterr().err
    assert "2 problem(s) with DVC-tracked data (workspace)" in err
    assert "  missing from workspace: f.txt\n" in err
    assert "  modified in workspace: out/y.txt\n" in err


def test_a_check_that_cannot_run_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check-data", "--repo", str(repo), "--remote-name", "nope"]) == 2
    err = capsys.readouterr().err
    assert "remote 'nope' doesn't exist" in err
    assert err.startswith("error: ") and err.count("\n") == 1  # the one line every command writes


def test_a_stopped_remote_is_one_line_naming_it_within_a_minute(
    pushed: Path, tmp_path: Path
) -> None:
    repo = Path(shutil.copytree(pushed, tmp_path / "repo", symlinks=True))
    with running_gcs(tmp_path / "gcs") as server:
        server.configure(repo)
        dvc(repo, "push", "-q")
        server.stop()
        started = time.monotonic()
        checked = arxivist(repo, "check-data")
        took = time.monotonic() - started
    assert checked.returncode == 2, checked.stderr
    assert took < 60
    assert checked.stderr.startswith(
        f"error: cannot reach DVC remote 'gcs' (gs://{server.bucket}/dvcstore, endpoint "
        f"{server.url}): no answer in {PROBE_TIMEOUT_S:.0f} s (retried; last error: Cannot "
        f"connect to host 127.0.0.1:{server.port} "
    )
    assert checked.stderr.count("\n") == 1 and checked.stdout == ""


PROGRESS = re.compile(
    r"check-data: (looked up|downloaded and hashed) (\d+) of 8 objects on remote 'gcs' \(\d+ s\)"
)


@pytest.mark.slow
def test_a_remote_lost_during_the_check_shows_the_wait_then_one_line(
    pushed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = Path(shutil.copytree(pushed, tmp_path / "repo", symlinks=True))
    with running_gcs(tmp_path / "gcs") as server:
        server.configure(repo)
        dvc(repo, "push", "-q")
        with open_repo(repo) as dvc_repo:
            reached = reach(dvc_repo, None)
            server.stop()  # after it answered: the lookups find it gone (gcsfs retries ~33 s)
            with pytest.raises(RemoteCheckError) as raised:
                check_content(dvc_repo, reached)
    assert str(raised.value).startswith(
        f"lost DVC remote 'gcs' (gs://{server.bucket}/dvcstore, endpoint {server.url}) during "
        f"the check: ClientConnectorError: Cannot connect to host 127.0.0.1:{server.port} "
    )
    assert raised.value.exit_status == 2
    # gcsfs's retries take over 30 s: progress every 5 s from the 10th
    waits = capsys.readouterr().err.splitlines()
    assert len(waits) >= 3 and all(PROGRESS.fullmatch(line) for line in waits), waits


def test_a_long_remote_check_says_how_far_it_is(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check(repo, verify_remote=True, progress_after_s=0) == []  # every check is long here
    lines = capsys.readouterr().err.splitlines()
    assert all(PROGRESS.fullmatch(line) for line in lines), lines
    last = {PROGRESS.fullmatch(line)[1]: PROGRESS.fullmatch(line)[2] for line in lines}
    # 6 files and 2 directory manifests: the last line of each step says all are done
    assert last == {"looked up": "8", "downloaded and hashed": "8"}


def test_progress_is_said_every_interval_while_a_check_runs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with Progress("looked up", "gcs", 3, after_s=0.2, every_s=0.1) as progress:
        for _ in range(3):
            time.sleep(0.5)
            progress.relative_update()
    lines = capsys.readouterr().err.splitlines()
    said = re.compile(r"check-data: looked up (\d) of 3 objects on remote 'gcs' \((\d+) s\)")
    counts = [int(said.fullmatch(line)[1]) for line in lines]
    assert counts[0] == 0 and counts[-1] == 3  # the last line: when it closes
    assert set(counts) == {0, 1, 2, 3} and counts == sorted(counts)
    assert int(said.fullmatch(lines[-1])[2]) >= 1  # seconds since it opened


def test_a_short_check_says_no_progress(capsys: pytest.CaptureFixture[str]) -> None:
    with Progress("looked up", "gcs", 3, after_s=1.0) as progress:
        progress.relative_update(3)
    assert capsys.readouterr().err == ""


def test_problems_from_status_lists_members_not_their_directory() -> None:
    status = {
        "not_in_cache": ["d/", "d/a.txt"],  # not a problem: `dvc pull` refills the cache
        "not_in_remote": ["m/"],
        "committed": {"added": ["d/"]},  # the git side: not this check's business
        "uncommitted": {
            "modified": ["d/", "e/"],
            "renamed": [{"old": "d/a.txt", "new": "d/z.txt"}],
            "unknown": ["u/"],
        },
    }
    assert problems_from_status(status) == [
        "renamed in workspace: d/a.txt -> d/z.txt",
        "modified in workspace: e/",
        "missing from remote: m/",
        "cannot be checked (directory manifest unavailable; try `dvc pull`): u/",
    ]


def flipped(data: bytes) -> bytes:
    """`data` with one bit of its first byte flipped."""
    return bytes([data[0] ^ 1]) + data[1:]


def flip_first_byte(path: Path) -> None:
    """Flip one bit in the file at `path` (cache objects are read-only), keeping its mtime, so
    only its content says that it changed."""
    stat = path.stat()
    path.chmod(0o644)
    path.write_bytes(flipped(path.read_bytes()))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def cache_file(repo: Path, path: str) -> Path:
    return (
        repo / ".dvc" / "cache" / "files" / object_name(repo, path).removeprefix("dvcstore/files/")
    )


@pytest.mark.parametrize("path", ["f.txt", "d/sub/c.bin", "d/", "out.txt"])
def test_a_corrupted_cache_object_is_named(repo: Path, path: str) -> None:
    cached = cache_file(repo, path)
    flip_first_byte(cached)
    assert check(repo, remote=False) == [f"corrupted in cache ({cached}): {path}"]


def test_a_workspace_file_changed_behind_dvcs_back_is_named(repo: Path) -> None:
    flip_first_byte(repo / "d" / "a.txt")  # same size and mtime: DVC's hash cache still trusts it
    assert check(repo, remote=False) == ["modified in workspace: d/a.txt"]


@pytest.mark.parametrize("path", ["f.txt", "d/sub/c.bin", "d/"])
def test_a_corrupted_remote_object_is_named_when_verified(
    gcs: FakeGCS, repo: Path, path: str
) -> None:
    name = object_name(repo, path)
    good = cache_file(repo, path).read_bytes()
    gcs.upload(name, flipped(good))
    try:
        assert check(repo, remote=True) == []  # presence only: the object is there
        assert check(repo, verify_remote=True) == [
            f"corrupted on remote (gs://{gcs.bucket}/{name}): {path}"
        ]
    finally:
        gcs.upload(name, good)


def project_remote_verify() -> str:
    """The `verify` setting of the project's own `gcs` remote (.dvc/config)."""
    return ConfigObj(str(ROOT / ".dvc" / "config"))['remote "gcs"'].get("verify", "false")


@pytest.mark.slow
def test_a_pull_refuses_a_corrupted_object_and_push_does_not_mend_it(
    gcs: FakeGCS, repo: Path, tmp_path: Path
) -> None:
    assert project_remote_verify() == "true"
    name = object_name(repo, "d/a.txt")
    good = cache_file(repo, "d/a.txt").read_bytes()
    clone = Path(shutil.copytree(repo, tmp_path / "clone", symlinks=True))
    for fresh in (".dvc/cache", ".dvc/tmp", "f.txt", "d", "out.txt", "out"):
        shutil.rmtree(clone / fresh) if (clone / fresh).is_dir() else (clone / fresh).unlink()
    dvc(clone, "remote", "modify", "gcs", "verify", project_remote_verify())
    gcs.upload(name, flipped(good))
    try:
        pulled = dvc(clone, "pull", check=False)
        assert pulled.returncode == 1
        assert "Checkout failed for following targets:\nd\n" in pulled.stderr
        assert not (clone / "d").exists()  # no corrupted file, nor its directory, in the workspace
        assert (clone / "f.txt").read_bytes() == FILES["f.txt"]
        # The good workspace's push sees the object there and leaves it as it is.
        assert "Everything is up to date" in dvc(repo, "push").stdout
        assert check(repo, verify_remote=True) == [
            f"corrupted on remote (gs://{gcs.bucket}/{name}): d/a.txt"
        ]
    finally:
        gcs.upload(name, good)
