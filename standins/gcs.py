"""A local GCS for tests (fake-gcs-server through standins.localgcs): the `local_gcs` fixture.

Use it with `pytest_plugins = ["standins.gcs"]`. The server listens on 127.0.0.1 only and keeps
its objects on disk, so `stop()` then `start()` brings the same bucket back on the same port.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from standins import localgcs
from standins.workspace import ROOT, dvc, git, tool_env

BUCKET = "arxivist-demo"


class FakeGCS:
    """A local GCS server whose state lives in `state_dir`."""

    def __init__(self, state_dir: Path, bucket: str = BUCKET) -> None:
        self.state_dir = state_dir
        self.bucket = bucket
        self.port: int | None = None

    @property
    def url(self) -> str:
        """The endpoint (http://127.0.0.1:PORT); fixed by the first start()."""
        assert self.port is not None, "start() the server first"
        return f"http://{localgcs.HOST}:{self.port}"

    def start(self) -> None:
        """Start (or restart) the server, on the same port and data as before."""
        self.port = localgcs.start(self.state_dir, self.bucket, self.port).port

    def stop(self) -> None:
        """Stop the server; objects stay on disk for the next start()."""
        localgcs.stop(self.state_dir)

    def configure(self, repo_dir: Path, remote: str = "gcs") -> None:
        """Point DVC remote `remote` of `repo_dir` at this server (local config only)."""
        localgcs.configure_dvc(repo_dir, self.url, remote)

    def objects(self, prefix: str = "") -> list[str]:
        """Names of the objects in the bucket under `prefix`."""
        return localgcs.list_objects(self.url, self.bucket, prefix)

    def delete(self, name: str) -> None:
        """Delete one object over the JSON API."""
        localgcs.request_json("DELETE", localgcs.object_url(self.url, self.bucket, name))

    def upload(self, name: str, data: bytes) -> None:
        """Create or replace one object over the JSON API."""
        query = urllib.parse.urlencode({"uploadType": "media", "name": name})
        bucket = urllib.parse.quote(self.bucket, safe="")
        localgcs.request_json("POST", f"{self.url}/upload/storage/v1/b/{bucket}/o?{query}", data)


@contextmanager
def running_gcs(state_dir: Path, bucket: str = BUCKET) -> Iterator[FakeGCS]:
    """A started FakeGCS with the offline GCS/DVC environment set, torn down on exit."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**localgcs.gcs_env(), "DVC_NO_ANALYTICS": "1"}.items():
            patch.setenv(name, value)
        server = FakeGCS(state_dir, bucket)
        server.start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def local_gcs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeGCS]:
    """A fresh local GCS with an empty `arxivist-demo` bucket (about 0.1 s to start)."""
    with running_gcs(tmp_path_factory.mktemp("local-gcs")) as server:
        yield server


def init_repo(path: Path, bucket: str = BUCKET) -> Path:
    """A new git + DVC repo at `path` whose default remote `gcs` is gs://BUCKET/dvcstore."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    dvc(path, "init", "-q")
    dvc(path, "remote", "add", "-d", "gcs", f"gs://{bucket}/dvcstore")
    return path


def localgcs_command(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m standins.localgcs ARGS` in `cwd`, as `make gcs-up` does in a checkout, also
    in a workspace without standins/ (not checked: callers assert on the exit code)."""
    env = tool_env()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "standins.localgcs", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
