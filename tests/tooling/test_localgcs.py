"""standins.localgcs: the local GCS, its command line (`python -m standins.localgcs`), and a DVC
push/pull round trip through it."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
from pathlib import Path

import pytest

from standins import localgcs
from standins.gcs import BUCKET, FakeGCS, init_repo, localgcs_command
from standins.workspace import dvc, git

# Bytes that a lossy transfer would damage: CRLF (one emulator dropped a trailing \r), binary.
SAMPLE = {
    "notes.txt": b"first line\r\nsecond line\r\n",
    "corpus/a.jsonl": b'{"id": "2401.00001"}\n',
    "corpus/nested/b.bin": bytes(range(256)) * 4,
    "corpus/c.txt": b"ends with CR\r",
}


def write_sample(repo: Path) -> None:
    for name, data in SAMPLE.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_bytes(data)


def test_start_waits_for_a_server_that_is_slow_to_exec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The started PID runs something else (here a shell that sleeps) before it becomes the server,
    as the backgrounded child does until its exec; start() waits for it rather than giving up."""
    real = localgcs._server_binary()
    slow = tmp_path / "slow-exec"
    slow.write_text(f'#!/bin/sh\nsleep 1\nexec "{real}" "$@"\n', encoding="utf-8")
    slow.chmod(0o755)
    monkeypatch.setattr(localgcs, "_server_binary", lambda: slow)
    server = localgcs.start(tmp_path / "state", "bucket-slow")
    try:
        assert localgcs.status(tmp_path / "state") == server
    finally:
        assert localgcs.stop(tmp_path / "state")


def test_start_status_stop(tmp_path: Path) -> None:
    server = localgcs.start(tmp_path, "bucket-one")
    try:
        assert localgcs.status(tmp_path) == server
        state = json.loads((tmp_path / "server.json").read_text())
        assert state == {
            "pid": server.pid,
            "port": server.port,
            "url": server.url,
            "bucket": "bucket-one",
        }
        buckets = localgcs.request_json("GET", f"{server.url}/storage/v1/b")["items"]
        assert [b["name"] for b in buckets] == ["bucket-one"]

        again = localgcs.start(tmp_path, "bucket-two")  # already running: only adds the bucket
        assert again.pid == server.pid
        assert not localgcs.ensure_bucket(server.url, "bucket-two")
        with pytest.raises(localgcs.LocalGCSError, match="already runs on port"):
            localgcs.start(tmp_path, "bucket-one", port=server.port + 1)
    finally:
        assert localgcs.stop(tmp_path)
    assert localgcs.status(tmp_path) is None
    assert not (tmp_path / "server.json").exists()
    # Nothing serves any more: refused, or (seen once under load) reset by a closing socket.
    with pytest.raises((urllib.error.URLError, ConnectionResetError)):
        localgcs.request_json("GET", f"{server.url}/storage/v1/b")
    assert not localgcs.stop(tmp_path)  # harmless when nothing runs


def test_a_reused_pid_in_a_stale_state_file_is_left_alone(tmp_path: Path) -> None:
    other = subprocess.Popen(["sleep", "30"])
    try:
        state = {"pid": other.pid, "port": 1, "url": "http://127.0.0.1:1", "bucket": "b"}
        (tmp_path / "server.json").write_text(json.dumps(state))
        assert localgcs.status(tmp_path) is None  # alive, but not fake-gcs-server
        assert not localgcs.stop(tmp_path)
        assert other.poll() is None  # not killed
        assert not (tmp_path / "server.json").exists()
    finally:
        other.kill()
        other.wait()


def test_objects_survive_a_restart_on_the_same_port(local_gcs: FakeGCS) -> None:
    url = local_gcs.url
    local_gcs.upload("dvcstore/files/md5/ab/cdef", b"payload\r\n")
    local_gcs.stop()
    with pytest.raises((urllib.error.URLError, ConnectionError)):  # refused, or reset while closing
        local_gcs.objects()
    local_gcs.start()
    assert local_gcs.url == url
    assert local_gcs.objects("dvcstore/") == ["dvcstore/files/md5/ab/cdef"]


