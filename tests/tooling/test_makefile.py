"""The Makefile: `make` alone lists the targets, the shared snapshot's path is written once (the
benchmarks and the tests that read it take it from there), and CI lints."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def make(*args: str, env: dict[str, str] | None = None) -> str:
    """What `make ARGS` prints, run in the repository root (`-n`: the commands, not run)."""
    ran = subprocess.run(
        ["make", *args], cwd=ROOT, capture_output=True, text=True, check=True, env=env
    )
    return ran.stdout


def test_make_alone_lists_every_target_with_its_note() -> None:
    targets = re.findall(r"(?m)^([a-z-]+):", MAKEFILE)
    noted = dict(re.findall(r"(?m)^([a-z-]+):.*?## (.+)$", MAKEFILE))
    listed = dict(re.findall(r"(?m)^  ([a-z-]+) +(.+)$", make()))
    assert listed == noted
    assert list(listed) == targets
    assert {"help", "demo", "test", "lint", "bench", "params-doc"} <= set(listed)


def test_the_snapshot_path_is_written_once_and_every_benchmark_takes_it() -> None:
    assert MAKEFILE.count("arxiv-cs-ai-ir-ro.jsonl") == 1
    benches = re.findall(r"(?m)^(bench[a-z-]*):", MAKEFILE)
    for target in benches:
        commands = make("-n", target, "SNAPSHOT=/elsewhere/real.jsonl")
        snapshots = re.findall(r"--snapshot (\S+)", commands)
        assert set(snapshots) <= {"/elsewhere/real.jsonl"}, target
    assert "--snapshot /elsewhere/real.jsonl" in make(
        "-n", "bench", "SNAPSHOT=/elsewhere/real.jsonl"
    )


def test_the_tests_read_the_snapshot_the_makefile_names() -> None:
    """REAL_SNAPSHOT: the Makefile's default, or what `make ... SNAPSHOT=` exports."""
    default = re.search(r"(?m)^export SNAPSHOT \?= (.+)$", MAKEFILE)
    assert default

    def real_snapshot(**snapshot: str) -> str:
        env = {key: value for key, value in os.environ.items() if key != "SNAPSHOT"}
        show = "from standins.corpus import REAL_SNAPSHOT; print(REAL_SNAPSHOT)"
        return subprocess.run(
            [sys.executable, "-c", show],
            cwd=ROOT,
            env={**env, **snapshot},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    assert real_snapshot() == os.path.normpath(ROOT / default[1])
    assert real_snapshot(SNAPSHOT="/elsewhere/real.jsonl") == "/elsewhere/real.jsonl"


def test_ci_lints_before_the_demo_and_the_tests() -> None:
    steps = re.findall(r"(?m)^make (\S+)$", (ROOT / ".ci" / "run").read_text(encoding="utf-8"))
    assert steps == ["lint", "demo", "test"]
