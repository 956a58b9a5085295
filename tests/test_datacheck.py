"""arxivist.datacheck (`arxivist check-data`) against a pushed git + DVC repo on a local GCS."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from configobj import ConfigObj

from arxivist import cli
from arxivist.datacheck import check, problems_from_status
from standins.gcs import FakeGCS, init_repo, running_gcs
from standins.workspace import ROOT, dvc

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


def test_a_pushed_workspace_passes(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check-data", "--repo", str(repo)]) == 0
    assert "present and unmodified (workspace and remote)" in capsys.readouterr().out


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
