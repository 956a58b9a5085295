"""Inference against this machine's matmul roofline, measured in one run on later abstracts
(`make bench-inference MODEL=DIR`): the roofline per precision, the steady state of predict (auto,
fp32, --int8), the frozen encoder and pipeline() as fractions of it, and each command's start,
end-to-end time and peak memory. docs/benchmarks.md says what it measures, and gives a smoke run."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from subprocess import PIPE
from typing import Any

import numpy as np
import torch
from transformers import AutoModelForSequenceClassification, pipeline

from arxivist.arguments import positive_int
from arxivist.data.fetching import fetch_papers
from arxivist.integrity.checksums import CHECKSUMS
from arxivist.model.checkpoints import resolve_checkpoint
from arxivist.model.compute import probe, resolve
from arxivist.model.inference import TextTokenizer, predict_proba, read_config
from arxivist.model.onnx_inference import INT8_MODEL, load_onnx_classifier
from arxivist.model.torch_inference import Classifier, Transformers, load_classifier, load_encoder
from arxivist.params import EvaluateParams, Params
from arxivist.publishing.onnx_export import export_int8
from bench.harness import arguments, begin, bench_params, finish, parse, spread, timed
from bench.report import machine_line, table

PIPELINE = """
import sys
from transformers import AutoModelForSequenceClassification, pipeline
classify = pipeline("text-classification", model=sys.argv[1], device=sys.argv[2], truncation=True)
print(classify(open(sys.argv[3], encoding="utf-8").read().splitlines()))
"""
BATCH_TOKENS = EvaluateParams.batch_tokens  # padded tokens a batch, and the roofline's rows
ROUNDS = 3  # each path's steady state is its best of this many timed passes, as the roofline's
Run = Callable[[list[str]], np.ndarray | None]


def main() -> None:
    args = parse_args()
    machine = begin()
    params = bench_params(args.snapshot, args.set)
    texts = spread([p.abstract for p in fetch_papers(params.fetch, params.later)], args.texts)
    with tempfile.TemporaryDirectory(prefix="arxivist-inference-") as scratch:
        model = with_int8(args.model, Path(scratch))
        config = read_config(model)
        tokenizer = TextTokenizer.load(model)
        lengths = [len(row) for row in tokenizer.encode(texts, tokenizer.max_length)]
        gflop = [encoder_gflop(config, length) for length in lengths]
        roofline: dict[str, float] = {}  # steady_state's rounds measure it, beside each path
        rounds: list[dict[str, float]] = []
        result = {
            "machine": machine,
            "texts": len(texts),
            "max_length": tokenizer.max_length,
            "mean_tokens": round(float(np.mean(lengths)), 1),
            "gflop_per_abstract": round(float(np.mean(gflop)), 3),
            "batch_tokens": BATCH_TOKENS,
            "steady": steady_state(model, params, texts, (config, sum(gflop)), roofline, rounds),
            "roofline_gflops": roofline,
            "roofline_gflops_rounds": rounds,
            "processes": processes(model, texts, Path(scratch)),
        }
    finish(args.out, result, markdown)


def parse_args() -> argparse.Namespace:
    parser = arguments(__doc__.splitlines()[0], "inference.json")
    parser.add_argument(
        "--model",
        type=Path,
        default=Path("models/published"),
        help="a published (or save_pretrained) classifier folder (default: %(default)s)",
    )
    parser.add_argument(
        "--texts",
        type=positive_int,
        default=400,
        help="later abstracts (spread over the set) each path classifies (default: %(default)s)",
    )
    args = parse(parser)
    if not (args.model / "config.json").is_file():
        parser.error(f"--model {args.model}: no saved model there (no config.json)")
    return args


def with_int8(model: Path, scratch: Path) -> Path:
    """`model` if it has its int8 model, else a copy with one exported as publish does."""
    if (model / INT8_MODEL).is_file():
        return model
    ignored = shutil.ignore_patterns(".*", CHECKSUMS)  # the copy gains a file the list lacks
    copy = Path(shutil.copytree(model, scratch / "model", ignore=ignored))
    export_int8(copy, copy / INT8_MODEL, scratch)
    return copy


def layer_shapes(config: dict[str, Any]) -> list[tuple[int, int]]:
    """(in, out) of a layer's weights: query-key-value, attention output, feed-forward in, out."""
    hidden, inner = config["hidden_size"], config["intermediate_size"]
    return [(hidden, 3 * hidden), (hidden, hidden), (hidden, inner), (inner, hidden)]


