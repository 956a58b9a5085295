"""Inference against this machine's matmul roofline, measured in one run on later abstracts.

1. The roofline: GFLOP/s of the matmuls of one encoder layer at the model's shapes (a
   `--batch-tokens` x hidden activation times each weight), per precision: torch fp32, torch bf16
   where the device computes it natively, and ONNX Runtime's int8 matmul (what the int8 model
   runs) on the CPU.
2. Steady state (loading excluded, after a warm-up), abstracts/s of each path and its fraction of
   its precision's roofline: `arxivist predict` at `auto` precision (the evaluate stage's path:
   the same code, evaluate.precision auto) and at fp32, with the int8 model, the frozen encoder
   of the baselines stage, and `transformers.pipeline()` at its defaults (fp32, one text at a
   time). GFLOP per abstract counts the encoder's matmuls and attention at each text's own
   length; the int8 model keeps its attention products and feed-forward output projections in
   fp32, so its fraction is an upper bound.
3. Start and end to end: `arxivist predict` as a process, to its one answer (the median of 3
   runs, disk cache warm), and on all the texts with its start included, beside a process running
   pipeline(); each process's peak memory (RSS).

The device is the GPU where there is one (bf16 there; the int8 model stays on the CPU). --model is
a classifier folder (`make bench` keeps bench/results/model); without an onnx/model_quantized.onnx
the int8 model is exported as the publish stage would, quality gate aside.

    python -m bench.inference --snapshot ../shared/data/arxiv-cs-ai-ir-ro.jsonl \\
        --model bench/results/model
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch

from arxivist.arguments import positive_int
from arxivist.checkpoints import resolve_checkpoint
from arxivist.compute import Compute, probe, resolve
from arxivist.inference import TextTokenizer, predict_proba, read_config
from arxivist.onnx_export import export_fp32, quantize
from arxivist.onnx_inference import INT8_MODEL, load_onnx_classifier
from arxivist.sources import fetch_papers
from arxivist.torch_inference import load_classifier, load_encoder
from bench.harness import ROOT, arguments, begin, bench_params, finish, parse, spread
from bench.report import table
from bench.timing import timed

PIPELINE = """
import sys
from transformers import pipeline
texts = open(sys.argv[2], encoding="utf-8").read().splitlines()
classify = pipeline("text-classification", model=sys.argv[1], truncation=True)
for row in classify(texts):
    print(row["label"], row["score"], sep="\\t")
