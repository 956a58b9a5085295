"""The publish stage's int8 model: the fine-tuned classifier exported to ONNX and quantised to
int8, kept only when it passes a quality gate on the later set.

- Export: torch.onnx's TorchScript exporter (opset 17, dynamic batch and sequence axes) of
  arxivist.model.bert's classifier in fp32; it needs the `onnx` package only, where the default
  dynamo exporter would add onnxscript.
- Quantisation: ONNX Runtime's dynamic int8 quantisation, int8 weights per output channel, of the
  matmuls with a weight: query-key-value, attention output and feed-forward input projections.
  Three kinds of matmul stay in fp32 because they moved labels when quantised (measured on a
  fine-tuned MiniLM: 99.0% of labels kept with them in int8, 99.75% without): the two attention
  products (both operands are activations) and the feed-forward output projections, whose
  input (the GELU's output) is the one with outliers.
- The gate: on the later set, against the same model in fp32 (paired, the same papers): at least
  `publish.int8_min_agreement` of the labels kept, and ROC-AUC and macro-F1 differing by less
  than `publish.int8_max_roc_auc_difference` / `int8_max_macro_f1_difference`.

Needs torch, onnx and onnxruntime (the `onnx` extra); the int8 model itself runs with onnxruntime
alone (arxivist.model.onnx_inference).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from arxivist.errors import ArxivistError
from arxivist.model.bert import supports
from arxivist.model.compute import resolve
from arxivist.model.inference import predict_proba, read_config
from arxivist.model.onnx_inference import EXTRA, INPUTS, INT8_MODEL, OUTPUT, OnnxClassifier, session
from arxivist.model.torch_inference import Classifier, load_classifier
from arxivist.params import EvaluateParams, PublishParams
from arxivist.publishing.int8_gate import Gate, quality_gate

OPSET = 17
FP32_MODEL = "model.onnx"  # the export before quantisation, left out of the published folder


def check_extra() -> None:
    """Fail in one line, before any work, when the export's packages are not installed."""
    try:
        import onnx  # noqa: F401
        import onnxruntime.quantization  # noqa: F401
    except ImportError:
        raise ArxivistError(
            f"publish.int8: the int8 export needs onnx and onnxruntime: {EXTRA}, "
            "or set publish.int8: false"
        ) from None


def int8_model(
    model_dir: Path,
    texts: Sequence[str],
    truth: np.ndarray,
    codes: Sequence[str],
    params: PublishParams,
    scratch: Path,
) -> Gate:
    """Export `model_dir`'s int8 model to `scratch`/onnx/model_quantized.onnx and gate it on
    `texts` (the later set) with their `truth` label ids."""
    config = read_config(model_dir)
    if not supports(config, model_dir):
        kind = config.get("model_type")
        return Gate(reasons=(f"the int8 export covers BERT models; this one is {kind!r}",))
    fp32 = export_int8(model_dir, scratch / INT8_MODEL, scratch)
    int8 = OnnxClassifier(session(scratch / INT8_MODEL), fp32.tokenizer, fp32.label_names)
    batch_tokens = EvaluateParams.batch_tokens
    full, quantised = (predict_proba(c, texts, batch_tokens=batch_tokens) for c in (fp32, int8))
    return quality_gate(truth, full, quantised, codes, params)


def export_int8(model_dir: Path, path: Path, scratch: Path) -> Classifier:
    """`model_dir`'s classifier exported to ONNX in `scratch` and quantised to int8 at `path`
    (its folder made); the classifier in fp32, as loaded for the export."""
    fp32 = load_classifier(model_dir, resolve("fp32"))
    path.parent.mkdir(parents=True, exist_ok=True)
    export_fp32(fp32.model, scratch / FP32_MODEL)
    quantize(scratch / FP32_MODEL, path, read_config(model_dir)["intermediate_size"])
    return fp32


def export_fp32(model: object, path: Path) -> None:
    """`model` ((ids, mask) -> logits, fp32, on the CPU) as an ONNX file."""
    import torch

    example = (torch.tensor([[2, 5, 6, 3]]), torch.ones(1, 4, dtype=torch.int64))
    axes = {name: {0: "batch", 1: "sequence"} for name in INPUTS} | {OUTPUT: {0: "batch"}}
    with warnings.catch_warnings():  # the TorchScript exporter's deprecation notice
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model,
            example,
            str(path),
            input_names=list(INPUTS),
            output_names=[OUTPUT],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )


def quantize(fp32: Path, int8: Path, intermediate_size: int) -> None:
    """ONNX Runtime's dynamic int8 quantisation of `fp32`'s matmuls with a weight, less the
    feed-forward output projections (a weight of `intermediate_size` rows)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(fp32)).graph
    weights = {tensor.name: list(tensor.dims) for tensor in graph.initializer}

    def stays_fp32(node: onnx.NodeProto) -> bool:
        shapes = [weights[name] for name in node.input if name in weights]
        return not shapes or shapes[0][0] == intermediate_size

    logging.disable(logging.WARNING)  # quantize_dynamic's advice, on the root logger
    try:
        quantize_dynamic(
            str(fp32),
            str(int8),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
            nodes_to_exclude=[
                n.name for n in graph.node if n.op_type == "MatMul" and stays_fp32(n)
            ],
        )
    finally:
        logging.disable(logging.NOTSET)
