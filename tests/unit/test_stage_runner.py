"""arxivist.stage_runner: what every stage shares, e.g. a bad HF_ENDPOINT refused in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from standins.workspace import ROOT


def test_the_tokenize_stage_refuses_a_malformed_hf_endpoint_in_one_line(tmp_path: Path) -> None:
    """huggingface_hub parses HF_ENDPOINT when imported (by transformers and datasets too): the
    stages check it before any of them is."""
    done = subprocess.run(
        [sys.executable, "-m", "stages.tokenize", "split", "tokenized"],
        cwd=tmp_path,
        env={**os.environ, "HF_ENDPOINT": "http://[::1", "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "error: HF_ENDPOINT: 'http://[::1' is not an http(s) URL (Invalid IPv6 URL); unset it to "
        "use the Hugging Face Hub, or set the address of a Hub-compatible server\n"
    )
