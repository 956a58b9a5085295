"""The whole pipeline's data through a GCS remote and back: push, clone, pull, nothing to redo.

A tiny reproduced workspace is pushed to a local GCS whose bucket is the one in the committed
.dvc/config (gs://arxivist-example-bucket/dvcstore, redirected by .dvc/config.local only), then a
`git clone` with an empty cache pulls it back, as a newcomer would. The snapshot source reads a
gs:// URL from the same local GCS, and `arxivist check-data` catches an object lost from the remote.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from standins import localgcs
from standins.gcs import FakeGCS, localgcs_command, running_gcs
from standins.workspace import (
    TINY_PARAMS,
    arxivist,
    copy_workspace,
    deep_merge,
    dvc,
    git,
    make_workspace,
    reproduced_tiny_workspace,
)

pytestmark = pytest.mark.slow

STAGES = ("fetch", "encode", "split", "tokenize", "train", "evaluate", "publish")
TRACKED_DIRS = ("data", "models", "reports")
# A member of a directory output whose content no other output shares.
LOST_MEMBER = "data/tokenized/train/data-00000-of-00001.arrow"


@dataclass(frozen=True)
class RoundTrip:
    gcs: FakeGCS
    workspace: Path  # ran the pipeline and pushed
    clone: Path  # a git clone of it, empty cache, after `dvc pull`
    pull_log: str


def sha256_tree(root: Path) -> dict[str, str]:
    """sha256 of every file under data/, models/ and reports/, by path relative to `root`."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for top in TRACKED_DIRS
        for path in sorted((root / top).rglob("*"))
        if path.is_file()
    }


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def object_name(md5_value: str) -> str:
    """The remote object of a DVC 3 hash under the `dvcstore` prefix of the bucket."""
    return f"dvcstore/files/md5/{md5_value[:2]}/{md5_value[2:]}"


def uncached_paths(workspace: Path) -> set[str]:
    """Outputs declared `cache: false` in dvc.yaml (git carries them; dvc.lock does not say)."""
    stages = yaml.safe_load((workspace / "dvc.yaml").read_text())["stages"]
    return {
        path
        for stage in stages.values()
        for kind in ("outs", "metrics", "plots")
        for entry in stage.get(kind, [])
        if isinstance(entry, dict)
        for path, options in entry.items()
        if options and options.get("cache") is False
    }


def locked_outs(workspace: Path) -> dict[str, str]:
    """Cached outputs recorded in dvc.lock: path -> md5 (ending in ".dir" for directories)."""
    lock = yaml.safe_load((workspace / "dvc.lock").read_text())
    uncached = uncached_paths(workspace)
    return {
        out["path"]: out["md5"]
        for stage in lock["stages"].values()
        for out in stage.get("outs", [])
        if out["path"] not in uncached
    }


def manifest(workspace: Path, dir_md5: str) -> dict[str, str]:
    """A directory's .dir manifest from the workspace's cache: member path -> md5."""
    path = workspace / ".dvc/cache/files/md5" / dir_md5[:2] / dir_md5[2:]
    return {entry["relpath"]: entry["md5"] for entry in json.loads(path.read_text())}


@pytest.fixture(scope="module")
def roundtrip(tmp_path_factory: pytest.TempPathFactory, tiny_bert: Path) -> Iterator[RoundTrip]:
    root = tmp_path_factory.mktemp("roundtrip")
    workspace = copy_workspace(reproduced_tiny_workspace(tmp_path_factory, tiny_bert), root / "ws")
    bucket = localgcs.remote_bucket(workspace)  # the committed remote's bucket
    with running_gcs(root / "gcs", bucket) as gcs:
        gcs.configure(workspace)
        dvc(workspace, "remote", "modify", "--local", "gcs", "verify", "true")
        dvc(workspace, "push")

        clone = root / "clone"
        git(root, "clone", "-q", str(workspace), str(clone))
        # As a newcomer does (`make gcs-up`): the command finds the running server, configures DVC.
        started = localgcs_command(clone, "start", "--state-dir", str(gcs.state_dir))
        assert started.returncode == 0, started.stderr
        dvc(clone, "remote", "modify", "--local", "gcs", "verify", "true")
        pulled = dvc(clone, "pull")
        yield RoundTrip(gcs, workspace, clone, pulled.stdout + pulled.stderr)