def encoder_gflop(config: dict[str, Any], tokens: int) -> float:
    """GFLOP of one text of `tokens` tokens: each layer's four projections (2 x tokens x weight)
    and its two attention products (2 x tokens^2 x hidden each)."""
    weights = sum(n_in * n_out for n_in, n_out in layer_shapes(config))
    per_layer = 2 * tokens * weights + 4 * tokens * tokens * config["hidden_size"]
    return config["num_hidden_layers"] * per_layer / 1e9


def rooflines(config: dict[str, Any], rows: int) -> dict[str, float]:
    """GFLOP/s of a layer's matmuls at `rows` activation rows, per precision this machine runs."""
    device = probe().device
    dtypes = {"fp32": torch.float32} | ({"bf16": torch.bfloat16} if probe().native_bf16 else {})
    found = {}
    for name, dtype in dtypes.items():
        pairs = [
            [torch.randn(*shape, dtype=dtype, device=device) for shape in ((rows, n), (n, m))]
            for n, m in layer_shapes(config)
        ]
        found[name] = best_gflops(config, rows, lambda p=pairs: [a @ b for a, b in p], device)
    found["int8"] = onnx_int8_roofline(config, rows)
    print(f"roofline GFLOP/s: {found}", flush=True)
    return found


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
    params: Params,
    texts: list[str],
    work: tuple[dict[str, Any], float],
    roofline: dict[str, float],
    rounds: list[dict[str, float]],
) -> dict[str, dict[str, Any]]:
    """Abstracts/s of each path (loading excluded, after a warm-up on 16 texts), its GFLOP/s as a
    fraction of its precision's roofline, and its labels' agreement with predict's fp32: each the
    best of ROUNDS, measured round after round with the roofline, so a busy spell of a shared
    machine lowers no figure alone. `roofline` gets the best round's GFLOP/s, `rounds` every
    round's (their spread says how steady the machine was). The frozen encoder's GFLOP are the
    fine-tuned model's, whose encoder it is (less the head)."""
    auto, fp32 = resolve("auto"), resolve("fp32")
    encoder = load_encoder(resolve_checkpoint(params.model), params.tokenize.max_length, auto)
    pipe = pipeline("text-classification", model=str(model), device=fp32.device, truncation=True)
    label2id = read_config(model)["label2id"]

    def labels_of(classifier: Any) -> Run:
        return lambda chunk: predict_proba(classifier, chunk, batch_tokens=BATCH_TOKENS).argmax(1)

    def embed(chunk: list[str]) -> None:
        encoder.embed(chunk, BATCH_TOKENS)

    def classify(chunk: list[str]) -> np.ndarray:  # pipeline() at its defaults but the device
        return np.array([label2id[row["label"]] for row in pipe(chunk)])

    full = labels_of(load_classifier(model, auto))
    # name -> (precision, device, texts -> labels or None); predict fp32 first: the reference
    paths: dict[str, tuple[str, str, Run]] = {
        "predict fp32": ("fp32", fp32.device, labels_of(load_classifier(model, fp32))),
        f"predict, evaluate ({auto.precision})": (auto.precision, auto.device, full),
        f"the same through transformers' BERT ({auto.precision})": (
            auto.precision,
            auto.device,
            labels_of(transformers_classifier(model, auto)),
        ),
        "predict --int8": ("int8", "cpu", labels_of(load_onnx_classifier(model))),
        "frozen encoder (baselines)": (auto.precision, auto.device, embed),
        "pipeline() defaults": ("fp32", fp32.device, classify),
    }
    best: dict[str, float] = {}
    labels: dict[str, np.ndarray | None] = {}
    for _, _, run_path in paths.values():
        run_path(texts[:16])
    config, gflop = work  # the model's config, and the GFLOP of all `texts`
    for _ in range(ROUNDS):
        measured = rooflines(config, BATCH_TOKENS)
        rounds.append(measured)
        for precision, value in measured.items():
            roofline[precision] = max(value, roofline.get(precision, 0.0))
        for name, (_, device, run_path) in paths.items():
            seconds, labels[name] = timed(lambda r=run_path: r(texts), device)
            best[name] = min(seconds, best.get(name, seconds))
    found = {}
    for name, (precision, device, _) in paths.items():
        seconds = best[name]
        found[name] = {
            "device": device,
            "precision": precision,
            "abstracts_per_second": round(len(texts) / seconds, 2),
            "gflops": round(gflop / seconds, 1),
            "roofline_fraction": round(gflop / seconds / roofline[precision], 3),
        }
        if labels[name] is not None:
            same = np.mean(labels[name] == labels["predict fp32"])
            found[name]["same_labels_as_fp32"] = round(float(same), 4)
        print(f"{name}: {found[name]}", flush=True)
    return found


