"""PURE: the target vocabulary: platforms, targets, Pythons and NVIDIA driver minimums, as data.

What a platform is (its uv name, PEP 508 marker values, CI runner, venv layout) is written once here, in
:data:`PLATFORM_TABLE`; the minimum NVIDIA driver per CUDA major is catalog data (``frameworks/_gpu.toml``)
that the functions here take as a parameter. Nothing here looks at the machine (that is
:mod:`scaffold.hardware`), so every answer is testable anywhere.

Imports: ``errors`` and ``models`` only; the bundled catalog is read lazily, only where a caller leaves the
driver table out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .errors import PythonUnsupported, TargetError
from .models import PYTHONS, Catalog, DriverMinimum


@dataclass(frozen=True)
class Platform:
    """One platform of the contract and every fact the rest of scaffold-ml needs about it."""

    name: str  # the contract's identifier, e.g. linux-x86_64
    os: str  # linux | macos | windows
    uv_platform: str  # what `uv pip compile --python-platform` calls it
    sys_platform: str  # PEP 508 marker values of the platform
    platform_system: str
    platform_machine: str
    ci_runner: str  # the GitHub Actions runner label a generated project's CI uses
    venv_bin: str  # the folder of a venv's executables
    activate: str  # the shell command that activates `.venv`
    # uv picks macOS wheels by deployment target; PyTorch ships macOS arm64 wheels for macOS 14+ only.
    macos_deployment_target: str | None = None

    @property
    def os_name(self) -> str:
        """PEP 508 ``os_name``."""
        return "nt" if self.os == "windows" else "posix"


# manylinux_2_28 is the highest glibc floor among the pinned Linux wheels (torch's); TensorFlow 2.21 and jax
# need 2_27, TensorFlow 2.20/2.19 2_17, so a 2_28 resolution admits every one of them. uv's names are those
# its documentation gives for --python-platform; the runners are GitHub's hosted runner labels.
PLATFORM_TABLE: Mapping[str, Platform] = MappingProxyType({p.name: p for p in (
    Platform("linux-x86_64", "linux", "x86_64-manylinux_2_28", "linux", "Linux", "x86_64",
             "ubuntu-latest", "bin", ". .venv/bin/activate"),
    Platform("linux-aarch64", "linux", "aarch64-manylinux_2_28", "linux", "Linux", "aarch64",
             "ubuntu-24.04-arm", "bin", ". .venv/bin/activate"),
    Platform("macos-arm64", "macos", "aarch64-apple-darwin", "darwin", "Darwin", "arm64",
             "macos-latest", "bin", ". .venv/bin/activate", macos_deployment_target="14.0"),
    Platform("windows-x86_64", "windows", "x86_64-pc-windows-msvc", "win32", "Windows", "AMD64",
             "windows-latest", "Scripts", r".venv\Scripts\activate"),
)})

PLATFORMS: tuple[str, ...] = tuple(PLATFORM_TABLE)
UV_PLATFORMS: Mapping[str, str] = MappingProxyType({p.name: p.uv_platform for p in PLATFORM_TABLE.values()})
UV_MACOS_DEPLOYMENT_TARGET = PLATFORM_TABLE["macos-arm64"].macos_deployment_target

_TARGET = re.compile(r"^(?P<acc>cpu|mps|auto|cuda|rocm)(?:-(?P<ver>\d+\.\d+))?$")
TARGET_FORMS = "cpu, cuda, cuda-X.Y (e.g. cuda-12.8), rocm, rocm-X.Y, mps, auto"


@dataclass(frozen=True)
class TargetSpec:
    """A parsed ``--target``: an accelerator and, optionally, its exact version."""

    accelerator: str  # cpu | cuda | rocm | mps | auto
    version: str | None = None
    at_most: str | None = None  # from `auto`: the newest version the machine's driver can run
    compute: tuple[str, ...] = ()  # from `auto`: every GPU's compute capability; a build must run on all


def parse_target(text: str) -> TargetSpec:
    """Parse ``cpu``, ``cuda``, ``cuda-12.8``, ``rocm-7.2``, ``mps`` or ``auto``."""
    m = _TARGET.match(text.strip().lower())
    if not m or (m["ver"] and m["acc"] not in ("cuda", "rocm")):
        raise TargetError(f"--target {text!r} is not a target; allowed: {TARGET_FORMS}")
    return TargetSpec(m["acc"], m["ver"])


def check_platform(text: str) -> str:
    if text not in PLATFORM_TABLE:
        raise TargetError(f"--platform {text!r} is not allowed; choose one of: {', '.join(PLATFORMS)}")
    return text


def check_python(text: str) -> str:
    if text not in PYTHONS:
        raise PythonUnsupported(f"--python {text!r} is not allowed; choose one of: {', '.join(PYTHONS)}")
    return text


def check_contradiction(spec: TargetSpec, platform: str) -> None:
    """Refuse accelerators the platform cannot have, whatever the framework."""
    os = PLATFORM_TABLE[platform].os
    if spec.accelerator == "mps" and platform != "macos-arm64":
        raise TargetError(f"--target mps is the Apple Silicon GPU and needs --platform macos-arm64, not {platform}; "
                          "on this platform use cpu, cuda or rocm")
    if spec.accelerator in ("cuda", "rocm") and os == "macos":
        raise TargetError(f"--target {spec.accelerator} is not available on macOS (no NVIDIA or AMD GPU support); "
                          "on macos-arm64 use cpu or mps")
    if spec.accelerator == "rocm" and os == "windows":
        raise TargetError(f"--target rocm is not available on {platform}; use cpu or cuda there, or rocm on Linux")


def marker_environment(platform: str, python: str) -> dict[str, str]:
    """The PEP 508 marker values of a target (not of this machine), to evaluate its requirements."""
    p = PLATFORM_TABLE[platform]
    return {"sys_platform": p.sys_platform, "platform_system": p.platform_system,
            "platform_machine": p.platform_machine, "python_version": python, "python_full_version": f"{python}.0",
            "implementation_name": "cpython", "platform_python_implementation": "CPython", "os_name": p.os_name}


def version_tuple(text: str) -> tuple[int, ...] | None:
    """``550.54.14`` -> (550, 54, 14); None when it is not dotted numbers."""
    try:
        return tuple(int(p) for p in text.strip().split("."))
    except ValueError:
        return None


# ---- NVIDIA driver minimums: catalog data (frameworks/_gpu.toml [drivers]), passed in ----

DriverTable = Mapping[str, DriverMinimum]


def _table(drivers: DriverTable | Catalog | None) -> DriverTable:
    if isinstance(drivers, Catalog):
        return drivers.drivers
    if drivers is None:
        from .catalog import default_catalog  # the bundled data, only when the caller gives none

        return default_catalog().drivers
    return drivers


def _windows(platform: str) -> bool:
    found = PLATFORM_TABLE.get(platform)
    return found is not None and found.os == "windows"


def minimum_driver(entry: DriverMinimum, platform: str) -> str:
    """The minimum driver of one CUDA major on ``platform`` (Windows has its own; Linux's serves the rest)."""
    return entry.windows if _windows(platform) else entry.linux


def oldest_cuda(drivers: DriverTable | Catalog | None = None) -> DriverMinimum:
    """The oldest CUDA major the table knows: what a driver too old for every build is measured against."""
    table = _table(drivers)
    return table[min(table, key=int)]


def cuda_for_driver(driver: str, platform: str = "linux-x86_64",
                    drivers: DriverTable | Catalog | None = None) -> str | None:
    """The newest CUDA major a driver version (e.g. ``550.54.14``) can run on ``platform``, or None if too old.

    Thanks to CUDA's minor-version compatibility a driver that meets a major's minimum runs every minor
    release of it; the minimums differ between Linux and Windows. ``drivers`` is the catalog's table
    (default: the bundled catalog's).
    """
    have = version_tuple(driver)
    if have is None:
        return None
    table = _table(drivers)
    for major in sorted(table, key=int, reverse=True):
        minimum = version_tuple(minimum_driver(table[major], platform))
        if minimum is not None and have >= minimum:
            return major
    return None


def driver_facts(cuda_version: str, drivers: DriverTable | Catalog | None = None) -> dict[str, str]:
    """The minimum-driver facts for a CUDA version (``12.6`` -> 12.x minimums); empty when unknown.

    A CUDA variant of the catalog gets these as its facts ``min_driver_linux`` / ``min_driver_windows`` /
    ``cuda_major`` (a generated project's ``check`` reads them).
    """
    major = cuda_version.split(".")[0]
    entry = _table(drivers).get(major)
    if entry is None:
        return {}
    return {"min_driver_linux": entry.linux, "min_driver_windows": entry.windows, "cuda_major": major}


def driver_sentence(facts: Mapping[str, object], platform: str) -> str | None:
    """The note that says which NVIDIA driver a CUDA build needs on ``platform``, from its facts; None without."""
    key = "min_driver_windows" if _windows(platform) else "min_driver_linux"
    minimum = facts.get(key)
    if not minimum:
        return None
    major = facts.get("cuda_major")
    os = "Windows" if key == "min_driver_windows" else "Linux"
    why = f" (NVIDIA's minimum for CUDA {major}.x on {os})" if major else f" (on {os})"
    return f"The NVIDIA driver must be {minimum} or newer{why}."
