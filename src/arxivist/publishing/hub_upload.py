"""`arxivist push-to-hub`: upload a published model folder to the Hugging Face Hub, on purpose.

The publish stage only assembles models/published; this command is the upload. Before any request
it refuses a folder that is not a saved model (no config.json), has no model card (README.md), or
whose card lacks the test ROC-AUC or macro-F1 or puts them below the floors, and it refuses to run
without HF_TOKEN or in offline mode. The repository is created private unless --public is given
(the Hub's own default is public). The token comes from HF_TOKEN only and goes to huggingface_hub
only: it is never printed, logged or put into an error message.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path

import httpx2
import yaml
from huggingface_hub import CommitInfo, HfApi, ModelCard, constants
from huggingface_hub.errors import HfHubHTTPError

from arxivist.errors import ArxivistError
from arxivist.params import REPO_ID, load_params
from arxivist.publishing.folder import CARD

TOKEN_VARIABLE = "HF_TOKEN"
# The card's model-index results that must meet a floor: (metric type, config) -> (name, flag).
FLOORED = {
    ("roc_auc", "ovr"): ("test ROC-AUC (one-vs-rest)", "min_roc_auc"),
    ("f1", "macro"): ("test macro-F1", "min_macro_f1"),
}


class PushError(ArxivistError):
    """The folder, token or Hub stopped the upload; the message says why, never the token."""


class PushInterrupted(PushError):
    """Ctrl-C during the push: one line and the shell's status for SIGINT, never a traceback."""

    exit_status = 130


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        type=Path,
        default=Path("models/published"),
        metavar="DIR",
        help="the folder the publish stage assembled (default: %(default)s)",
    )
    parser.add_argument(
        "--repo-id",
        metavar="OWNER/NAME",
        help="the Hub model repository (default: publish.repo_id of ./params.yaml)",
    )
    parser.add_argument(
        "--public",
        action="store_true",
        help="create the repository public (default: private; an existing repo keeps its setting)",
    )
    for flag, what in (("--min-roc-auc", "ROC-AUC (one-vs-rest)"), ("--min-macro-f1", "macro-F1")):
        parser.add_argument(
            flag,
            type=fraction,
            default=0.0,
            metavar="X",
            help=f"refuse a model whose card's test {what} is below X (default: %(default)s, "
            "which only requires the metric to be in the card)",
        )
    parser.add_argument(
        "--commit-message",
        default="Upload from arxivist",
        help="the Hub commit's message (default: %(default)r)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        repo_id = args.repo_id or default_repo_id(Path("params.yaml"))
        check_repo_id(repo_id)
        floors = {key: getattr(args, flag) for key, (_, flag) in FLOORED.items()}
        check_floors(card_metrics(args.model), floors)
        token = hub_token()
        commit = upload(
            args.model,
            repo_id,
            token,
            private=not args.public,
            commit_message=args.commit_message,
        )
    except KeyboardInterrupt:  # no traceback: a chained HTTP error in it could quote the token
        raise PushInterrupted("interrupted; the Hub repository may hold a partial upload") from None
    print(f"pushed {args.model} to {repo_id}: {commit.commit_url}")
    return 0


def default_repo_id(params_path: Path) -> str:
    """publish.repo_id of `params_path`; without that file, --repo-id is required."""
    if not params_path.is_file():
        raise PushError(
            f"--repo-id is required: no {params_path} here to take publish.repo_id from"
        )
    return load_params(params_path).publish.repo_id


def check_repo_id(repo_id: str) -> None:
    if not REPO_ID.match(repo_id):
        raise PushError(f"--repo-id must look like 'owner/name', got {repo_id!r}")


def card_metrics(folder: Path) -> dict[tuple[str, str | None], float]:
    """The test-split results of the model card in `folder`: (metric type, config) -> value."""
    if not (folder / "config.json").is_file():
        raise PushError(f"{folder}: not a saved model (no config.json); run `dvc repro publish`")
    card_path = folder / CARD
    if not card_path.is_file():
        raise PushError(f"{folder}: no model card ({CARD}); run `dvc repro publish`")
    try:
        card = ModelCard.load(card_path)
    except (OSError, ValueError, yaml.YAMLError) as err:
        raise PushError(f"{card_path}: not a readable model card ({err})") from None
    return {
        (result.metric_type, result.metric_config): result.metric_value
        for result in card.data.eval_results or []
        if result.dataset_split == "test"
    }


def check_floors(
    metrics: Mapping[tuple[str, str | None], object],
    floors: Mapping[tuple[str, str | None], float],
) -> None:
    """Fail unless every floored metric is in `metrics`, a number, and at least its floor."""
    for key, floor in floors.items():
        name, flag = FLOORED[key]
        value = metrics.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PushError(
                f"the model card has no {name} (model-index {key[0]}/{key[1]} on the test split, "
                f"got {value!r}); run `dvc repro publish`"
            )
        if value < floor:
            raise PushError(
                f"{name} {value} is below the floor {floor} (--{flag.replace('_', '-')}); "
                "refusing to upload"
            )


def hub_token(environ: Mapping[str, str] = os.environ) -> str:
    """The Hub write token from HF_TOKEN (and nowhere else, not the cached login)."""
    token = environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        raise PushError(
            f"{TOKEN_VARIABLE} is not set; export a Hub write token as {TOKEN_VARIABLE}"
        )
    return token


def upload(
    folder: Path, repo_id: str, token: str, *, private: bool, commit_message: str
) -> CommitInfo:
    """Create `repo_id` if needed (private unless told otherwise) and commit `folder` to it.

    The endpoint is HF_ENDPOINT when set (read now, so tests can point it at a local server).
    """
    if constants.is_offline_mode():
        raise PushError(
            "huggingface_hub is in offline mode (HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE is set; "
            "the Makefile exports HF_HUB_OFFLINE=1): run with HF_HUB_OFFLINE=0 to upload"
        )
    api = HfApi(endpoint=os.environ.get("HF_ENDPOINT") or None, token=token)
    step = "creating the repository"
    try:
        api.create_repo(repo_id, private=private, exist_ok=True)
        step = "uploading the folder"
        return api.upload_folder(repo_id=repo_id, folder_path=folder, commit_message=commit_message)
    except Exception as err:  # any failure at all: its message may quote the token
        detail = _detail(err, repo_id, (HfHubHTTPError,), (httpx2.HTTPError, OSError))
        raise PushError(
            _redact(f"Hub repository {repo_id}: {step} failed ({detail})", token)
        ) from None


def _detail(
    err: Exception,
    repo_id: str,
    http_errors: tuple[type[Exception], ...],
    network_errors: tuple[type[Exception], ...],
) -> str:
    """What went wrong, for the one-line error: the HTTP status and the Hub's message, a network
    failure, or an answer the client could not use (the Hub's API changed, or not a Hub)."""
    if isinstance(err, http_errors):
        response = err.response
        detail = f"HTTP {response.status_code} {response.reason_phrase}"
        if err.server_message:
            detail += f": {err.server_message}"
        if response.status_code in (401, 403):
            detail += f"; is {TOKEN_VARIABLE} a write token for {repo_id.split('/')[0]}?"
        return detail
    if isinstance(err, network_errors):
        return f"{type(err).__name__}: {err}"
    return f"an answer it could not use: {type(err).__name__}: {err}; is HF_ENDPOINT the Hub?"


def _redact(message: str, token: str) -> str:
    """`message` on one line and without the token, however a server or library came to quote it."""
    return " ".join(message.replace(token, "<HF_TOKEN>").split())


def fraction(value: str) -> float:
    """A number between 0 and 1 on the command line (argparse `type=`)."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 0 <= number <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return number
