"""DVC against a GCS remote that fails: before a transfer, and in the middle of one.

Before: a tiny git + DVC repo with two `dvc add`ed files (no ML pipeline) and a server that is
down, a bucket that does not exist. A push to a stopped server costs about 35 s: gcsfs retries each
request 6 times with exponential backoff (1+2+4+8+16 s plus jitter), a schedule that neither
gcsfs, dvc-gs nor DVC lets one configure.

In the middle: the reproduced tiny pipeline plus a `dvc add`ed folder holding an 8 MiB weights
file (the real model is about 90 MB; anything over 5 MiB takes gcsfs's resumable-upload path, as
the model does). DVC talks to the local GCS through `standins.proxy.CuttingProxy`, which goes
down, as a crashed server would, a set number of bytes into that file's upload or download. And
two queued experiments run side by side (`dvc queue start -j 2`).
"""

from __future__ import annotations

import hashlib
import json
import random
import shlex
import signal
import subprocess
import time
import urllib.error
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from standins import localgcs
from standins.gcs import FakeGCS, init_repo, running_gcs
from standins.proxy import CuttingProxy
from standins.workspace import (
    BIN,
    ROOT,
    arxivist,
    copy_workspace,
    dvc,
    file_hashes,
    git,
    interruptible,
    reproduced_tiny_workspace,
    tool_env,
)
from tests.tooling.test_cleanup_docs import DOC, commands

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
    assert failed.returncode == 255, failed.stdout  # DVC's exit status for an "unexpected error"
    host = urllib.parse.urlsplit(local_gcs.url).netloc
    assert_retried_traceback(failed.stderr, host)  # the lines docs/data-versioning.md quotes
    errors = error_lines(failed.stderr)
    assert errors[-1].startswith(f"ERROR: unexpected error - Cannot connect to host {host} ")
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


def assert_retried_traceback(stderr: str, host: str) -> None:
    """gcsfs's traceback, as DVC shows it, for a request to `host` that never connected."""
    gave_up = f"_request out of retries on exception: Cannot connect to host {host} "
    assert stderr.startswith(gave_up), stderr[:2000]
    assert "Traceback (most recent call last):" in stderr
    assert (
        f"aiohttp.client_exceptions.ClientConnectorError: Cannot connect to host {host} " in stderr
    )


@pytest.mark.slow  # about a minute: 35 s of it is gcsfs retrying
def test_a_pull_from_a_stopped_server_shows_a_traceback_then_works_once_it_runs(
    local_gcs: FakeGCS, tmp_path: Path
) -> None:
    repo = tracked_repo(tmp_path / "repo", local_gcs.bucket)
    local_gcs.configure(repo)
    dvc(repo, "push", "-q")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    local_gcs.configure(clone)
    local_gcs.stop()

    failed = dvc(clone, "pull", check=False)
    assert failed.returncode == 1, failed.stdout
    host = urllib.parse.urlsplit(local_gcs.url).netloc
    assert_retried_traceback(failed.stderr, host)
    assert error_lines(failed.stderr) == [
        f"ERROR: failed to connect to gs ({local_gcs.bucket}/dvcstore/files/md5) - Cannot "
        f"connect to host {host} ssl:default [Connect call failed ('127.0.0.1', {local_gcs.port})]"
        f": [Errno 111] Connect call failed ('127.0.0.1', {local_gcs.port})",
        f"ERROR: failed to pull data from the cloud - {len(FILES)} files failed to download",
    ]

    local_gcs.start()  # what the docs say to do: start the server, pull again, check
    dvc(clone, "pull")
    checked = arxivist(clone, "check-data")
    assert checked.returncode == 0, checked.stdout + checked.stderr


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


# --- Faults in the middle of a transfer ---------------------------------------------------------

WEIGHTS = "models/base/model.safetensors"  # in a `dvc add`ed folder, as a directory output is
WEIGHTS_SIZE = 8 << 20  # over gcsfs's 5 MiB: a resumable upload, as the 90 MB model takes
CUT_AT = WEIGHTS_SIZE // 3
OUTPUTS = ("data", "models", "reports")


@pytest.fixture
def pipeline_gcs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeGCS]:
    """A fresh local GCS with the bucket that the project's DVC remote names."""
    state_dir = tmp_path_factory.mktemp("pipeline-gcs")
    with running_gcs(state_dir, localgcs.remote_bucket(ROOT)) as server:
        yield server


