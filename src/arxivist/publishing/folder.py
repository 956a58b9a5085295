"""Assemble models/published: the trained model, its tokenizer and the model card.

Nothing here talks to the Hugging Face Hub: a DVC stage reruns on every `dvc exp run` and is skipped
on a run-cache restore, so uploading is the explicit `arxivist push-to-hub`
(arxivist.publishing.hub_upload).
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from huggingface_hub import ModelCard

from arxivist.atomic import atomic_path
from arxivist.errors import ArxivistError
from arxivist.integrity.checksums import CHECKSUMS, write_checksums
from arxivist.labels import LabelSet

if TYPE_CHECKING:
    from arxivist.params import PublishParams
    from arxivist.publishing.int8_gate import Gate

log = logging.getLogger(__name__)

CARD = "README.md"


class PublishError(ArxivistError):
    """The model folder cannot be published; the message says why."""


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


def assemble(
    model_dir: Path, card: ModelCard, out: Path, extra: dict[str, Path] | None = None
) -> None:
    """Write `out`: every file of `model_dir` (model and tokenizer), the `extra` files at their
    names (the int8 model), the card as README.md and checksums.sha256, every file's hash,
    checked when the folder is loaded."""
    with atomic_path(out) as tmp:
        shutil.copytree(model_dir, tmp, ignore=shutil.ignore_patterns(".*", CARD, CHECKSUMS))
        for name, source in (extra or {}).items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, tmp / name)
        card.save(tmp / CARD)
        write_checksums(tmp)
    log.info("assembled %s", out)


def gate_int8_model(
    model_dir: Path, later: Path, labels: LabelSet, params: PublishParams, scratch: Path
) -> Gate | None:
    """None when publish.int8 is false; else the int8 model exported into `scratch` and its
    quality gate on the later set, logged: passed, or left out and why."""
    if not params.int8:
        log.info("int8 model: not exported (publish.int8: false)")
        return None
    from arxivist.data.papers import TEXT
    from arxivist.evaluation.sets import load_later_set
    from arxivist.publishing.onnx_export import int8_model

    papers = load_later_set(later, labels)
    texts, truth = papers[TEXT].tolist(), papers["label"].to_numpy()
    gate = int8_model(model_dir, texts, truth, labels.codes, params, scratch)
    if gate.passed:
        log.info("int8 model: passed its quality gate, %.2f%% of labels kept", 100 * gate.agreement)
    else:
        log.warning("int8 model left out: %s", "; ".join(gate.reasons))
    return gate
