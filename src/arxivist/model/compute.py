"""Where the model runs and in which precision: train, evaluate and predict all ask here.

bf16 mixed precision pays only where the hardware computes it natively: CUDA GPUs that support it,
and CPUs with AMX or AVX512-BF16. Elsewhere (an AVX2-only CPU) bf16 autocast is emulated and many
times slower than fp32, so `auto` picks fp32 there. `probe()` is the one seam to the hardware.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch

from arxivist.params import ParamsError, RequestedPrecision, TrainParams

Precision = Literal["fp32", "bf16"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Capability:
    """What the device can do: its kind, a human name, and whether it computes bf16 natively."""

    device: Literal["cuda", "cpu"]
    name: str  # e.g. "NVIDIA H200" or "AMD EPYC (AVX2)"
    native_bf16: bool


@dataclass(frozen=True)
class Compute:
    """The device and precision a run uses; `autocast()` wraps the forward passes."""

    device: Literal["cuda", "cpu"]
    precision: Precision
    hardware: str

    def autocast(self) -> contextlib.AbstractContextManager:
        """bf16 autocast on the device when the precision is bf16; a no-op for fp32."""
        if self.precision == "fp32":
            return contextlib.nullcontext()
        return torch.autocast(self.device, dtype=torch.bfloat16)

    def describe(self) -> dict[str, str]:
        """The record written into metrics files and the model card."""
        return {"device": self.device, "precision": self.precision, "hardware": self.hardware}


def probe() -> Capability:
    """The CUDA GPU when present, else the CPU, and whether it has native bf16.

    A CPU is named with its vector ISA and its bf16 unit: "AMD EPYC (AVX2, no native bf16)",
    "AMD EPYC (AVX512, AVX512-BF16)", "Intel Xeon (AVX512, AMX)".
    """
    if torch.cuda.is_available():
        return Capability("cuda", torch.cuda.get_device_name(0), torch.cuda.is_bf16_supported())
    unit = cpu_bf16_unit()
    isa = torch.backends.cpu.get_cpu_capability()
    return Capability("cpu", f"{cpu_name()} ({isa}, {unit or 'no native bf16'})", unit is not None)


def cpu_bf16_unit() -> Literal["AMX", "AVX512-BF16"] | None:
    """The CPU's native bf16 matrix unit: AMX tiles, else AVX512-BF16 instructions, else none."""
    if torch.cpu._is_amx_tile_supported():
        return "AMX"
    if torch.cpu._is_avx512_bf16_supported():
        return "AVX512-BF16"
    return None


def choose_precision(requested: RequestedPrecision, capability: Capability) -> Precision:
    """`auto`: bf16 where native, else fp32; an explicit choice is kept (warned about if slow)."""
    if requested == "auto":
        return "bf16" if capability.native_bf16 else "fp32"
    if requested == "bf16" and not capability.native_bf16:
        log.warning(
            "bf16 requested on %s, which has no native bf16: expect it to be slow", capability.name
        )
    return requested


def resolve(requested: RequestedPrecision, capability: Capability | None = None) -> Compute:
    """The Compute for a `precision` param; logs the choice."""
    capability = capability or probe()
    compute = Compute(capability.device, choose_precision(requested, capability), capability.name)
    log.info(
        "compute: %s, %s (precision %s requested)", compute.hardware, compute.precision, requested
    )
    return compute


def cpu_name(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name from /proc/cpuinfo, else what the platform module knows."""
    with contextlib.suppress(OSError):
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and value.strip():
                return value.strip()
    return platform.processor() or platform.machine()


def check_devices(train: TrainParams, devices: int | None = None) -> None:
    """Refuse train.processes beyond the devices here (`devices`, default: available_devices()),
    before any process starts: more processes than CPU cores or GPUs only thrash and fill memory."""
    if devices is None:
        devices = available_devices()
    if train.processes > devices:
        kind = "GPU(s)" if _cuda_devices() else "CPU core(s) available to this process"
        raise ParamsError(
            "train.processes",
            f"is {train.processes} but this machine has {devices} {kind}; set at most {devices}",
        )


def available_devices() -> int:
    """What one training process each can use: the visible GPUs when CUDA is available, else the
    CPU cores this process may run on (its affinity, e.g. a container's cpuset)."""
    return _cuda_devices() or _cpu_cores()


def _cpu_cores() -> int:
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


def _cuda_devices() -> int:
    """The GPUs torch sees; 0 without CUDA."""
    return torch.cuda.device_count() if torch.cuda.is_available() else 0