@pytest.fixture
def proxy(pipeline_gcs: FakeGCS) -> Iterator[CuttingProxy]:
    """A CuttingProxy in front of `pipeline_gcs`."""
    cutting = CuttingProxy(pipeline_gcs.port)
    yield cutting
    cutting.close()


def add_weights(repo: Path) -> str:
    """`dvc add` a folder holding WEIGHTS (incompressible bytes) and commit it; the file's md5."""
    data = random.Random(0).randbytes(WEIGHTS_SIZE)
    (repo / WEIGHTS).parent.mkdir(parents=True)
    (repo / WEIGHTS).write_bytes(data)
    dvc(repo, "add", "-q", str(Path(WEIGHTS).parent))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Add the weights")
    return hashlib.md5(data).hexdigest()


def object_name(md5: str) -> str:
    return f"dvcstore/files/md5/{md5[:2]}/{md5[2:]}"


def wait_for_cut(
    proxy: CuttingProxy, process: subprocess.Popen[str], timeout_s: float = 60
) -> None:
    """Wait until `proxy` has cut the transfer that `process` (a dvc command) started."""
    deadline = time.monotonic() + timeout_s
    while proxy.cut is None:
        assert process.poll() is None, f"dvc exited before the cut:\n{process.communicate()}"
        assert time.monotonic() < deadline, f"no cut after {timeout_s} s"
        time.sleep(0.05)


def test_the_proxy_cuts_a_body_where_told_and_refuses_until_restored(
    pipeline_gcs: FakeGCS, proxy: CuttingProxy
) -> None:
    body = random.Random(1).randbytes(1 << 20)
    query = urllib.parse.urlencode({"uploadType": "media", "name": "big"})
    upload = f"{proxy.url}/upload/storage/v1/b/{pipeline_gcs.bucket}/o?{query}"
    proxy.cut_during("up", larger_than=len(body), after=1000)
    with pytest.raises(OSError):  # reset while sending, or no response
        localgcs.request_json("POST", upload, body)
    assert proxy.cut is not None
    assert (proxy.cut.size, proxy.cut.through) == (len(body), 1000), proxy.cut
    assert proxy.cut.request.startswith(f"POST /upload/storage/v1/b/{pipeline_gcs.bucket}/o?")
    with pytest.raises(urllib.error.URLError, match="Connection refused"):
        localgcs.request_json("GET", f"{proxy.url}/storage/v1/b")
    assert pipeline_gcs.objects() == [], "a cut upload left an object"

    proxy.restore()
    localgcs.request_json("POST", upload, body)
    assert pipeline_gcs.objects() == ["big"]


@pytest.mark.slow  # about 80 s: 69 s of it gcsfs retrying the upload, then its cancellation
def test_a_push_cut_mid_model_leaves_no_object_and_a_rerun_completes(
    pipeline_gcs: FakeGCS,
    proxy: CuttingProxy,
    tiny_bert: Path,
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
) -> None:
    reproduced = reproduced_tiny_workspace(tmp_path_factory, tiny_bert)
    repo = copy_workspace(reproduced, tmp_path / "repo")
    localgcs.configure_dvc(repo, proxy.url)
    dvc(repo, "push")  # the pipeline's outputs: now the remote lacks only the new weights
    md5 = add_weights(repo)
    proxy.cut_during("up", larger_than=WEIGHTS_SIZE, after=CUT_AT)

    started = time.monotonic()
    failed = dvc(repo, "push", check=False)
    elapsed = time.monotonic() - started
    assert failed.returncode == 1, failed.stdout + failed.stderr[-2000:]
    cut = proxy.cut
    assert cut is not None, "the push finished without the cut"
    assert cut.request.startswith("POST /upload/"), cut  # a third of the weights went up
    assert (cut.size, cut.through) == (WEIGHTS_SIZE, CUT_AT), cut
    errors = error_lines(failed.stderr)
    assert any(f"failed to transfer '{md5}'" in line for line in errors), failed.stderr[-3000:]
    # Two: the weights, and the manifest of their folder, which DVC holds back (next check).
    assert errors[-1].endswith("failed to push data to the cloud - 2 files failed to upload")
    print(f"dvc push with the server gone mid-object: {elapsed:.1f} s to fail")

    # Nothing half-written: no weights object, and no manifest of their folder (DVC uploads a
    # directory's .dir only after every member).
    manifest = yaml.safe_load((repo / "models/base.dvc").read_text())["outs"][0]["md5"]
    names = pipeline_gcs.objects("dvcstore/")
    assert object_name(md5) not in names
    assert object_name(manifest) not in names
    proxy.restore()
    checked = arxivist(repo, "check-data")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert f"  missing from remote: {WEIGHTS}\n" in checked.stderr, checked.stderr

    pushed = dvc(repo, "push")
    assert "pushed" in pushed.stdout, pushed.stdout
    assert object_name(md5) in pipeline_gcs.objects("dvcstore/")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    pipeline_gcs.configure(clone)
    dvc(clone, "pull")
    assert file_hashes(clone, *OUTPUTS) == file_hashes(repo, *OUTPUTS)
    checked = arxivist(clone, "check-data")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def partial_downloads(repo: Path) -> list[int]:
    """Sizes of the temporary files of unfinished downloads in `repo`'s DVC cache."""
    return sorted(path.stat().st_size for path in (repo / ".dvc/cache").rglob(".*.tmp"))


