"""DVC against a GCS remote that fails: a server that is down, a bucket that does not exist.

A tiny git + DVC repo with two `dvc add`ed files (no ML pipeline) on the local GCS. A push to a
stopped server costs about 35 s: gcsfs retries each request 6 times with exponential backoff
(1+2+4+8+16 s plus jitter), a schedule that neither gcsfs, dvc-gs nor DVC lets one configure.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from pathlib import Path

import pytest

from arxivist import localgcs
from tests.fakes.gcs import FakeGCS, init_repo
from tests.fakes.workspace import arxivist, dvc, git

FILES = {"a.txt": b"alpha\r\n", "b.bin": bytes(range(256))}


def tracked_repo(path: Path, bucket: str) -> Path:
    """A committed git + DVC repo tracking FILES, whose `gcs` remote is gs://BUCKET/dvcstore."""
    repo = init_repo(path, bucket)
    for name, data in FILES.items():
        (repo / name).write_bytes(data)
    dvc(repo, "add", "-q", *FILES)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "data")
    return repo


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("ERROR")]


def buckets(gcs: FakeGCS) -> list[str]:
    return [b["name"] for b in localgcs.request_json("GET", f"{gcs.url}/storage/v1/b")["items"]]


@pytest.mark.slow  # about a minute: 35 s of it is gcsfs retrying
def test_a_push_to_a_stopped_server_fails_and_marks_nothing_pushed(
    local_gcs: FakeGCS, tmp_path: Path
) -> None:
    repo = tracked_repo(tmp_path / "repo", local_gcs.bucket)
    local_gcs.configure(repo)
    local_gcs.stop()

    started = time.monotonic()
    failed = dvc(repo, "push", check=False)
    elapsed = time.monotonic() - started
    assert failed.returncode != 0, failed.stdout
    host = urllib.parse.urlsplit(local_gcs.url).netloc
    errors = error_lines(failed.stderr)
    assert errors and f"Cannot connect to host {host}" in errors[-1], failed.stderr[-2000:]
    assert "pushed" not in failed.stdout, failed.stdout
    print(f"dvc push to a stopped server: {elapsed:.1f} s to fail")

    local_gcs.start()  # same port, same (empty) bucket
    assert local_gcs.objects() == [], "a failed push left objects behind"
    cloud = json.loads(dvc(repo, "status", "--cloud", "--json").stdout)
    assert cloud == dict.fromkeys(FILES, "new"), f"dvc status -c after the failed push: {cloud}"
    data = json.loads(dvc(repo, "data", "status", "--not-in-remote", "--json").stdout)
    assert sorted(data.get("not_in_remote", [])) == sorted(FILES), data

    pushed = dvc(repo, "push")
    assert f"{len(FILES)} files pushed" in pushed.stdout, pushed.stdout
    assert len(local_gcs.objects("dvcstore/files/md5/")) == len(FILES)
    assert json.loads(dvc(repo, "status", "--cloud", "--json").stdout) == {}

    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    local_gcs.configure(clone)
    dvc(clone, "pull")
    for name, data_bytes in FILES.items():
        assert (clone / name).read_bytes() == data_bytes, name


def test_a_bucket_that_does_not_exist_is_an_error_naming_it(
    local_gcs: FakeGCS, tmp_path: Path
) -> None:
    repo = tracked_repo(tmp_path / "repo", "no-such-bucket")
    local_gcs.configure(repo)

    failed = dvc(repo, "push", check=False)
    assert failed.returncode != 0, failed.stdout
    errors = error_lines(failed.stderr)
    # gcsfs turns GCS's 404 into FileNotFoundError(path): DVC's message names the bucket only in
    # that path ("unexpected error - b/no-such-bucket/o" or "failed to transfer ... b/no-such-...").
    assert errors and any("no-such-bucket" in line for line in errors), failed.stderr[-2000:]
    assert buckets(local_gcs) == [local_gcs.bucket], "the push created a bucket"

    # A newcomer's clone: `dvc pull` fails naming the bucket, check-data names each lost path.
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    local_gcs.configure(clone)
    pulled = dvc(clone, "pull", check=False)
    assert pulled.returncode != 0, pulled.stdout
    assert any("no-such-bucket" in line for line in error_lines(pulled.stderr)), pulled.stderr
    checked = arxivist(clone, "check-data")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    for name in FILES:
        assert f"  missing from remote: {name}\n" in checked.stderr, checked.stderr