def transformers_classifier(model: Path, compute: Any) -> Classifier:
    """predict's classifier with transformers' own BERT in place of arxivist.model.bert's (the
    same tokenizer, batches and precision): what the plain-torch BERT replaces."""
    lean = load_classifier(model, compute)
    bert = AutoModelForSequenceClassification.from_pretrained(model, use_safetensors=True)
    return dataclasses.replace(lean, model=Transformers(bert, "logits").to(compute.device))


def processes(model: Path, texts: list[str], scratch: Path) -> dict[str, dict[str, Any]]:
    """Each command as a process: its start to one answer (median of 3, after a warm-up run)
    and its wall time and peak RSS on all `texts`, start included, with pipeline() beside."""
    one, many = scratch / "one.txt", scratch / "many.txt"
    one.write_text(texts[0] + "\n", encoding="utf-8")
    many.write_text("".join(f"{text}\n" for text in texts), encoding="utf-8")
    predict = [sys.executable, "-m", "arxivist.cli", "predict", "--model", str(model)]
    commands = {
        "arxivist predict": [*predict, "--input"],
        "arxivist predict --int8": [*predict, "--int8", "--input"],
        "pipeline()": [sys.executable, "-c", PIPELINE, str(model), probe().device],
    }
    found = {}
    for name, command in commands.items():
        run(command, one)
        start = statistics.median(run(command, one)[0] for _ in range(3))
        seconds, peak = run(command, many)
        found[name] = {"start_seconds": round(start, 2), "all_texts_seconds": round(seconds, 2)}
        found[name]["peak_rss_mib"] = round(peak, 1)
    base = found["pipeline()"]["all_texts_seconds"]
    for row in found.values():
        row["speedup_vs_pipeline"] = round(base / row["all_texts_seconds"], 2)
    print(f"processes: {found}", flush=True)
    return found


def run(command: Sequence[str], texts: Path) -> tuple[float, float]:
    """Wall seconds of `command TEXTS` and its peak RSS in MiB (VmHWM of /proc, read every 10 ms:
    a child's ru_maxrss would count this big process's memory at the fork); output discarded."""
    start, peak = time.perf_counter(), 0
    child = subprocess.Popen([*command, str(texts)], stdout=subprocess.DEVNULL, stderr=PIPE)
    while child.poll() is None:
        with contextlib.suppress(OSError):  # it has just been reaped
            status = Path(f"/proc/{child.pid}/status").read_text(encoding="utf-8")
            found = re.search(r"VmHWM:\s+(\d+)", status)  # none once it has exited
            peak = max(peak, int(found[1]) if found else 0)
        time.sleep(0.01)
    seconds = time.perf_counter() - start
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {child.stderr.read().decode()[-2000:]}")
    return seconds, peak / 1024


# column -> its cell from a row, per table
STEADY = {
    "device": "{device}",
    "precision": "{precision}",
    "abstracts/s": "{abstracts_per_second:.1f}",
    "GFLOP/s": "{gflops:.0f}",
    "of its roofline": "{roofline_fraction:.0%}",
    "same label as fp32": "{same_labels_as_fp32:.1%}",
}
PROCESS = {
    "start to one answer": "{start_seconds:.2f} s",
    "all texts, start included": "{all_texts_seconds:.1f} s",
    "vs pipeline()": "{speedup_vs_pipeline:.2f}x",
    "peak RSS": "{peak_rss_mib:.0f} MiB",
}


def markdown(result: dict[str, Any]) -> str:
    """The machine, workload and roofline line, then the steady-state and the process tables."""
    rounds = result["roofline_gflops_rounds"]
    roofline = ", ".join(
        f"{name} {value:.0f} (rounds: {', '.join(f'{r[name]:.0f}' for r in rounds)})"
        for name, value in result["roofline_gflops"].items()
    )
    head = (
        f"{machine_line(result['machine'])}: {result['texts']} later abstracts, "
        f"{result['mean_tokens']} tokens on average (at most {result['max_length']}), "
        f"{result['gflop_per_abstract']} GFLOP each, in batches of {result['batch_tokens']} "
        f"tokens. Roofline GFLOP/s (a layer's matmuls, the best of {ROUNDS} rounds): {roofline}."
    )
    steady = rows_table("path (steady state)", result["steady"], STEADY)
    return "\n\n".join([head, steady, rows_table("process", result["processes"], PROCESS)])


def rows_table(first: str, rows: dict[str, dict[str, Any]], cells: dict[str, str]) -> str:
    """A table of `rows` by name, a column per `cells` format (blank where a row lacks its key)."""

    def cell(row: dict[str, Any], text: str) -> str:
        try:
            return text.format(**row)
        except KeyError:
            return ""

    body = [[name, *(cell(row, text) for text in cells.values())] for name, row in rows.items()]
    return table([first, *cells], body)


if __name__ == "__main__":
    main()