@pytest.mark.slow  # about 15 s each
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "killed"])
def test_a_pull_cut_mid_model_then_stopped_is_completed_by_a_rerun(
    signum: signal.Signals,
    pipeline_gcs: FakeGCS,
    proxy: CuttingProxy,
    tiny_bert: Path,
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
) -> None:
    """The server goes down a third into the weights; the pull is then stopped, as a user stops
    a pull that hangs (left alone, gcsfs retries each remaining object for about 33 s, one
    object after another). The rerun, with the server back, restores every byte."""
    reproduced = reproduced_tiny_workspace(tmp_path_factory, tiny_bert)
    repo = copy_workspace(reproduced, tmp_path / "repo")
    pipeline_gcs.configure(repo)
    md5 = add_weights(repo)
    dvc(repo, "push")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    localgcs.configure_dvc(clone, proxy.url)
    proxy.cut_during("down", larger_than=WEIGHTS_SIZE, after=CUT_AT)

    pull = subprocess.Popen(
        [str(BIN / "dvc"), "pull"],
        cwd=clone,
        env=tool_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=interruptible,
    )
    wait_for_cut(proxy, pull)
    cut = proxy.cut
    assert cut is not None and cut.request.startswith("GET "), cut  # a third into the weights
    assert urllib.parse.quote(object_name(md5), safe="") in cut.request, cut
    assert (cut.size, cut.through) == (WEIGHTS_SIZE, CUT_AT), cut
    time.sleep(0.5)  # into gcsfs's retries
    pull.send_signal(signum)
    # DVC stops once gcsfs gives up its retries: seconds when idle, over a minute on a loaded
    # 2-core machine (a CI run under load hit 60 s).
    _, stderr = pull.communicate(timeout=240)
    if signum == signal.SIGINT:
        assert pull.returncode == 252, stderr[-2000:]
        assert error_lines(stderr) == ["ERROR: interrupted by the user"], stderr[-2000:]
        assert partial_downloads(clone) == []
    else:
        assert pull.returncode == -signal.SIGKILL
        # No process can clean up after SIGKILL, and no later dvc command but `dvc gc` does.
        partial = partial_downloads(clone)
        assert len(partial) == 1 and 0 < partial[0] <= CUT_AT, partial

    proxy.restore()
    assert not (clone / WEIGHTS).exists()
    assert dvc(clone, "status").returncode == 0  # it lists the missing outputs, but exits 0
    checked = arxivist(clone, "check-data")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert f"  missing from workspace: {WEIGHTS}\n" in checked.stderr, checked.stderr

    dvc(clone, "pull")
    assert json.loads(dvc(clone, "status", "--json").stdout) == {}
    assert file_hashes(clone, *OUTPUTS) == file_hashes(repo, *OUTPUTS)
    checked = arxivist(clone, "check-data")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    if signum == signal.SIGKILL:
        assert len(partial_downloads(clone)) == 1, "dvc pull now removes stale partial downloads"
        (remedy,) = commands(DOC.read_text(encoding="utf-8"), "find .dvc/cache")
        subprocess.run(shlex.split(remedy), cwd=clone, check=True)  # the docs' line, as written
        assert partial_downloads(clone) == []
        checked = arxivist(clone, "check-data")
        assert checked.returncode == 0, checked.stdout + checked.stderr
