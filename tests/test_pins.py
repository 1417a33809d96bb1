"""Targets, platforms, Pythons and pins: pure resolution, contradictions refused with what is allowed."""

from __future__ import annotations

import pytest

from scaffold import TargetError, UsageError, resolve_pins
from scaffold.hardware import detect
from scaffold.models import Machine
from scaffold.pins import resolve
from scaffold.targets import TargetSpec, cuda_for_driver, parse_target


def test_parse_target_forms():
    assert parse_target("cpu") == TargetSpec("cpu")
    assert parse_target("cuda") == TargetSpec("cuda")
    assert parse_target("cuda-12.8") == TargetSpec("cuda", "12.8")
    assert parse_target("rocm-7.2") == TargetSpec("rocm", "7.2")
    for bad in ("gpu", "cuda12", "mps-1.0", "cpu-1.0", ""):
        with pytest.raises(TargetError, match="allowed: cpu, cuda, cuda-X.Y"):
            parse_target(bad)


def test_sklearn_cpu_pins(catalog):
    pins = resolve(catalog, "sklearn", target=TargetSpec("cpu"), platform="linux-x86_64", python="3.11")
    assert pins.framework_version == "1.9.1"
    assert pins.requirements[0] == "scikit-learn==1.9.1"
    assert "pytest==9.2.0" in pins.dev_requirements and not pins.index_lines


@pytest.mark.parametrize("target", ["cuda", "cuda-12.8", "rocm"])
def test_sklearn_gpu_target_gets_cpu_pins_and_a_note(catalog, target):
    pins = resolve(catalog, "sklearn", target=parse_target(target), platform="linux-x86_64", python="3.12")
    assert pins.target.accelerator == "cpu"
    assert any("CPU only" in n for n in pins.notes)


def test_older_python_picks_an_older_release(catalog):
    pins = resolve(catalog, "sklearn", target=TargetSpec("cpu"), platform="linux-x86_64", python="3.10")
    assert pins.framework_version == "1.7.2"


def test_release_prefix_and_unknown_release(catalog):
    pins = resolve(catalog, "sklearn", target=TargetSpec("cpu"), platform="macos-arm64", python="3.12",
                   framework_version="1.7")
    assert pins.framework_version == "1.7.2"
    with pytest.raises(TargetError, match="available: 1.9.1, 1.7.2"):
        resolve(catalog, "sklearn", target=TargetSpec("cpu"), platform="linux-x86_64", python="3.12",
                framework_version="0.24")


def test_python_the_release_does_not_support(catalog):
    with pytest.raises(TargetError, match=r"--python 3.10 is not supported by scikit-learn 1.9.1; supported: 3.11"):
        resolve(catalog, "sklearn", target=TargetSpec("cpu"), platform="linux-x86_64", python="3.10",
                framework_version="1.9")


@pytest.mark.parametrize(("target", "platform", "message"), [
    ("mps", "linux-x86_64", "needs --platform macos-arm64"),
    ("cuda", "macos-arm64", "not available on macOS"),
    ("cuda-12.6", "macos-arm64", "not available on macOS"),
    ("rocm", "windows-x86_64", "not available on windows"),
])
def test_contradictions_are_refused(catalog, target, platform, message):
    with pytest.raises(TargetError, match=message):
        resolve(catalog, "sklearn", target=parse_target(target), platform=platform, python="3.12")


def test_unknown_values(catalog):
    with pytest.raises(UsageError, match="choose one of: sklearn, pytorch"):
        resolve_pins("theano", target="cpu")
    with pytest.raises(TargetError, match="choose one of: linux-x86_64, linux-aarch64, macos-arm64, windows-x86_64"):
        resolve_pins("sklearn", target="cpu", platform="solaris-sparc")
    with pytest.raises(TargetError, match="choose one of: 3.10, 3.11"):
        resolve_pins("sklearn", target="cpu", python="2.7")
    with pytest.raises(UsageError, match="does not apply to scikit-learn"):
        resolve_pins("sklearn", target="cpu", options={"backend": "jax"})


def test_auto_uses_the_recorded_machine(cpu_machine):
    pins = resolve_pins("sklearn", target="auto", machine=cpu_machine, python="3.12")
    assert pins.target.accelerator == "cpu" and any(n.startswith("auto:") for n in pins.notes)
    gpu = Machine("linux-x86_64", "3.12", "cuda", "12", {"gpu": "NVIDIA H100"})
    pins = resolve_pins("sklearn", target="auto", machine=gpu, python="3.12")
    assert pins.target.accelerator == "cpu"  # scikit-learn has no GPU build: CPU, with the note


def test_default_python_is_this_interpreter_when_supported(cpu_machine):
    import sys

    pins = resolve_pins("sklearn", target="cpu", platform="linux-x86_64", machine=cpu_machine)
    assert pins.target.python == f"{sys.version_info.major}.{sys.version_info.minor}"


@pytest.mark.parametrize(("driver", "cuda"), [("580.82.07", "13"), ("570.133.20", "12"), ("525.60.13", "12"),
                                              ("525.60.12", None), ("470.57.02", None), ("n/a", None)])
def test_cuda_for_driver(driver, cuda):
    assert cuda_for_driver(driver) == cuda


def test_detect_from_recorded_probes():
    m = detect(probe=False, nvidia_smi="NVIDIA H100 80GB HBM3, 570.133.20, 81559 MiB\n", platform="linux-x86_64")
    assert (m.accelerator, m.accelerator_version, m.details["gpu"]) == ("cuda", "12", "NVIDIA H100 80GB HBM3")
    m = detect(probe=False, nvidia_smi="", rocm_version="7.2.1", platform="linux-x86_64")
    assert (m.accelerator, m.accelerator_version) == ("rocm", "7.2")
    m = detect(probe=False, nvidia_smi="", rocm_version="", platform="macos-arm64")
    assert m.accelerator == "mps"
    m = detect(probe=False, nvidia_smi="", rocm_version="", platform="linux-x86_64")
    assert m.accelerator == "cpu"
