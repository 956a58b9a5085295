"""Shared fixtures: a local arXiv API, a tiny BERT, a local GCS and Hub live in standins/."""

import os

import pytest

# Nothing in the tests may reach for the network: no Hub downloads, no GCE metadata probe.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("NO_GCE_CHECK", "true")
os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")
os.environ.setdefault("DVC_NO_ANALYTICS", "1")

pytest_plugins = [
    "standins.arxiv_api",
    "standins.gcs",
    "standins.hub",
    "standins.tiny_bert",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--simulate-cpu-bf16",
        choices=("AMX", "AVX512-BF16"),
        help="make arxivist.model.compute.probe() report this native bf16 unit on a CPU without "
        "one, so an AVX2 machine runs the paths a bf16 machine takes (bf16 is emulated there: "
        "slow, so run it on the small tests only)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Apply --simulate-cpu-bf16 before collection, so skip conditions see it too."""
    unit = config.getoption("--simulate-cpu-bf16")
    if unit:
        simulate_cpu_bf16(unit)


def simulate_cpu_bf16(unit: str | None) -> None:
    """Patch the torch CPU feature checks under `probe()`: AMX, AVX512-BF16 or (None) neither."""
    import torch

    torch.cpu._is_amx_tile_supported = lambda: unit == "AMX"
    torch.cpu._is_avx512_bf16_supported = lambda: unit is not None
