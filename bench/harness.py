"""What the benchmarks share: their command line, the machine record, the bench's params, timing
and where the result goes."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import platform
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
import transformers
import yaml

from arxivist.atomic import write_json
from arxivist.model.compute import probe
from arxivist.params import Params, params_from_dict
from standins.workspace import ROOT, deep_merge

RESULTS = ROOT / "bench" / "results"
# The blog's sample and a later set after it (docs/benchmarks.md); 627 cs.IR papers: allow_short.
BENCH_PARAMS: dict[str, Any] = {
    "fetch": {"source": "snapshot", "categories": {"cs.AI": 1000, "cs.IR": 1000, "cs.RO": 100}},
    "later": {
        "categories": {"cs.AI": 1000, "cs.IR": 1000, "cs.RO": 1000},
        "submitted_from": "2025-08-01",
        "submitted_to": "2026-06-30",
        "allow_short": True,
    },
}


def arguments(description: str, result_name: str) -> argparse.ArgumentParser:
    """A parser with the flags every benchmark takes: --snapshot, --out, --set."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--snapshot", type=Path, required=True, help="bulk-metadata JSON lines")
    parser.add_argument(
        "--out",
        type=Path,
        default=RESULTS / result_name if result_name.endswith(".json") else None,
        help=f"where the numbers go (default: bench/results/{result_name})",
    )
    parser.add_argument(
        "--set",
        type=parse_set,
        action="append",
        default=[],
        metavar="KEY=YAML",
        help="override a param of the workspace, as `dvc exp run -S`; repeatable",
    )
    return parser


def parse_list(
    text: str, item: Callable[[str], Any], what: str, at_least: int = 1
) -> tuple[Any, ...]:
    """A comma-separated flag: each item through `item` (which raises ArgumentTypeError for a bad
    one), at least `at_least` of them, none twice."""
    values = tuple(item(part.strip()) for part in text.split(",") if part.strip())
    if len(values) < at_least or len(set(values)) < len(values):
        raise argparse.ArgumentTypeError(
            f"expected {at_least} or more distinct {what}, comma-separated, got {text!r}"
        )
    return values


def parse_seeds(text: str) -> tuple[int, ...]:
    """'1,2,3' -> (1, 2, 3): at least two distinct train.seed values, integers >= 0."""
    if not all(part.strip().isdigit() for part in text.split(",") if part.strip()):
        raise argparse.ArgumentTypeError(f"seeds are integers >= 0, got {text!r}")
    return parse_list(text, int, "seeds", at_least=2)


def parse(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """The parsed command line, its --set overrides merged into one mapping."""
    args = parser.parse_args()
    merged: dict[str, Any] = {}
    for override in args.set:
        merged = deep_merge(merged, override)
    args.set = merged
    return args


def parse_set(item: str) -> dict[str, Any]:
    """'train.epochs=1' -> {'train': {'epochs': 1}}; the value is YAML."""
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {item!r}")
    override: Any = yaml.safe_load(value)
    for part in reversed(key.split(".")):
        override = {part: override}
    return override


def begin() -> dict[str, Any]:
    """Quiet transformers' reports and bars; the machine (arxivist's compute probe, threads,
    versions, date and load), printed."""
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    machine = {
        **dataclasses.asdict(probe()),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "date": dt.date.today().isoformat(),
        "load_average_1min_at_start": round(os.getloadavg()[0], 2),
    }
    print(f"machine: {machine}", flush=True)
    return machine


def bench_overrides(snapshot: Path, overrides: dict[str, Any]) -> dict[str, Any]:
    """The params a bench workspace gets over params.yaml: BENCH_PARAMS reading `snapshot`, then
    --set's."""
    reading = deep_merge(BENCH_PARAMS, {"fetch": {"snapshot_path": str(snapshot.resolve())}})
    return deep_merge(reading, overrides)


def spread(texts: Sequence[str], count: int) -> list[str]:
    """At most `count` of `texts`, evenly spread over them (every category and month of a set
    sorted by id)."""
    if len(texts) <= count:
        return list(texts)
    return [texts[int(i * len(texts) / count)] for i in range(count)]


def params_record(params: Params) -> dict[str, Any]:
    """The params a result depends on."""
    later = params.later
    return {
        "labels": params.labels,
        "fetch": {"categories": params.fetch.categories},
        "later": {
            "categories": later.categories,
            "submitted_from": later.submitted_from.isoformat(),
            "submitted_to": later.submitted_to.isoformat(),
            "allow_short": later.allow_short,
        },
        "train": dataclasses.asdict(params.train),
        "tokenize": dataclasses.asdict(params.tokenize),
    }


def bench_params(snapshot: Path, overrides: dict[str, Any]) -> Params:
    """The params a bench workspace would get (params.yaml as committed, then BENCH_PARAMS and
    `overrides`), without making one."""
    committed = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    return params_from_dict(deep_merge(committed, bench_overrides(snapshot, overrides)))


def timed(work: Callable[[], Any], device: str = "cpu") -> tuple[float, Any]:
    """Wall seconds of `work()` and its result; on CUDA the queue is drained at both ends."""
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    value = work()
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start, value


def finish(out: Path, result: dict[str, Any], render: Callable[[dict[str, Any]], str]) -> None:
    """Stamp the load average at the end, write the result to `out`, print its markdown."""
    result["machine"]["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
    write_json(out, result)
    print(f"\nwrote {out}\n\n{render(result)}", flush=True)