"""


def main() -> None:
    args = parse_args()
    machine = begin()
    params = bench_params(args.snapshot, args.set)
    texts = spread(
        [paper.abstract for paper in fetch_papers(params.fetch, params.later)], args.texts
    )
    with tempfile.TemporaryDirectory(prefix="arxivist-inference-") as scratch:
        model = with_int8(args.model, Path(scratch))
        config = read_config(model)
        tokenizer = TextTokenizer.load(model)
        ids = tokenizer.encode(texts, tokenizer.max_length)
        gflop = [encoder_gflop(config, len(row)) for row in ids]
        roofline = rooflines(config, args.batch_tokens)
        result = {
            "machine": machine,
            "texts": len(texts),
            "max_length": tokenizer.max_length,
            "mean_tokens": round(float(np.mean([len(row) for row in ids])), 1),
            "gflop_per_abstract": round(float(np.mean(gflop)), 3),
            "batch_tokens": args.batch_tokens,
            "roofline_gflops": roofline,
            "steady": steady_state(model, params, texts, sum(gflop), roofline, args.batch_tokens),
            "processes": processes(model, texts, Path(scratch)),
        }
    finish(args.out, result, markdown)


def parse_args() -> argparse.Namespace:
    parser = arguments(__doc__.splitlines()[0], "inference.json")
    parser.add_argument(
        "--model",
        type=Path,
        default=ROOT / "bench" / "results" / "model",
        help="a save_pretrained classifier folder (default: the one `make bench` keeps)",
    )
    parser.add_argument(
        "--texts",
        type=positive_int,
        default=400,
        metavar="N",
        help="later abstracts (spread over the set) each path classifies (default: %(default)s)",
    )
    parser.add_argument(
        "--batch-tokens",
        type=positive_int,
        default=8192,
        metavar="N",
        help="padded tokens per batch, and the roofline's activation rows (default: %(default)s, "
        "as evaluate.batch_tokens)",
    )
    args = parse(parser)
    if not (args.model / "config.json").is_file():
        parser.error(f"--model {args.model}: no saved model there; `make bench` keeps one")
    return args


def with_int8(model: Path, scratch: Path) -> Path:
    """`model` if it has its int8 model, else a copy with one exported as publish does."""
    if (model / INT8_MODEL).is_file():
        return model
    copy = Path(shutil.copytree(model, scratch / "model", ignore=shutil.ignore_patterns(".*")))
    for stale in copy.glob("checksums.sha256"):
        stale.unlink()
    export_fp32(load_classifier(copy, resolve("fp32")).model, scratch / "model.onnx")
    (copy / INT8_MODEL).parent.mkdir()
    quantize(scratch / "model.onnx", copy / INT8_MODEL, read_config(copy)["intermediate_size"])
    return copy


def encoder_gflop(config: dict[str, Any], tokens: int) -> float:
    """GFLOP of one text of `tokens` tokens: each layer's four projections (2 x tokens x weight)
    and its two attention products (2 x tokens^2 x hidden each)."""
    hidden, inner = config["hidden_size"], config["intermediate_size"]
    weights = 4 * hidden * hidden + 2 * hidden * inner
    per_layer = 2 * tokens * weights + 4 * tokens * tokens * hidden
    return config["num_hidden_layers"] * per_layer / 1e9


def layer_shapes(config: dict[str, Any]) -> list[tuple[int, int]]:
    """(in, out) of a layer's weights: query-key-value, attention output, feed-forward in, out."""
    hidden, inner = config["hidden_size"], config["intermediate_size"]
    return [(hidden, 3 * hidden), (hidden, hidden), (hidden, inner), (inner, hidden)]


def rooflines(config: dict[str, Any], rows: int) -> dict[str, float]:
    """GFLOP/s of a layer's matmuls at `rows` activation rows, per precision this machine runs."""
    device = probe().device
    found = {"fp32": torch_roofline(config, rows, torch.float32, device)}
    if probe().native_bf16:
        found["bf16"] = torch_roofline(config, rows, torch.bfloat16, device)
    found["int8"] = onnx_int8_roofline(config, rows)
    print(f"roofline GFLOP/s: {found}", flush=True)
    return found


def torch_roofline(config: dict[str, Any], rows: int, dtype: torch.dtype, device: str) -> float:
    pairs = [
        (
            torch.randn(rows, n_in, dtype=dtype, device=device),
            torch.randn(n_in, n_out, dtype=dtype, device=device),
        )
        for n_in, n_out in layer_shapes(config)
    ]
    return best_gflops(config, rows, lambda: [a @ b for a, b in pairs], device)


