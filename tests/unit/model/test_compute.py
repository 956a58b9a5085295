"""The precision rule: bf16 only where the device computes it natively; probe() is the one seam."""

from pathlib import Path

import pytest
import torch

from arxivist.model.compute import (
    Capability,
    Compute,
    available_devices,
    check_devices,
    choose_precision,
    cpu_bf16_unit,
    cpu_name,
    probe,
    resolve,
)
from arxivist.params import ParamsError, TrainParams

AMX_CPU = Capability("cpu", "Intel Xeon (AVX512, AMX)", native_bf16=True)
AVX2_CPU = Capability("cpu", "AMD EPYC (AVX2, no native bf16)", native_bf16=False)
BF16_GPU = Capability("cuda", "NVIDIA H200", native_bf16=True)
OLD_GPU = Capability("cuda", "Tesla T4", native_bf16=False)


@pytest.mark.parametrize(
    ("capability", "expected"),
    [(AMX_CPU, "bf16"), (BF16_GPU, "bf16"), (AVX2_CPU, "fp32"), (OLD_GPU, "fp32")],
)
def test_auto_picks_bf16_only_where_native(capability: Capability, expected: str) -> None:
    assert choose_precision("auto", capability) == expected


@pytest.mark.parametrize("capability", [AMX_CPU, AVX2_CPU, BF16_GPU])
def test_an_explicit_precision_is_kept(capability: Capability) -> None:
    assert choose_precision("fp32", capability) == "fp32"
    assert choose_precision("bf16", capability) == "bf16"


def test_bf16_without_native_support_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    choose_precision("bf16", AVX2_CPU)

    assert "AMD EPYC (AVX2, no native bf16)" in caplog.text and "slow" in caplog.text


def test_resolve_records_device_precision_and_hardware() -> None:
    compute = resolve("auto", AMX_CPU)

    assert compute.describe() == {
        "device": "cpu",
        "precision": "bf16",
        "hardware": "Intel Xeon (AVX512, AMX)",
    }


def test_autocast_computes_in_the_chosen_precision() -> None:
    a = torch.ones(4, 4)
    with Compute("cpu", "fp32", "x").autocast():
        assert (a @ a).dtype == torch.float32
    with Compute("cpu", "bf16", "x").autocast():
        assert (a @ a).dtype == torch.bfloat16


def test_probe_describes_this_machine() -> None:
    capability = probe()

    assert capability.device == ("cuda" if torch.cuda.is_available() else "cpu")
    if capability.device == "cpu":
        isa = torch.backends.cpu.get_cpu_capability()
        assert capability.name.endswith(f"({isa}, {cpu_bf16_unit() or 'no native bf16'})")
        assert capability.native_bf16 == (cpu_bf16_unit() is not None)


@pytest.mark.skipif(torch.cuda.is_available(), reason="the CPU probe; a GPU is probed instead")
@pytest.mark.parametrize(
    ("amx", "avx512_bf16", "unit", "suffix"),
    [
        (True, True, "AMX", ", AMX)"),
        (False, True, "AVX512-BF16", ", AVX512-BF16)"),
        (False, False, None, ", no native bf16)"),
    ],
)
def test_probe_names_the_cpus_bf16_unit_and_auto_follows_it(
    monkeypatch: pytest.MonkeyPatch, amx: bool, avx512_bf16: bool, unit: str | None, suffix: str
) -> None:
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: avx512_bf16)

    capability = probe()

    assert cpu_bf16_unit() == unit
    assert capability.name.startswith(cpu_name()) and capability.name.endswith(suffix)
    assert capability.native_bf16 == (unit is not None)
    assert resolve("auto").precision == ("bf16" if unit else "fp32")


def test_cpu_name_reads_the_model_name(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n")

    assert cpu_name(cpuinfo) == "AMD EPYC 7B13"
    assert cpu_name(tmp_path / "missing")  # falls back to the platform's name, never empty


def test_more_processes_than_devices_are_refused_naming_the_count() -> None:
    with pytest.raises(ParamsError) as caught:
        check_devices(TrainParams(processes=64), devices=2)
    assert caught.value.key == "train.processes"
    assert "is 64 but this machine has 2 " in str(caught.value) and "at most 2" in str(caught.value)
    check_devices(TrainParams(processes=2), devices=2)


def test_the_devices_here_are_the_cpu_cores_without_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("arxivist.model.compute._cuda_devices", lambda: 0)
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert available_devices() == 2
    with pytest.raises(ParamsError, match=r"is 3 but this machine has 2 CPU core\(s\) available"):
        check_devices(TrainParams(processes=3))
    monkeypatch.setattr("arxivist.model.compute._cuda_devices", lambda: 1)
    assert available_devices() == 1
    with pytest.raises(ParamsError, match=r"is 2 but this machine has 1 GPU\(s\)"):
        check_devices(TrainParams(processes=2))
