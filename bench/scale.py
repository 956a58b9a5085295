"""Large inputs: time and peak memory of the data stages and of `arxivist predict` as input grows.

For each size N it writes a snapshot of N lines by replicating --snapshot (copy k of a paper gets
the id `<k>.<id>`, so every id stays unique), points a scratch copy of this repository's fetch stage
at it with quotas that take every paper, and runs the stage commands of dvc.yaml one after the other
(fetch, encode, split, tokenize: each as its own process, outside DVC, so the figures are the
stage's own). `arxivist predict` then classifies N abstracts with a tiny classifier (2 layers,
hidden size 32: the cost of reading, tokenizing, batching and writing, not of a big forward pass).
Each process's wall time and peak RSS are measured; the per-line cost shows whether time grows
linearly, and the RSS whether memory stays flat where a stage streams.

    python -m bench.scale --snapshot ../shared/data/arxiv-cs-ai-ir-ro.jsonl --sizes 20000,200000
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter
from itertools import cycle, islice
from pathlib import Path
from typing import Any

import yaml

from arxivist.arguments import positive_int
from bench.harness import begin, finish
from standins.workspace import BIN, ROOT, make_workspace, tool_env

DATA_STAGES = ("fetch", "encode", "split", "tokenize")
# Run a command and print the peak RSS of its process tree's largest member, in KiB (Linux).
MEASURE = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def main() -> None:
    args = parse_args()
    machine = begin()
    runs = []
    with tempfile.TemporaryDirectory(prefix="arxivist-scale-") as scratch:
        classifier = tiny_classifier(Path(scratch) / "tiny")
        for size in args.sizes:
            runs.append(measure_size(args.snapshot, size, Path(scratch) / str(size), classifier))
    finish(args.out, {"machine": machine, "runs": runs}, markdown)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", type=Path, required=True, help="bulk-metadata JSON lines")
    parser.add_argument(
        "--sizes",
        type=lambda text: [positive_int(part) for part in text.split(",")],
        default=[20_000, 200_000, 2_000_000],
        help="snapshot lines per run, comma-separated (default: 20000,200000,2000000)",
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "results" / "scale.json", help="the result"
    )
    return parser.parse_args()


def measure_size(snapshot: Path, size: int, root: Path, classifier: Path) -> dict[str, Any]:
    """Replicate, then time each data stage and predict on `size` lines."""
    root.mkdir(parents=True)
    counts = replicate(snapshot, size, root / "snapshot.jsonl")
    fetch = {"source": "snapshot", "snapshot_path": str(root / "snapshot.jsonl")}
    workspace = make_workspace(root / "workspace", {"fetch": {**fetch, "categories": counts}})
    commands = stage_commands(workspace)
    stages = {}
    for stage in DATA_STAGES:
        stages[stage] = measured(commands[stage], workspace)
        print(f"{size} lines, {stage}: {stages[stage]}", flush=True)
    abstracts = root / "abstracts.jsonl"
    raw = workspace / "data/raw/papers.jsonl"
    with raw.open(encoding="utf-8") as papers, abstracts.open("w", encoding="utf-8") as out:
        for line in papers:
            out.write(json.dumps({"abstract": json.loads(line)["abstract"]}) + "\n")
    predict = [str(BIN / "arxivist"), "predict", "--model", str(classifier)]
    stages["predict"] = measured([*predict, "--input", str(abstracts), "--format", "jsonl"], root)
    print(f"{size} lines, predict: {stages['predict']}", flush=True)
    return {"lines": size, "papers": sum(counts.values()), "stages": stages}


def replicate(snapshot: Path, size: int, out: Path) -> dict[str, int]:
    """Write `size` lines cycling through `snapshot`, copy k's ids prefixed `<k>.`; return the
    papers per primary category (the quotas that take them all; the file's categories must be
    params.yaml's labels)."""
    with snapshot.open(encoding="utf-8") as source:
        lines = [line for line in source if line.strip()]
    counts: Counter[str] = Counter()
    with out.open("w", encoding="utf-8") as sink:
        for number, line in enumerate(islice(cycle(lines), size)):
            record = json.loads(line)
            record["id"] = f"{number // len(lines):04d}.{record['id']}"
            counts[record["categories"].split()[0]] += 1
            sink.write(json.dumps(record) + "\n")
    return dict(sorted(counts.items()))


def stage_commands(workspace: Path) -> dict[str, list[str]]:
    """dvc.yaml's command of each data stage, as an argument list for this interpreter."""
    stages = yaml.safe_load((workspace / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    commands = {}
    for stage in DATA_STAGES:
        command = shlex.split(stages[stage]["cmd"])
        commands[stage] = [sys.executable, *command[1:]] if command[0] == "python" else command
    return commands


def measured(command: list[str], cwd: Path) -> dict[str, float]:
    """Run `command` in `cwd`; its wall seconds and peak RSS in MiB."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *command],
        cwd=cwd,
        env=tool_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed:\n{done.stderr[-3000:]}")
    peak_kib = int(done.stdout.strip().splitlines()[-1])
    return {"seconds": round(seconds, 1), "peak_rss_mib": round(peak_kib / 1024, 1)}


def tiny_classifier(out: Path) -> Path:
    """A 2-layer, 32-wide BERT classifier over three labels, saved for `arxivist predict`."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from standins.tiny_bert import build_tiny_bert

    base = build_tiny_bert(out.parent / "tiny-base")
    names = {0: "cs.AI", 1: "cs.IR", 2: "cs.RO"}
    model = AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=3, id2label=names, label2id={v: k for k, v in names.items()}
    )
    model.save_pretrained(out)
    tokenizer = AutoTokenizer.from_pretrained(base)
    tokenizer.model_max_length = 256
    tokenizer.save_pretrained(out)
    return out


def markdown(result: dict[str, Any]) -> str:
    """One row per size: seconds and peak RSS of each stage, and microseconds per line."""
    stages = (*DATA_STAGES, "predict")
    head = (
        f"Machine: **{result['machine']['name']}** ({result['machine']['torch_threads']} threads)"
    )
    rows = [
        head,
        "",
        "| lines | " + " | ".join(f"{stage} s (us/line) / MiB" for stage in stages) + " |",
        "| ---: | " + " | ".join("---:" for _ in stages) + " |",
    ]
    for run in result["runs"]:
        cells = []
        for stage in stages:
            figures = run["stages"][stage]
            per_line = figures["seconds"] / run["lines"] * 1e6
            cells.append(
                f"{figures['seconds']:.1f} ({per_line:.0f}) / {figures['peak_rss_mib']:.0f}"
            )
        rows.append(f"| {run['lines']} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