def test_the_run_is_committed_and_the_remote_is_the_committed_bucket(roundtrip: RoundTrip) -> None:
    tracked = set(git(roundtrip.workspace, "ls-files").split())
    assert {"dvc.lock", "data/.gitignore", "models/.gitignore"} <= tracked
    assert "reports/eval/later/model.json" in tracked  # cache: false, so git carries it
    committed = (roundtrip.clone / ".dvc" / "config").read_text()
    assert "url = gs://arxivist-example-bucket/dvcstore" in committed
    assert roundtrip.gcs.bucket == "arxivist-example-bucket"
    local = (roundtrip.clone / ".dvc" / "config.local").read_text()
    assert f"endpointurl = {roundtrip.gcs.url}" in local
    assert "verify = true" in local


def test_push_uploaded_exactly_the_cached_outputs(roundtrip: RoundTrip) -> None:
    expected = set()
    for locked in locked_outs(roundtrip.workspace).values():
        expected.add(object_name(locked))
        if locked.endswith(".dir"):
            expected |= {object_name(m) for m in manifest(roundtrip.workspace, locked).values()}
    assert len(expected) > 15, f"too few outputs in dvc.lock: {expected}"
    pushed = set(roundtrip.gcs.objects("dvcstore/"))
    assert sorted(expected - pushed) == [], "cached outputs not pushed"
    assert sorted(pushed - expected) == [], "pushed objects that no cached output references"


def test_pull_restores_every_output_with_its_locked_hash(roundtrip: RoundTrip) -> None:
    assert "missing" not in roundtrip.pull_log.lower(), roundtrip.pull_log
    clone = roundtrip.clone
    for path, locked in locked_outs(clone).items():
        if not locked.endswith(".dir"):
            assert md5(clone / path) == locked, f"{path}: md5 differs from dvc.lock"
            continue
        # A directory: its manifest (pulled into the clone's cache) names every member's md5.
        manifest_file = clone / ".dvc/cache/files/md5" / locked[:2] / locked[2:]
        assert md5(manifest_file) == locked.removesuffix(".dir"), f"{path}: manifest corrupt"
        present = {
            str(member.relative_to(clone / path)): md5(member)
            for member in (clone / path).rglob("*")
            if member.is_file()
        }
        assert present == manifest(clone, locked), f"{path}: members differ from its manifest"


def test_pull_restores_the_same_bytes_as_the_pushing_workspace(roundtrip: RoundTrip) -> None:
    pushed, pulled = sha256_tree(roundtrip.workspace), sha256_tree(roundtrip.clone)
    assert len(pushed) > 20, "too few files: did the pipeline run?"
    differ = sorted(
        path for path in pushed.keys() | pulled.keys() if pushed.get(path) != pulled.get(path)
    )
    assert differ == [], f"files missing or different after the pull: {differ}"


def test_status_has_nothing_to_do_here_or_on_the_remote(roundtrip: RoundTrip) -> None:
    local = json.loads(dvc(roundtrip.clone, "status", "--json").stdout)
    assert local == {}, f"dvc status after a pull: {local}"
    cloud = json.loads(dvc(roundtrip.clone, "status", "--cloud", "--json").stdout)
    assert cloud == {}, f"dvc status -c after a pull: {cloud}"


def test_repro_after_a_pull_runs_no_stage(roundtrip: RoundTrip) -> None:
    log = dvc(roundtrip.clone, "repro").stdout
    assert "Running stage" not in log, log
    for stage in STAGES:
        assert f"Stage '{stage}' didn't change, skipping" in log, log


def test_check_data_passes_after_a_pull(roundtrip: RoundTrip) -> None:
    checked = arxivist(roundtrip.clone, "check-data")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "present and unmodified (workspace and remote)" in checked.stdout


