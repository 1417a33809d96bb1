"""Targets, platforms and Pythons; ``detect()`` is the only code here that looks at the machine.

Everything else takes facts as parameters, so it is testable without the hardware.
"""

from __future__ import annotations

import os
import platform as _platform
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass

from .errors import TargetError
from .models import ACCELERATORS, PLATFORMS, PYTHONS, Machine

# How uv names each platform for `uv pip compile --python-platform` (uv's documentation of that flag;
# manylinux_2_28 is the oldest glibc the pinned CUDA/TensorFlow wheels are built for).
UV_PLATFORMS = {
    "linux-x86_64": "x86_64-manylinux_2_28",
    "linux-aarch64": "aarch64-manylinux_2_28",
    "macos-arm64": "aarch64-apple-darwin",
    "windows-x86_64": "x86_64-pc-windows-msvc",
}
# PyTorch ships macOS arm64 wheels for macOS 14+ only; uv must be told so to pick them.
UV_MACOS_DEPLOYMENT_TARGET = "14.0"

# PEP 508 marker values of each platform, so pins can be narrowed to the one target they serve.
MARKER_ENV = {
    "linux-x86_64": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"},
    "linux-aarch64": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "aarch64"},
    "macos-arm64": {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64"},
    "windows-x86_64": {"sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64"},
}

_TARGET = re.compile(r"^(?P<acc>cpu|mps|auto|cuda|rocm)(?:-(?P<ver>\d+\.\d+))?$")
TARGET_FORMS = "cpu, cuda, cuda-X.Y (e.g. cuda-12.8), rocm, rocm-X.Y, mps, auto"


@dataclass(frozen=True)
class TargetSpec:
    """A parsed ``--target``: an accelerator and, optionally, its exact version."""

    accelerator: str  # cpu | cuda | rocm | mps | auto
    version: str | None = None
    at_most: str | None = None  # from `auto`: the newest version the machine's driver can run


def parse_target(text: str) -> TargetSpec:
    """Parse ``cpu``, ``cuda``, ``cuda-12.8``, ``rocm-7.2``, ``mps`` or ``auto``."""
    m = _TARGET.match(text.strip().lower())
    if not m or (m["ver"] and m["acc"] not in ("cuda", "rocm")):
        raise TargetError(f"--target {text!r} is not a target; allowed: {TARGET_FORMS}")
    return TargetSpec(m["acc"], m["ver"])


def check_platform(text: str) -> str:
    if text not in PLATFORMS:
        raise TargetError(f"--platform {text!r} is not allowed; choose one of: {', '.join(PLATFORMS)}")
    return text


def check_python(text: str) -> str:
    if text not in PYTHONS:
        raise TargetError(f"--python {text!r} is not allowed; choose one of: {', '.join(PYTHONS)}")
    return text


def check_contradiction(spec: TargetSpec, platform: str) -> None:
    """Refuse accelerators the platform cannot have, whatever the framework."""
    if spec.accelerator == "mps" and platform != "macos-arm64":
        raise TargetError(f"--target mps is the Apple Silicon GPU and needs --platform macos-arm64, not {platform}; "
                          "on this platform use cpu, cuda or rocm")
    if spec.accelerator in ("cuda", "rocm") and platform.startswith("macos"):
        raise TargetError(f"--target {spec.accelerator} is not available on macOS (no NVIDIA or AMD GPU support); "
                          "on macos-arm64 use cpu or mps")
    if spec.accelerator == "rocm" and platform == "windows-x86_64":
        raise TargetError("--target rocm is not available on windows-x86_64; use cpu or cuda there, or rocm on Linux")


# ---- detection: the only place that probes the machine ----

def this_platform() -> str | None:
    """This machine's platform identifier, or None when it is not one we support."""
    system = sys.platform
    machine = _platform.machine().lower()
    if system.startswith("linux"):
        return {"x86_64": "linux-x86_64", "amd64": "linux-x86_64", "aarch64": "linux-aarch64",
                "arm64": "linux-aarch64"}.get(machine)
    if system == "darwin":
        return "macos-arm64" if machine == "arm64" else None
    if system == "win32":
        return "windows-x86_64" if machine in ("amd64", "x86_64") else None
    return None


def this_python() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


# The minimum NVIDIA driver for each CUDA major. Thanks to CUDA's minor-version compatibility a
# driver that meets a major's minimum runs every minor release of it (NVIDIA, CUDA Toolkit release
# notes, table "CUDA Toolkit and Minimum Required Driver Version for CUDA Minor Version Compatibility":
# 12.x >= 525.60.13 on Linux, >= 528.33 on Windows; 13.x >= 580).
_DRIVER_CUDA = (
    ((580, 0, 0), "13"),
    ((525, 60, 13), "12"),
)


def cuda_for_driver(driver: str) -> str | None:
    """The newest CUDA major a driver version (e.g. ``550.54.14``) can run, or None if too old for CUDA 12."""
    try:
        parts = tuple(int(p) for p in driver.strip().split("."))
    except ValueError:
        return None
    for minimum, cuda in _DRIVER_CUDA:
        if parts >= minimum:
            return cuda
    return None


def _run(argv: list[str]) -> str | None:
    if not shutil.which(argv[0]):
        return None
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def detect(
    *,
    nvidia_smi: str | None = None,
    rocm_version: str | None = None,
    platform: str | None = None,
) -> Machine:
    """Describe this machine: platform, Python and accelerator.

    The keyword arguments are recorded probe outputs; left out, the probe runs here.
    """
    plat = platform or this_platform() or "unsupported"
    details: dict[str, object] = {"cpu_cores": os.cpu_count() or 1}
    if nvidia_smi is None:
        nvidia_smi = _run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total",
                           "--format=csv,noheader"]) or ""
    if nvidia_smi.strip():
        name, driver, *rest = [p.strip() for p in nvidia_smi.strip().splitlines()[0].split(",")]
        details.update(gpu=name, driver_version=driver, gpu_memory=rest[0] if rest else "")
        cuda = cuda_for_driver(driver)
        if cuda:
            return Machine(plat, this_python(), "cuda", cuda, details)
        details["note"] = f"NVIDIA driver {driver} is too old for CUDA 12; using the CPU"
    if rocm_version is None:
        try:
            with open("/opt/rocm/.info/version", encoding="utf-8") as f:
                rocm_version = f.read().strip()
        except OSError:
            rocm_version = ""
    if rocm_version:
        return Machine(plat, this_python(), "rocm", ".".join(rocm_version.split(".")[:2]), details)
    if plat == "macos-arm64":
        return Machine(plat, this_python(), "mps", "", details)
    return Machine(plat, this_python(), "cpu", "", details)


assert set(ACCELERATORS) >= {"cpu", "cuda", "rocm", "mps"}
