"""Any version of the data back, exactly: two tagged versions on a GCS remote, restored by tag.

A workspace runs the data stages (fetch, encode, split) for two `fetch.categories` over the same
snapshot, commits and tags each run (v1, v2), `dvc push`es each to a local GCS and `git push`es to
a bare repository standing in for the team's git host. A fresh clone then checks out each tag and
pulls its bytes; `dvc get` and `dvc import` bring a version into a project with no clone. Those
two read the remote from the repository's committed .dvc/config, so the emulator's endpoint (kept
in each clone's .dvc/config.local) is handed to them with `--remote-config`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from standins import localgcs
from standins.gcs import FakeGCS, running_gcs
from standins.workspace import (
    TINY_PARAMS,
    bare_origin,
    dvc,
    file_hashes,
    git,
    tiny_pipeline_workspace,
)

pytestmark = pytest.mark.slow

# The same snapshot (standins/workspace.TINY_CORPUS), two selections of it.
VERSIONS = {
    "v1": TINY_PARAMS["fetch"]["categories"],
    "v2": {"cs.AI": 30, "cs.IR": 30, "cs.RO": 20},
}
SPLITS = ("train.parquet", "validation.parquet", "test.parquet")


@dataclass(frozen=True)
class Versions:
    gcs: FakeGCS
    origin: Path  # the bare git repository that both tags were pushed to
    produced: dict[str, dict[str, str]]  # tag -> sha256 of every file under data/, as run


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory, tiny_bert: Path) -> Iterator[Versions]:
    workspace = tiny_pipeline_workspace(tmp_path_factory.mktemp("versions"), tiny_bert)
    origin = bare_origin(workspace, tmp_path_factory.mktemp("git-host") / "arxivist.git")
    gcs_dir = tmp_path_factory.mktemp("gcs")
    with running_gcs(gcs_dir, localgcs.remote_bucket(workspace)) as gcs:
        gcs.configure(workspace)
        produced = {}
        for tag, categories in VERSIONS.items():
            params = yaml.safe_load((workspace / "params.yaml").read_text())
            params["fetch"]["categories"] = categories
            (workspace / "params.yaml").write_text(yaml.safe_dump(params))
            dvc(workspace, "repro", "split")
            git(workspace, "add", "-A")
            git(workspace, "commit", "-q", "-m", f"Data {tag}")
            git(workspace, "tag", "-a", tag, "-m", f"Data {tag}")
            dvc(workspace, "push")
            produced[tag] = file_hashes(workspace, "data")
        git(workspace, "push", "-q", "origin", "main", "--tags")
        yield Versions(gcs, origin, produced)


def remote_config(gcs: FakeGCS) -> list[str]:
    """`--remote-config` values that send the committed gs:// remote to the local GCS."""
    return ["--remote-config", f"endpointurl={gcs.url}", "allow_anonymous_login=true"]


def split_folder(produced: dict[str, str]) -> dict[str, str]:
    """A version's data/split folder: file name -> sha256 (the three splits and the .gitignore
    that DVC wrote there, which git tracks and so `dvc get` and `dvc import` bring along)."""
    return {
        path.removeprefix("data/split/"): digest
        for path, digest in produced.items()
        if path.startswith("data/split/")
    }


def folder(path: Path) -> dict[str, str]:
    """What a downloaded folder holds: file name -> sha256."""
    return {Path(name).name: digest for name, digest in file_hashes(path.parent, path.name).items()}


def test_the_two_versions_hold_different_data(versions: Versions) -> None:
    v1, v2 = versions.produced["v1"], versions.produced["v2"]
    assert {"data/raw/papers.jsonl", *(f"data/split/{name}" for name in SPLITS)} <= set(v1)
    assert set(v1) == set(v2)
    for path in ("data/raw/papers.jsonl", *(f"data/split/{name}" for name in SPLITS)):
        assert v1[path] != v2[path], path


def test_a_fresh_clone_pulls_each_tags_bytes(versions: Versions, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(versions.origin), str(clone))
    versions.gcs.configure(clone)
    for tag in ("v1", "v2", "v1"):
        git(clone, "checkout", "-q", tag)
        # Only the data stages ran at these tags: a plain `dvc pull` restores the same files,
        # then exits 1 for the outputs of train and later stages, which dvc.lock does not list.
        pulled = dvc(clone, "pull", "--with-deps", "split")
        assert file_hashes(clone, "data") == versions.produced[tag], pulled.stdout + pulled.stderr
        assert dvc(clone, "status", "split", "--with-deps").stdout.strip() == (
            "Data and pipelines are up to date."
        )


@pytest.mark.parametrize("tag", ["v1", "v2"])
def test_dvc_get_downloads_a_version_without_a_clone(
    versions: Versions, tmp_path: Path, tag: str
) -> None:
    config = remote_config(versions.gcs)
    got = dvc(
        tmp_path, "get", str(versions.origin), "data/split", "--rev", tag, "-o", "split", *config
    )
    expected = split_folder(versions.produced[tag])
    assert set(expected) == {".gitignore", *SPLITS}
    assert folder(tmp_path / "split") == expected, got.stdout + got.stderr


def test_dvc_import_tracks_a_version_and_update_moves_it(
    versions: Versions, tmp_path: Path
) -> None:
    """An unrelated DVC project imports v1 (its .dvc file records url, rev and the remote config),
    then `dvc update --rev v2` replaces the data with v2's."""
    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q", "-b", "main")
    dvc(project, "init", "-q")
    config = remote_config(versions.gcs)
    dvc(
        project, "import", str(versions.origin), "data/split", "--rev", "v1", "-o", "split", *config
    )
    assert folder(project / "split") == split_folder(versions.produced["v1"])
    repo = yaml.safe_load((project / "split.dvc").read_text())["deps"][0]["repo"]
    assert (repo["url"], repo["rev"]) == (str(versions.origin), "v1")
    assert repo["remote"]["endpointurl"] == versions.gcs.url  # --remote-config, kept for updates

    dvc(project, "update", "--rev", "v2", "split.dvc")
    assert folder(project / "split") == split_folder(versions.produced["v2"])