@pytest.mark.parametrize("name", ["corpus.jsonl", "corpus.jsonl.gz"])
def test_the_snapshot_source_reads_a_gs_url(
    roundtrip: RoundTrip, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """fetch with snapshot_path=gs://... against the local GCS, through two environment variables:
    STORAGE_EMULATOR_HOST (gcsfs's endpoint) and FSSPEC_GCS_TOKEN=anon (fsspec's default kwargs for
    gcs://: no credential lookup). The result equals the fetch from the same corpus on disk.
    """
    corpus = (roundtrip.workspace / "corpus.jsonl").read_bytes()
    data = gzip.compress(corpus, mtime=0) if name.endswith(".gz") else corpus
    roundtrip.gcs.upload(f"snapshots/{name}", data)
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", roundtrip.gcs.url)
    monkeypatch.setenv("FSSPEC_GCS_TOKEN", "anon")
    url = f"gs://{roundtrip.gcs.bucket}/snapshots/{name}"
    workspace = make_workspace(tmp_path, deep_merge(TINY_PARAMS, {"fetch": {"snapshot_path": url}}))

    log = dvc(workspace, "repro", "--single-item", "fetch").stdout
    assert "Running stage 'fetch'" in log, log
    expected = (roundtrip.workspace / "data/raw/papers.jsonl").read_bytes()
    assert (workspace / "data/raw/papers.jsonl").read_bytes() == expected


def test_check_data_catches_an_object_lost_from_the_remote(
    roundtrip: RoundTrip, tmp_path: Path
) -> None:
    """DVC's own commands call this state fine (dvc issue 9867); `arxivist check-data` does not."""
    gcs, workspace = roundtrip.gcs, roundtrip.workspace
    lost = object_name(md5(workspace / LOST_MEMBER))
    payload = (workspace / ".dvc/cache/files" / lost.removeprefix("dvcstore/files/")).read_bytes()
    gcs.delete(lost)
    try:
        # The pushing workspace: pull and status -c trust the .dir manifest and report all is well.
        again = dvc(workspace, "pull")
        assert "Everything is up to date." in again.stdout, again.stdout + again.stderr
        assert json.loads(dvc(workspace, "status", "--cloud", "--json").stdout) == {}
        checked = arxivist(workspace, "check-data")
        assert checked.returncode == 1, checked.stdout + checked.stderr
        assert f"  missing from remote: {LOST_MEMBER}\n" in checked.stderr, checked.stderr

        # A fresh clone: the pull cannot restore the directory (DVC 3.67 exits 1 here).
        clone = tmp_path / "clone"
        git(tmp_path, "clone", "-q", str(workspace), str(clone))
        gcs.configure(clone)
        pulled = dvc(clone, "pull", check=False)
        assert not (clone / LOST_MEMBER).exists(), pulled.stdout + pulled.stderr
        checked = arxivist(clone, "check-data")
        assert checked.returncode == 1, checked.stdout + checked.stderr
        assert f"  missing from remote: {LOST_MEMBER}\n" in checked.stderr, checked.stderr
        assert f"  missing from workspace: {LOST_MEMBER}\n" in checked.stderr, checked.stderr
    finally:
        gcs.upload(lost, payload)  # the bucket is shared by this module's tests


def test_the_published_model_is_a_dvc_artifact_anyone_can_get(
    roundtrip: RoundTrip, tmp_path: Path
) -> None:
    """A version registered the GTO way (an annotated git tag `<name>@v<semver>`), then from an
    empty folder (no clone, no DVC project) `dvc artifacts get` reads the artifact's path from the
    repository's dvc.yaml at that version and downloads the folder from the GCS remote."""
    (artifacts,) = yaml.safe_load((roundtrip.workspace / "dvc.yaml").read_text())["artifacts"]
    tag = f"{artifacts}@v0.1.0"
    if tag not in git(roundtrip.workspace, "tag").split():
        git(roundtrip.workspace, "tag", "-a", tag, "-m", "Register the published model")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    remote = [f"endpointurl={roundtrip.gcs.url}", "allow_anonymous_login=true"]
    got = dvc(
        elsewhere,
        "artifacts",
        "get",
        str(roundtrip.workspace),
        artifacts,
        "--rev",
        "v0.1.0",
        "-o",
        "model",
        "--remote-config",
        *remote,
    )
    assert (elsewhere / "model" / "config.json").is_file(), got.stdout + got.stderr
    published = roundtrip.workspace / "models/published"
    assert sha256_files(elsewhere / "model") == sha256_files(published)

    from transformers import pipeline

    classify = pipeline("text-classification", model=str(elsewhere / "model"))
    (answer,) = classify("A robot arm grasps objects in clutter.")
    assert answer["label"] in {"Artificial Intelligence", "Information Retrieval", "Robotics"}


def sha256_files(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
