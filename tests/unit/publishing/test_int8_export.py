"""The publish stage's int8 ONNX model: exported when it passes its quality gate on the later set,
left out saying why when it does not, and loadable with onnxruntime alone."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from arxivist.errors import ArxivistError
from arxivist.integrity.checksums import CHECKSUMS
from tests.unit.publishing.workdirs import later_texts, run_publish, write_params

# Loads the published int8 model with onnxruntime, tokenizers and numpy alone and prints its labels.
ONNX_ALONE = """
import json, sys
import numpy as np, onnxruntime
from tokenizers import Tokenizer
folder, texts = sys.argv[1], json.loads(sys.argv[2])
tokenizer = Tokenizer.from_file(f"{folder}/tokenizer.json")
tokenizer.no_padding()
tokenizer.enable_truncation(512)
session = onnxruntime.InferenceSession(f"{folder}/onnx/model_quantized.onnx")
config = json.load(open(f"{folder}/config.json"))
labels = []
for encoding in tokenizer.encode_batch(texts):
    ids = np.array([encoding.ids], dtype=np.int64)
    logits = session.run(["logits"], {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0]
    labels.append(config["id2label"][str(int(logits.argmax()))])
assert not any(name.split(".")[0] in ("torch", "transformers") for name in sys.modules)
print(json.dumps(labels))
"""


def test_the_int8_model_passes_its_gate_and_runs_with_onnxruntime_alone(
    workdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from transformers import pipeline

    with caplog.at_level(logging.INFO):
        published = run_publish(workdir)

    texts = later_texts()
    done = subprocess.run(
        [sys.executable, "-c", ONNX_ALONE, str(published), json.dumps(texts)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    int8_labels = json.loads(done.stdout)
    full = pipeline("text-classification", model=str(published))
    full_labels = [row["label"] for row in full(texts)]
    assert len(set(full_labels)) > 1, "the fixture must not be constant"
    assert np.mean(np.array(int8_labels) == np.array(full_labels)) >= 0.995  # the gate's rate
    assert "int8 model: passed its quality gate" in caplog.text
    card = (published / "README.md").read_text()
    section = card[card.index("## ONNX int8 model") : card.index("## Limitations")]
    assert "`onnx/model_quantized.onnx` is this model exported to ONNX" in section
    assert "It passed its quality gate" in section
    assert "| on the 60 later papers | fp32 | int8 | difference | the gate |" in section
    assert "| labels kept | | | 100.00% | at least 99.50% |" in section
    assert "less than 0.0031 apart |" in section and "less than 0.0149 apart |" in section


def test_the_int8_model_is_the_same_bytes_every_run(workdir: Path) -> None:
    first = (run_publish(workdir) / "onnx" / "model_quantized.onnx").read_bytes()
    assert (run_publish(workdir) / "onnx" / "model_quantized.onnx").read_bytes() == first


def test_a_failing_gate_leaves_the_int8_model_out_saying_why(
    workdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_params(workdir, publish={"int8_max_roc_auc_difference": 0.0})

    with caplog.at_level(logging.INFO):
        published = run_publish(workdir)

    assert not (published / "onnx").exists()
    assert "onnx/" not in (published / CHECKSUMS).read_text()
    reason = re.search(r"int8 model left out: (.*)", caplog.text).group(1)
    assert re.fullmatch(
        r"its ROC-AUC differs by [+-]0\.\d{4}, not less than "
        r"publish\.int8_max_roc_auc_difference 0\.0",
        reason,
    )
    card = (published / "README.md").read_text()
    assert f"## ONNX int8 model\n\nNone is published: {reason}." in card
    assert "| labels kept | | | 100.00% | at least 99.50% |" in card


def test_int8_false_exports_nothing_and_needs_no_onnx(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if the onnx extra were not installed
    with pytest.raises(ArxivistError, match=r"^publish.int8: the int8 export needs onnx and onnx"):
        run_publish(workdir)
    assert not (workdir / "models" / "published").exists()

    write_params(workdir, publish={"int8": False})
    published = run_publish(workdir)

    assert not (published / "onnx").exists()
    assert (
        "## ONNX int8 model\n\nNot exported (publish.int8: false)."
        in (published / "README.md").read_text()
    )
