"""Detection from recorded probe outputs: no GPU, driver or JDK needed to test it."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaffold import resolve_pins
from scaffold.hardware import (
    detect,
    driver_facts,
    java_major,
    parse_java_version,
    parse_nvidia_proc,
    parse_nvidia_smi,
    parse_rocm_version,
)

RECORDED = Path(__file__).parent / "recorded"


def recorded(name: str) -> str:
    return (RECORDED / name).read_text()


def test_nvidia_smi_one_row_per_gpu():
    gpus = parse_nvidia_smi(recorded("nvidia-smi-h100x8.txt"))
    assert len(gpus) == 8
    assert gpus[0] == {"name": "NVIDIA H100 80GB HBM3", "driver_version": "570.133.20", "memory": "81559 MiB"}
    mixed = parse_nvidia_smi(recorded("nvidia-smi-mixed.txt"))
    assert [g["name"] for g in mixed] == ["NVIDIA GeForce RTX 4090", "NVIDIA GeForce RTX 3060"]
    assert parse_nvidia_smi(recorded("nvidia-smi-failed.txt")) == []
    assert parse_nvidia_smi("") == []


@pytest.mark.parametrize(("name", "driver"), [
    ("proc-driver-nvidia-version-proprietary.txt", "550.54.14"),
    ("proc-driver-nvidia-version-open.txt", "580.82.07"),
    ("proc-driver-nvidia-version-aarch64-old.txt", "470.239.06"),
])
def test_driver_version_from_the_kernel_modules_file(name, driver):
    assert parse_nvidia_proc(recorded(name)) == driver


def test_a_file_that_is_not_the_drivers_gives_nothing():
    assert parse_nvidia_proc("") is None
    assert parse_nvidia_proc("GCC version:  gcc version 12.3.0\n") is None


@pytest.mark.parametrize(("name", "version", "major"), [
    ("java-17.txt", "17.0.15", "17"),
    ("java-21.txt", "21.0.5", "21"),
    ("java-8.txt", "1.8.0_392", "8"),
    ("java-25-picked-up.txt", "25", "25"),
])
def test_java_version_and_major(name, version, major):
    assert parse_java_version(recorded(name)) == version
    assert java_major(version) == major


def test_java_missing_or_unreadable():
    assert parse_java_version("") is None
    assert parse_java_version("bash: java: command not found") is None


def test_rocm_version():
    assert parse_rocm_version(recorded("rocm-info-version.txt")) == "7.2"
    assert parse_rocm_version("") is None


def test_detect_several_gpus_with_nvidia_smi():
    m = detect(probe=False, platform="linux-x86_64", nvidia_smi=recorded("nvidia-smi-h100x8.txt"),
               memory_bytes=128 * 2**30, cpu_cores=16, java_version_output=recorded("java-21.txt"))
    assert (m.accelerator, m.accelerator_version) == ("cuda", "12")
    d = m.details
    assert d["gpu"] == "NVIDIA H100 80GB HBM3" and d["gpu_count"] == 8 and d["gpu_memory"] == "81559 MiB"
    assert d["driver_version"] == "570.133.20" and d["driver_source"] == "nvidia-smi"
    assert (d["cpu_cores"], d["memory_gib"], d["java_version"], d["java_major"]) == (16, 128.0, "21.0.5", "21")
    assert "gpus" not in d  # all the same model
    mixed = detect(probe=False, platform="linux-x86_64", nvidia_smi=recorded("nvidia-smi-mixed.txt"))
    assert mixed.accelerator_version == "13" and mixed.details["gpus"] == ("NVIDIA GeForce RTX 4090",
                                                                           "NVIDIA GeForce RTX 3060")


def test_detect_falls_back_to_the_drivers_file_when_nvidia_smi_fails():
    m = detect(probe=False, platform="linux-x86_64", nvidia_smi=recorded("nvidia-smi-failed.txt"),
               nvidia_proc=recorded("proc-driver-nvidia-version-open.txt"))
    assert (m.accelerator, m.accelerator_version) == ("cuda", "13")
    assert m.details["driver_source"] == "/proc/driver/nvidia/version" and m.details["driver_version"] == "580.82.07"


def test_the_drivers_file_is_a_linux_fallback_only():
    m = detect(probe=False, platform="windows-x86_64", nvidia_smi="",
               nvidia_proc=recorded("proc-driver-nvidia-version-open.txt"))
    assert m.accelerator == "cpu"


def test_a_driver_too_old_for_cuda_12_means_the_cpu_and_says_why():
    m = detect(probe=False, platform="linux-aarch64", nvidia_proc=recorded("proc-driver-nvidia-version-aarch64-old.txt"))
    assert m.accelerator == "cpu" and "470.239.06 is too old" in m.details["note"]
    pins = resolve_pins("pytorch", target="auto", machine=m, python="3.12")
    assert pins.target.accelerator == "cpu"
    assert "driver 470.239.06, too old for CUDA 12 (needs >= 525.60.13)" in pins.notes[0]


def test_rocm_apple_and_plain_cpu():
    m = detect(probe=False, platform="linux-x86_64", rocm_version=recorded("rocm-info-version.txt"))
    assert (m.accelerator, m.accelerator_version, m.details["rocm_version"]) == ("rocm", "7.2", "7.2")
    m = detect(probe=False, platform="macos-arm64", apple_chip="Apple M3 Pro")
    assert (m.accelerator, m.details["chip"]) == ("mps", "Apple M3 Pro")
    m = detect(probe=False, platform="linux-x86_64")
    assert m.accelerator == "cpu" and "java_version" not in m.details and "gpu" not in m.details


@pytest.mark.parametrize(("smi", "target", "version"), [
    ("nvidia-smi-h100x8.txt", "cuda-12.6", "2.14.1"),  # driver 570: CUDA 12 at most -> the newest 12.x build
    ("nvidia-smi-mixed.txt", "cuda-13.2", "2.15.0"),   # driver 580: CUDA 13
])
def test_auto_picks_the_newest_build_the_driver_runs_and_says_why(smi, target, version):
    m = detect(probe=False, platform="linux-x86_64", nvidia_smi=recorded(smi))
    pins = resolve_pins("pytorch", target="auto", machine=m, python="3.12")
    assert (pins.target.name, pins.framework_version) == (target, version)
    note = pins.notes[0]
    assert note.startswith("auto: found ") and f"driver {m.details['driver_version']}" in note
    assert f"picked {target}, the newest CUDA build of PyTorch {version} it can run" in note


def test_detect_on_this_machine_is_well_formed():
    m = detect()
    assert m.accelerator in ("cpu", "cuda", "rocm", "mps")
    assert isinstance(m.details["cpu_cores"], int) and m.details["cpu_cores"] >= 1


@pytest.mark.parametrize(("cuda", "linux", "windows"), [("12.6", "525.60.13", "528.33"), ("13.2", "580", "580")])
def test_driver_facts(cuda, linux, windows):
    facts = driver_facts(cuda)
    assert (facts["min_driver_linux"], facts["min_driver_windows"]) == (linux, windows)
    assert driver_facts("11.8") == {}
