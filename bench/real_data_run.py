"""Run the whole pipeline with the default params on real arXiv data and record the numbers.

The default training params in params.yaml are chosen with bench/sweep_defaults.py; this script
checks the choice on the CPU: it copies the repository into a scratch git repo, points the fetch
stage at a bulk-metadata snapshot (the blog's 1000/1000/100 papers; every other param as committed),
runs each stage with `dvc repro -s`, and saves per-stage wall times and the test metrics of the
model and the TF-IDF baseline.

    python -m bench.real_data_run --snapshot ../shared/data/arxiv-cs-ai-ir-ro.jsonl
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import torch

from arxivist.params import load_params
from tests.fakes.workspace import ROOT, dvc, make_workspace

STAGES = ("fetch", "encode", "split", "tokenize", "train", "evaluate", "publish")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", type=Path, required=True)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "results" / "real_data_run.json"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="arxivist-real-") as scratch:
        snapshot = {"source": "snapshot", "snapshot_path": str(args.snapshot.resolve())}
        workspace = make_workspace(Path(scratch), {"fetch": snapshot})
        seconds = {}
        for stage in STAGES:
            start = time.perf_counter()
            dvc(workspace, "repro", "-s", stage)
            seconds[stage] = round(time.perf_counter() - start, 1)
            print(f"{stage}: {seconds[stage]} s", flush=True)
        params = load_params(workspace / "params.yaml")
        result = {
            "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads",
            "device": "cuda" if torch.cuda.is_available() else "cpu",
            "params": {"train": vars(params.train), "tokenize": vars(params.tokenize)},
            "seconds": seconds,
            "train": json.loads((workspace / "reports/train/metrics.json").read_text()),
            "eval": json.loads((workspace / "reports/eval/metrics.json").read_text()),
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    for name in ("model", "baseline"):
        m = result["eval"][name]
        print(
            f"{name}: roc_auc_ovr={m['roc_auc_ovr']} macro_f1={m['macro_f1']} acc={m['accuracy']}"
        )


if __name__ == "__main__":
    main()
