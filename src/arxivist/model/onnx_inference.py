"""The inference path's ONNX Runtime backend: the int8 model that publish exports beside the
weights when it passes its quality gate (onnx/model_quantized.onnx, where Optimum and
transformers.js look for it), with the folder's own tokenizer and labels.

It needs onnxruntime, tokenizers and numpy, not torch: `arxivist predict --int8` starts without
importing torch or transformers. onnxruntime comes with the `onnx` extra
(`pip install 'arxivist[onnx]'`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from arxivist.model.inference import Batch, InferenceError, TextTokenizer, label_names, read_config

INT8_MODEL = "onnx/model_quantized.onnx"
INPUTS = ("input_ids", "attention_mask")
OUTPUT = "logits"
EXTRA = "pip install 'arxivist[onnx]'"


@dataclass(frozen=True)
class OnnxClassifier:
    """An ONNX Runtime session of a classifier (ids, mask -> logits) and its saved tokenizer."""

    session: Any  # onnxruntime.InferenceSession
    tokenizer: TextTokenizer
    label_names: tuple[str, ...]

    def probabilities(self, batches: list[Batch]) -> np.ndarray:
        """Softmax rows (float64) of every batch's rows, batch after batch."""
        logits = np.concatenate(
            [
                self.session.run([OUTPUT], dict(zip(INPUTS, batch, strict=True)))[0]
                for batch in batches
            ]
        )
        return softmax(logits.astype(np.float64))


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, computed in the dtype of `logits`."""
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def load_onnx_classifier(model_dir: Path, model_file: str = INT8_MODEL) -> OnnxClassifier:
    """The classifier of `model_dir` as its ONNX model `model_file` (default: the int8 one).

    A folder with a checksum list (checksums.sha256) is checked against it first, as for torch.
    """
    config = read_config(model_dir)
    if not (model_dir / model_file).is_file():
        raise InferenceError(
            f"{model_dir} has no int8 model ({model_file}): the publish stage exports it only "
            "when it passes its quality gate (the model card says why it did not)"
        )
    tokenizer = TextTokenizer.load(model_dir)
    return OnnxClassifier(session(model_dir / model_file), tokenizer, label_names(config))


def session(path: Path) -> Any:
    """An onnxruntime session of the model at `path` on the CPU; one line naming the extra when
    onnxruntime is not installed, or naming the file when it is not a model ONNX Runtime runs."""
    try:
        import onnxruntime
        from onnxruntime.capi import onnxruntime_pybind11_state as failures
    except ImportError:
        raise InferenceError(f"the int8 model needs onnxruntime: {EXTRA}") from None
    refused = (failures.Fail, failures.InvalidGraph, failures.InvalidProtobuf, failures.NoSuchFile)
    try:
        return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except refused as err:
        reason = str(err).splitlines()[0] or type(err).__name__
        raise InferenceError(f"{path}: not a model ONNX Runtime can run ({reason})") from None
