"""`arxivist push-to-hub` uploads the published folder on purpose, to a local Hub-compatible
server here: private unless --public, refused before any request without HF_TOKEN or good metrics.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from huggingface_hub import ModelCard

from arxivist.cli import main
from standins.hub import DROP, FakeHub
from standins.workspace import ROOT
from tests.unit.publishing.workdirs import (
    REPO_ID,
    TOKEN,
    hub_env,
)


def push_to_hub(
    *args: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> tuple[int, str]:
    """Run `arxivist push-to-hub ARGS` in this process: its exit code and everything it said
    (stdout, stderr and every log record, huggingface_hub's debug records included)."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="huggingface_hub")
    code = main(["push-to-hub", *args])
    out, err = capsys.readouterr()
    return code, out + err + caplog.text


def test_push_to_hub_uploads_the_folder_privately_with_the_token(
    published: Path, fake_hub: FakeHub
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "arxivist.cli", "push-to-hub"],
        cwd=published.parent.parent,
        env=hub_env(fake_hub),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert fake_hub.repos == {REPO_ID: "private"}  # publish.repo_id of params.yaml
    posts = [r for r in fake_hub.requests if r[0] == "POST"]
    assert {r[2]["authorization"] for r in posts} == {f"Bearer {TOKEN}"}
    assert any(r[1] == f"/api/models/{REPO_ID}/commit/main" for r in posts)
    assert fake_hub.committed_files() == {
        p.relative_to(published).as_posix(): p.read_bytes()
        for p in published.rglob("*")
        if p.is_file()
    }
    commit_url = f"{fake_hub.url}/{REPO_ID}/commit/{'a' * 40}"
    assert done.stdout == f"pushed models/published to {REPO_ID}: {commit_url}\n"
    files = [p for p in published.parent.parent.rglob("*") if p.is_file()]
    assert [p for p in files if TOKEN.encode() in p.read_bytes()] == []
    assert TOKEN not in done.stdout + done.stderr


def test_public_flag_makes_a_public_repo_and_floors_at_the_values_pass(
    published: Path,
    hub_shell: FakeHub,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    code, said = push_to_hub(
        "--public",
        "--repo-id=other/name",
        "--min-roc-auc=0.9821",
        "--min-macro-f1=0.9321",
        capsys=capsys,
        caplog=caplog,
    )

    assert code == 0, said
    assert hub_shell.repos == {"other/name": "public"}
    assert "pushed models/published to other/name: " in said
    assert TOKEN not in said


def test_no_token_is_refused_before_any_request(
    published: Path,
    hub_shell: FakeHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("HF_TOKEN", " ")

    code, said = push_to_hub(capsys=capsys, caplog=caplog)

    assert code == 1
    assert "error: HF_TOKEN is not set; export a Hub write token as HF_TOKEN" in said
    assert hub_shell.requests == []


def test_offline_mode_is_refused_before_any_request(
    published: Path,
    hub_shell: FakeHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)

    code, said = push_to_hub(capsys=capsys, caplog=caplog)

    assert code == 1 and "offline mode" in said and "HF_HUB_OFFLINE=0 to upload" in said
    assert hub_shell.requests == [] and TOKEN not in said


def test_ctrl_c_during_the_push_is_one_line_and_status_130(
    published: Path,
    hub_shell: FakeHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("arxivist.publishing.hub_upload.upload", interrupted)

    code, said = push_to_hub(capsys=capsys, caplog=caplog)

    assert code == 130
    assert said == "error: interrupted; the Hub repository may hold a partial upload\n"


@pytest.mark.parametrize(
    ("floor", "message"),
    [
        ("--min-roc-auc=0.99", "test ROC-AUC (one-vs-rest) 0.9821 is below the floor 0.99"),
        ("--min-macro-f1=0.95", "test macro-F1 0.9321 is below the floor 0.95 (--min-macro-f1)"),
    ],
)
def test_metrics_below_a_floor_are_refused_before_any_request(
    published: Path,
    hub_shell: FakeHub,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    floor: str,
    message: str,
) -> None:
    code, said = push_to_hub(floor, capsys=capsys, caplog=caplog)

    assert code == 1 and f"error: {message}" in said
    assert hub_shell.requests == []


def drop_macro_f1(folder: Path) -> None:
    card = ModelCard.load(folder / "README.md")
    card.data.eval_results = [r for r in card.data.eval_results if r.metric_type != "f1"]
    card.save(folder / "README.md")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda folder: (folder / "README.md").unlink(), "no model card (README.md)"),
        (
            lambda folder: ModelCard("---\nlicense: mit\n---\nNo results.\n").save(
                folder / "README.md"
            ),
            "the model card has no test ROC-AUC (one-vs-rest)",
        ),
        (drop_macro_f1, "the model card has no test macro-F1"),
        (lambda folder: (folder / "config.json").unlink(), "not a saved model (no config.json)"),
    ],
    ids=["no-card", "no-metrics", "no-macro-f1", "no-config"],
)
def test_a_folder_without_card_metrics_or_model_is_refused_before_any_request(
    published: Path,
    hub_shell: FakeHub,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    damage: Callable[[Path], None],
    message: str,
) -> None:
    damage(published)

    code, said = push_to_hub(capsys=capsys, caplog=caplog)

    assert code == 1 and message in said
    assert hub_shell.requests == []


def test_without_params_yaml_the_repo_id_is_required(
    published: Path,
    hub_shell: FakeHub,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    Path("params.yaml").unlink()

    code, said = push_to_hub(capsys=capsys, caplog=caplog)

    assert code == 1 and "--repo-id is required" in said
    assert hub_shell.requests == []


@pytest.mark.parametrize(
    ("path_part", "status", "step"),
    [
        ("/api/", 401, "creating the repository"),
        ("/api/repos/create", 500, "creating the repository"),
        ("/commit/", 403, "uploading the folder"),
    ],
    ids=["token-rejected", "hub-fails", "commit-refused"],
)
def test_hub_errors_name_the_repo_and_status_but_never_the_token(
    published: Path,
    hub_shell: FakeHub,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    path_part: str,
    status: int,
    step: str,
) -> None:
    hub_shell.fail(path_part, status)  # its error messages quote the Authorization header

    code, said = push_to_hub(capsys=capsys, caplog=caplog)

    assert code == 1
    assert f"error: Hub repository {REPO_ID}: {step} failed (HTTP {status} " in said
    assert "Bearer <HF_TOKEN>" in said and TOKEN not in said


# Every request push-to-hub makes, and the ways a Hub (or something posing as one) can fail it;
# each answer quotes the Authorization header.
REQUESTS = {
    "/api/repos/create": "creating the repository",
    "/preupload/": "uploading the folder",
    "/commit/": "uploading the folder",
}

FAULTS = {
    "401-odd-body": (401, '{"unexpected": "{authorization}"}'),
    "500": (500, None),
    "malformed-json": (200, '{"url": "{authorization}"'),
    "connection-dropped": (DROP, None),
}


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("path_part", REQUESTS)
def test_no_failure_of_any_request_ever_shows_the_token(
    published: Path,
    hub_shell: FakeHub,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    path_part: str,
    fault: str,
) -> None:
    hub_shell.fail(path_part, *FAULTS[fault])

    code, said = push_to_hub(capsys=capsys, caplog=caplog)

    assert code == 1
    assert any(path_part in request[1] for request in hub_shell.requests)
    error = [line for line in said.splitlines() if line.startswith("error: ")]
    assert len(error) == 1, said
    assert error[0].startswith(f"error: Hub repository {REPO_ID}: {REQUESTS[path_part]} failed (")
    assert TOKEN not in said
    files = [p for p in published.parent.parent.rglob("*") if p.is_file()]
    assert [p for p in files if TOKEN.encode() in p.read_bytes()] == []


def test_a_malformed_hf_endpoint_is_one_line_naming_it(published: Path, fake_hub: FakeHub) -> None:
    """In a fresh process: huggingface_hub parses HF_ENDPOINT when it is imported."""
    done = subprocess.run(
        [sys.executable, "-m", "arxivist.cli", "push-to-hub"],
        cwd=published.parent.parent,
        env={
            **hub_env(fake_hub),
            "HF_ENDPOINT": "http://[::1",
            "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert (done.returncode, done.stdout, fake_hub.requests) == (1, "", [])
    assert done.stderr == (
        "error: HF_ENDPOINT: 'http://[::1' is not an http(s) URL (Invalid IPv6 URL); unset it to "
        "use the Hugging Face Hub, or set the address of a Hub-compatible server\n"
    )
