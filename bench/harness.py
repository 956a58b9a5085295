"""What the benchmarks share: their command line, the machine record, the scratch workspace that
reads the snapshot (with its unseen set), and where the result goes."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import platform
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
import transformers
import yaml

from arxivist.atomic import write_json
from arxivist.compute import probe
from arxivist.papers import Paper
from arxivist.params import Params, load_params
from bench.unseen import DEFAULT_UNSEEN, parse_unseen, read_unseen, unseen_counts
from tests.fakes.workspace import ROOT, deep_merge, make_workspace


def arguments(description: str, result_name: str) -> argparse.ArgumentParser:
    """A parser with the flags every benchmark takes: --snapshot, --out, --unseen, --set."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--snapshot", type=Path, required=True, help="bulk-metadata JSON lines")
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "bench" / "results" / result_name,
        help=f"where the numbers go (default: bench/results/{result_name})",
    )
    parser.add_argument(
        "--unseen",
        type=parse_unseen,
        default=DEFAULT_UNSEEN,
        metavar="SPEC",
        help="unseen papers per category: CODE=N,CODE=N,... or one N for every category "
        f"(default: {','.join(f'{code}={n}' for code, n in DEFAULT_UNSEEN.items())})",
    )
    parser.add_argument(
        "--set",
        type=parse_set,
        action="append",
        default=[],
        metavar="KEY=YAML",
        help="override a param of the scratch workspace, as `dvc exp run -S` "
        "(e.g. train.epochs=1, 'fetch.categories={cs.AI: 40, cs.IR: 40}'); repeatable",
    )
    return parser


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
    """The device and its name (CPU model and ISA), native bf16, threads and versions."""
    capability = probe()
    return {
        "device": capability.device,
        "name": capability.name,
        "native_bf16": capability.native_bf16,
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "date": dt.date.today().isoformat(),
        "load_average_1min_at_start": round(os.getloadavg()[0], 2),
    }


@dataclasses.dataclass(frozen=True)
class Scratch:
    """A scratch copy of this repository whose fetch stage reads the snapshot; its unseen set."""

    workspace: Path
    params: Params
    unseen: list[Paper]
    counts: dict[str, int]  # unseen papers per category

    def params_record(self) -> dict[str, Any]:
        """The params a result depends on, as the result records them."""
        return {
            "fetch": {"categories": self.params.fetch.categories},
            "train": dataclasses.asdict(self.params.train),
            "tokenize": dataclasses.asdict(self.params.tokenize),
        }


@contextmanager
def scratch_workspace(args: argparse.Namespace, prefix: str) -> Iterator[Scratch]:
    """The workspace (params as committed, then --set) and the unseen set, removed on exit."""
    snapshot = str(args.snapshot.resolve())
    overrides = deep_merge({"fetch": {"source": "snapshot", "snapshot_path": snapshot}}, args.set)
    with tempfile.TemporaryDirectory(prefix=prefix) as scratch:
        workspace = make_workspace(Path(scratch) / "workspace", overrides)
        params = load_params(workspace / "params.yaml")
        counts = unseen_counts(args.unseen, params.fetch.categories)
        unseen = read_unseen(snapshot, params.fetch.categories, counts)
        print(f"unseen set: {len(unseen)} papers", flush=True)
        yield Scratch(workspace, params, unseen, counts)


def finish(out: Path, result: dict[str, Any], render: Callable[[dict[str, Any]], str]) -> None:
    """Stamp the load average at the end, write the result to `out`, print its markdown."""
    result["machine"]["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
    write_json(out, result)
    print(f"\nwrote {out}\n\n{render(result)}", flush=True)
