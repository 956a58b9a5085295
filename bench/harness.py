"""What the benchmarks share: their command line, the machine record, the bench's params (the blog's
sample from the shared snapshot and a later set that starts after it), the scratch workspace that
runs on them, timing, and where the result goes."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import platform
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
import transformers
import yaml

from arxivist.atomic import write_json
from arxivist.model.compute import probe
from arxivist.params import Params, load_params, params_from_dict
from standins.workspace import ROOT, deep_merge, make_workspace

RESULTS = ROOT / "bench" / "results"
# What every benchmark runs on unless --set says otherwise: the blog's sample (the first 1000 cs.AI,
# 1000 cs.IR and 100 cs.RO papers by id of the shared snapshot; its newest is from 2025-07) and a
# later set from the months after it. The window holds about 627 cs.IR papers, hence allow_short.
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
    """A parser with the flags every benchmark takes: --snapshot, --out (default
    bench/results/`result_name` where that names a file, else None), --set."""
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
        help="override a param of the workspace (over the bench's defaults: the blog sample, "
        "later papers from 2025-08), as `dvc exp run -S` (e.g. train.epochs=1, "
        "'fetch.categories={cs.AI: 40, cs.IR: 40, cs.RO: 40}'); repeatable",
    )
    return parser


def parse_list(
    text: str, item: Callable[[str], Any], what: str, at_least: int = 1
) -> tuple[Any, ...]:
    """A comma-separated list flag: each item (blanks dropped) through `item`, which raises
    argparse.ArgumentTypeError for a bad one; at least `at_least` items, none twice (`what` names
    them in the error)."""
    values = tuple(item(part.strip()) for part in text.split(",") if part.strip())
    if len(values) < at_least or len(set(values)) < len(values):
        raise argparse.ArgumentTypeError(
            f"expected {at_least} or more distinct {what}, comma-separated, got {text!r}"
        )
    return values


def parse_seeds(text: str) -> tuple[int, ...]:
    """'1,2,3' -> (1, 2, 3): at least two distinct train.seed values, integers >= 0."""
    return parse_list(text, parse_seed, "seeds", at_least=2)


def parse_seed(text: str) -> int:
    """A train.seed value: an integer >= 0."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"a seed is an integer >= 0, got {text!r}")
    return int(text)


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
    """Quiet transformers' load reports and bars between results; describe and print the machine."""
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    machine = describe_machine()
    print(f"machine: {machine}", flush=True)
    return machine


def describe_machine() -> dict[str, Any]:
    """arxivist's compute probe (device, name, native bf16), threads, versions, date and load."""
    return {
        **dataclasses.asdict(probe()),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "date": dt.date.today().isoformat(),
        "load_average_1min_at_start": round(os.getloadavg()[0], 2),
    }


def bench_overrides(snapshot: Path, overrides: dict[str, Any]) -> dict[str, Any]:
    """The params a bench workspace gets over params.yaml: BENCH_PARAMS reading `snapshot`, then
    `overrides` (--set)."""
    reading = deep_merge(BENCH_PARAMS, {"fetch": {"snapshot_path": str(snapshot.resolve())}})
    return deep_merge(reading, overrides)


def bench_params(snapshot: Path, overrides: dict[str, Any]) -> Params:
    """The params a bench workspace would get (params.yaml as committed, then BENCH_PARAMS and
    `overrides`), without making one."""
    committed = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    return params_from_dict(deep_merge(committed, bench_overrides(snapshot, overrides)))


def spread(texts: Sequence[str], count: int) -> list[str]:
    """At most `count` of `texts`, evenly spread over them (the later set is sorted by id, so
    every category and month is in)."""
    if len(texts) <= count:
        return list(texts)
    return [texts[int(i * len(texts) / count)] for i in range(count)]


def params_record(params: Params) -> dict[str, Any]:
    """The params a result depends on: the labels, the sample, the later set, training and
    tokenizing."""
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


@contextmanager
def scratch_workspace(args: argparse.Namespace, prefix: str) -> Iterator[tuple[Path, Params]]:
    """The workspace (params as committed, then the bench's, then --set), removed on exit, and
    its params."""
    with tempfile.TemporaryDirectory(prefix=prefix) as scratch:
        overrides = bench_overrides(args.snapshot, args.set)
        workspace = make_workspace(Path(scratch) / "workspace", overrides)
        yield workspace, load_params(workspace / "params.yaml")


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