def onnx_int8_roofline(config: dict[str, Any], rows: int) -> float:
    """ONNX Runtime's int8 matmul (uint8 activations, int8 weights, int32 sums: what the int8
    model's quantised matmuls run) at the layer's shapes, on the CPU."""
    import onnxruntime
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    nodes, inputs, outputs, weights, feeds = [], [], [], [], {}
    for i, (n_in, n_out) in enumerate(layer_shapes(config)):
        inputs.append(helper.make_tensor_value_info(f"a{i}", TensorProto.UINT8, [rows, n_in]))
        outputs.append(helper.make_tensor_value_info(f"y{i}", TensorProto.INT32, [rows, n_out]))
        weight = rng.integers(-127, 128, size=(n_in, n_out), dtype=np.int8)
        weights.append(numpy_helper.from_array(weight, f"w{i}"))
        nodes.append(helper.make_node("MatMulInteger", [f"a{i}", f"w{i}"], [f"y{i}"]))
        feeds[f"a{i}"] = rng.integers(0, 256, size=(rows, n_in), dtype=np.uint8)
    graph = helper.make_graph(nodes, "roofline", inputs, outputs, weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return best_gflops(config, rows, lambda: session.run(None, feeds), "cpu")


def best_gflops(config: dict[str, Any], rows: int, work: Callable[[], Any], device: str) -> float:
    """The layer's matmul GFLOP over the best of 5 timed runs of `work`, after a warm-up."""
    flop = sum(2 * rows * n_in * n_out for n_in, n_out in layer_shapes(config))
    work()
    seconds = min(timed(work, device)[0] for _ in range(5))
    return round(flop / seconds / 1e9, 1)


def steady_state(
    model: Path,
    params: Any,
    texts: list[str],
    gflop: float,
    roofline: dict[str, float],
    batch_tokens: int,
) -> dict[str, dict[str, Any]]:
    """Abstracts/s of each path (loading excluded, after a warm-up on 16 texts), its fraction of
    its precision's roofline, and its labels' agreement with predict's fp32."""
    auto = resolve("auto")
    fp32 = resolve("fp32")
    classifiers: dict[str, tuple[Any, str, str]] = {
        f"predict, evaluate ({auto.precision})": (
            load_classifier(model, auto),
            auto.precision,
            auto.device,
        ),
        "predict fp32": (load_classifier(model, fp32), "fp32", fp32.device),
        "predict --int8": (load_onnx_classifier(model), "int8", "cpu"),
    }
    found: dict[str, dict[str, Any]] = {}
    labels = {}
    for name, (classifier, precision, device) in classifiers.items():
        predict_proba(classifier, texts[:16], batch_tokens=batch_tokens)
        work = partial(predict_proba, classifier, texts, batch_tokens=batch_tokens)
        seconds, proba = timed(work, device)
        found[name] = rate(len(texts), seconds, gflop, roofline[precision], precision, device)
        labels[name] = proba.argmax(axis=1)
    reference = labels["predict fp32"]
    for name, row in found.items():
        row["same_labels_as_fp32"] = round(float(np.mean(labels[name] == reference)), 4)
    found["frozen encoder (baselines)"] = encoder_rate(
        params, texts, gflop, roofline, auto, batch_tokens
    )
    found["pipeline() defaults"] = pipeline_rate(model, texts, gflop, roofline["fp32"], reference)
    for name, row in found.items():
        print(f"{name}: {row}", flush=True)
    return found


def rate(
    texts: int, seconds: float, gflop: float, roofline: float, precision: str, device: str
) -> dict[str, Any]:
    return {
        "device": device,
        "precision": precision,
        "abstracts_per_second": round(texts / seconds, 2),
        "gflops": round(gflop / seconds, 1),
        "roofline_fraction": round(gflop / seconds / roofline, 3),
    }


def encoder_rate(
    params: Any,
    texts: list[str],
    gflop: float,
    roofline: dict[str, float],
    compute: Compute,
    batch_tokens: int,
) -> dict[str, Any]:
    """The baselines stage's frozen encoder: its checkpoint, embedding `texts`."""
    encoder = load_encoder(resolve_checkpoint(params.model), params.tokenize.max_length, compute)
    encoder.embed(texts[:16], batch_tokens)
    seconds, _ = timed(lambda: encoder.embed(texts, batch_tokens), compute.device)
    # Its GFLOP: the fine-tuned model's, whose encoder it is (less the head's few).
    return rate(
        len(texts), seconds, gflop, roofline[compute.precision], compute.precision, compute.device
    )


def pipeline_rate(
    model: Path, texts: list[str], gflop: float, roofline: float, reference: np.ndarray
) -> dict[str, Any]:
    """transformers.pipeline() at its defaults: fp32, one text at a time, on the device."""
    from transformers import pipeline

    classify = pipeline("text-classification", model=str(model), truncation=True)
    classify(texts[:16])
    seconds, rows = timed(lambda: classify(texts), probe().device)
    label2id = read_config(model)["label2id"]
    labels = np.array([label2id[row["label"]] for row in rows])
    found = rate(len(texts), seconds, gflop, roofline, "fp32", probe().device)
    found["same_labels_as_fp32"] = round(float(np.mean(labels == reference)), 4)
    return found


def processes(model: Path, texts: list[str], scratch: Path) -> dict[str, dict[str, Any]]:
    """Each command as a process: its start to one answer (median of 3, after a warm-up run)
    and its wall time and peak RSS on all `texts`, start included, with pipeline() beside."""
    one, many = scratch / "one.txt", scratch / "many.txt"
    one.write_text(texts[0] + "\n", encoding="utf-8")
    many.write_text("".join(f"{text}\n" for text in texts), encoding="utf-8")
    predict = [sys.executable, "-m", "arxivist.cli", "predict", "--model", str(model), "--input"]
    commands = {
        "arxivist predict": predict,
        "arxivist predict --int8": [*predict[:-1], "--int8", "--input"],
        "pipeline()": [sys.executable, "-c", PIPELINE, str(model)],
    }
    found = {}
    for name, command in commands.items():
        run(command, one)
        start = statistics.median(run(command, one)[0] for _ in range(3))
        seconds, peak = run(command, many)
        found[name] = {
            "start_seconds": round(start, 2),
            "all_texts_seconds": round(seconds, 2),
            "peak_rss_mib": round(peak, 1),
        }
    base = found["pipeline()"]["all_texts_seconds"]
    for row in found.values():
        row["speedup_vs_pipeline"] = round(base / row["all_texts_seconds"], 2)
    print(f"processes: {found}", flush=True)
    return found


def run(command: Sequence[str], texts: Path) -> tuple[float, float]:
    """Wall seconds of `command TEXTS` and its peak RSS in MiB (VmHWM, read every 10 ms: a
    child's ru_maxrss would count this big process's memory at the fork); output discarded."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [*command, str(texts)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peak = 0
    while child.poll() is None:
        peak = max(peak, high_water_kib(child.pid))
        time.sleep(0.01)
    seconds = time.perf_counter() - start
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {child.stderr.read().decode()[-2000:]}")
    return seconds, peak / 1024


def high_water_kib(pid: int) -> int:
    """The process's peak resident memory so far (kiB), 0 once it has exited."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return 0
    return next(
        (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0
    )


def markdown(result: dict[str, Any]) -> str:
    """The machine and workload line, the roofline, the steady-state and the process tables."""
    machine = result["machine"]
    head = (
        f"**{machine['name']}** ({machine['device']}, {machine['torch_threads']} torch threads, "
        f"torch {machine['torch']}, {machine['date']}): {result['texts']} later abstracts, "
        f"{result['mean_tokens']} tokens on average (at most {result['max_length']}), "
        f"{result['gflop_per_abstract']} GFLOP each; batches of {result['batch_tokens']} tokens"
    )
    roofline = table(
        ["precision", "roofline GFLOP/s (a layer's matmuls)"],
        [[name, f"{value:.0f}"] for name, value in result["roofline_gflops"].items()],
    )
    steady = table(
        [
            "path (steady state)",
            "device",
            "precision",
            "abstracts/s",
            "GFLOP/s",
            "of its roofline",
            "same label as fp32",
        ],
        [
            [
                name,
                row["device"],
                row["precision"],
                f"{row['abstracts_per_second']:.1f}",
                f"{row['gflops']:.0f}",
                f"{row['roofline_fraction']:.0%}",
                f"{row['same_labels_as_fp32']:.1%}" if "same_labels_as_fp32" in row else "",
            ]
            for name, row in result["steady"].items()
        ],
    )
    process = table(
        [
            "process",
            "start to one answer",
            f"all {result['texts']}, start included",
            "vs pipeline()",
            "peak RSS",
        ],
        [
            [
                name,
                f"{row['start_seconds']:.2f} s",
                f"{row['all_texts_seconds']:.1f} s",
                f"{row['speedup_vs_pipeline']:.2f}x",
                f"{row['peak_rss_mib']:.0f} MiB",
            ]
            for name, row in result["processes"].items()
        ],
    )
    return "\n\n".join([head, roofline, steady, process]) + "\n"


if __name__ == "__main__":
    main()
