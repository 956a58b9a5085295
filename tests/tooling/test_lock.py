"""requirements.lock installs from the public package index alone, on any Linux machine.

The pins are public versions (no local labels such as `+cpu`, no paths or URLs), and pip resolves
every one of them from https://pypi.org/simple with this machine's pip configuration (its local
wheel folder and indexes) switched off.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from standins.workspace import ROOT

LOCK = ROOT / "requirements.lock"
PUBLIC_INDEX = "https://pypi.org/simple"
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[0-9][0-9A-Za-z.!]*)$")


def pins() -> list[str]:
    return [
        line.strip()
        for line in LOCK.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


def test_every_pin_is_an_exact_public_version() -> None:
    bad = [line for line in pins() if not PIN.match(line)]
    assert not bad, f"not name==public-version (local labels like +cpu need a private index): {bad}"
    assert "torch==2.13.0" in pins()


def _reachable(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/pip/", timeout=20):
            return True
    except OSError:
        return False


@pytest.mark.slow
def test_the_public_index_alone_resolves_every_pin(tmp_path: Path) -> None:
    """pip's resolver on the lock (no dependencies followed, nothing installed, metadata only
    where the index serves it), with PIP_* settings and pip config files ignored."""
    if not _reachable(PUBLIC_INDEX):
        pytest.skip(f"{PUBLIC_INDEX} is unreachable from this machine: the lock check needs it")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    done = subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--isolated", "--dry-run", "--no-deps",
            "--ignore-installed", "--disable-pip-version-check", "--index-url", PUBLIC_INDEX,
            "--target", str(tmp_path / "unused"), "-r", str(LOCK),
        ],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Would install" in done.stdout and " torch-2.13.0 " in done.stdout