def test_cli_start_configures_only_the_local_dvc_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = init_repo(tmp_path / "repo")
    committed = (repo / ".dvc" / "config").read_text()
    args = ["--repo", str(repo)]
    try:
        assert localgcs.main(["start", *args]) == 0
        out = capsys.readouterr().out
        server = localgcs.status(repo / ".local-gcs")
        assert server is not None and server.bucket == BUCKET
        assert "export GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT=false NO_GCE_CHECK=true" in out
        local = (repo / ".dvc" / "config.local").read_text()
        assert f"endpointurl = {server.url}" in local
        assert "allow_anonymous_login = true" in local
        assert (repo / ".dvc" / "config").read_text() == committed
        assert localgcs.list_objects(server.url, BUCKET) == []  # the bucket exists

        assert localgcs.main(["status", *args]) == 0
        assert f"bucket gs://{BUCKET}: 0 object(s)" in capsys.readouterr().out
    finally:
        assert localgcs.main(["stop", *args]) == 0
    assert localgcs.main(["status", *args]) == 1
    assert "not running" in capsys.readouterr().out


def test_cli_start_refuses_a_remote_that_is_not_gcs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".dvc").mkdir()
    (tmp_path / ".dvc" / "config").write_text("['remote \"elsewhere\"']\n    url = s3://b/path\n")
    args = ["--repo", str(tmp_path)]
    assert localgcs.main(["start", *args, "--remote", "elsewhere"]) == 1
    assert "remote 'elsewhere' is 's3://b/path', not a gs://BUCKET" in capsys.readouterr().err
    assert localgcs.main(["start", *args, "--remote", "gcs"]) == 1
    assert "remote 'gcs' is not defined" in capsys.readouterr().err
    assert localgcs.status(tmp_path / ".local-gcs") is None


def test_push_then_pull_in_a_fresh_clone_restores_identical_bytes(
    local_gcs: FakeGCS, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "repo")
    write_sample(repo)
    dvc(repo, "add", "-q", "notes.txt", "corpus")
    local_gcs.configure(repo)
    started = time.monotonic()
    dvc(repo, "push")
    pushed = time.monotonic()
    # 4 files + 1 .dir manifest, under the remote's path in the bucket
    assert len(local_gcs.objects("dvcstore/files/md5/")) == len(SAMPLE) + 1
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "data")

    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    local_gcs.configure(clone)
    pulling = time.monotonic()
    pulled = dvc(clone, "pull")
    done = time.monotonic()
    # dvc pull can exit 0 while warning about missing objects (dvc issue 9867)
    assert "missing" not in (pulled.stdout + pulled.stderr).lower()
    for name, data in SAMPLE.items():
        assert (clone / name).read_bytes() == data, name
    print(f"dvc push {pushed - started:.1f} s, dvc pull {done - pulling:.1f} s")


def test_cli_env_prints_the_exports_dvc_needs(capsys: pytest.CaptureFixture[str]) -> None:
    assert localgcs.main(["env"]) == 0
    assert "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT=false" in capsys.readouterr().out


def test_it_runs_as_a_module_from_any_folder(tmp_path: Path) -> None:
    """`python -m standins.localgcs` (what `make gcs-up` runs), here in a folder without standins/:
    its own exit codes and output, no traceback."""
    env = localgcs_command(tmp_path, "env")
    assert env.returncode == 0, env.stderr
    assert env.stdout == localgcs.export_line() + "\n"
    status = localgcs_command(tmp_path, "status")
    assert (status.returncode, status.stderr) == (1, "")
    assert f"local GCS is not running (state dir {Path('.local-gcs')})" in status.stdout
    started = localgcs_command(tmp_path, "start")  # no .dvc/ here
    assert started.returncode == 1
    assert started.stderr == (
        f"python -m standins.localgcs start: {tmp_path} is not a DVC workspace (no .dvc/)\n"
    )


def test_a_truncated_state_file_is_one_line_and_stop_still_stops_the_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = localgcs.start(tmp_path, "bucket-cut")
    state = tmp_path / "server.json"
    try:
        state.write_text(state.read_text()[:20])

        assert localgcs.main(["status", "--state-dir", str(tmp_path)]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert err.startswith(f"python -m standins.localgcs status: {state} is damaged (")
        assert err.endswith(
            f"`python -m standins.localgcs stop` stops the server of {tmp_path} and forgets it\n"
        )

        assert localgcs.main(["stop", "--state-dir", str(tmp_path)]) == 0
        assert "stopped local GCS" in capsys.readouterr().out
        assert not localgcs._alive(server.pid) and not state.exists()
    finally:
        if localgcs._alive(server.pid):
            localgcs._terminate(server.pid)
