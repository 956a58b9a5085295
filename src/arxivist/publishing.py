"""Assemble models/published (model, tokenizer, model card) and upload it to the Hugging Face Hub.

The upload needs publish.push_to_hub: true and HF_TOKEN in the environment. The token is handed to
huggingface_hub and nowhere else: it is never logged, put in an error or written to a file.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

# huggingface_hub's HTTP client: its HTTPError is the base of HfHubHTTPError and network failures.
from httpx2 import HTTPError
from huggingface_hub import HfApi, ModelCard

from arxivist.atomic import atomic_path
from arxivist.cards import Revision
from arxivist.errors import ArxivistError
from arxivist.labels import LabelSet
from arxivist.params import PublishParams

log = logging.getLogger(__name__)

TOKEN_VARIABLE = "HF_TOKEN"
CARD = "README.md"


class PublishError(ArxivistError):
    """The model folder or the Hub settings do not allow publishing; the message says why."""


def hub_token(params: PublishParams, environ: Mapping[str, str] = os.environ) -> str | None:
    """The token to upload with, or None when publish.push_to_hub is false (logged).

    Asking for an upload without a token is an error rather than a skip: DVC would record the stage
    as done, and a later `dvc repro` with the token set would not run it again.
    """
    if not params.push_to_hub:
        log.info("upload skipped: publish.push_to_hub is false")
        return None
    token = environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        raise PublishError(
            f"publish.push_to_hub is true but {TOKEN_VARIABLE} is not set; export a Hub write "
            "token as HF_TOKEN, or set publish.push_to_hub: false to publish locally only"
        )
    return token


def check_model(model_dir: Path, labels: LabelSet) -> None:
    """Fail unless `model_dir` holds safetensors weights whose id2label are the display names."""
    config_path = model_dir / "config.json"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise PublishError(f"{config_path}: not a readable model config ({err})") from None
    if not any(model_dir.glob("*.safetensors")):
        raise PublishError(f"{model_dir}: no *.safetensors weights (train saves safetensors)")
    id2label = {int(i): name for i, name in config.get("id2label", {}).items()}
    if id2label != labels.id2label or config.get("label2id") != labels.label2id:
        raise PublishError(
            f"{config_path}: id2label {id2label} / label2id {config.get('label2id')} do not match "
            f"the display names of labels.json {labels.id2label}; re-run the train stage"
        )


def assemble(model_dir: Path, card: ModelCard, out: Path) -> None:
    """Write `out`: every file of `model_dir` (model and tokenizer) plus the card as README.md."""
    with atomic_path(out) as tmp:
        shutil.copytree(model_dir, tmp, ignore=shutil.ignore_patterns(".*", CARD))
        card.save(tmp / CARD)
    log.info("assembled %s", out)


def upload(folder: Path, repo_id: str, token: str) -> str:
    """Create the model repository if needed and commit `folder` to it; return the commit URL."""
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, exist_ok=True)
        commit = api.upload_folder(
            repo_id=repo_id,
            folder_path=folder,
            commit_message="Publish from the arxivist pipeline",
        )
    except (HTTPError, OSError) as err:
        raise PublishError(
            f"upload to the Hub repository {repo_id} (publish.repo_id) failed: {err}"
        ) from None
    log.info("uploaded %s to %s", folder, commit.commit_url)
    return commit.commit_url


def git_revision(cwd: Path | None = None) -> Revision | None:
    """HEAD and whether tracked files have changed, or None outside a git checkout."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        changes = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return None
    return Revision(commit, dirty=bool(changes))
