"""``detect()`` and the parsers of its probes: the only code that looks at the machine.

The probes (nvidia-smi, the driver's /proc file, ROCm's version file, ``java -version``, the Apple chip)
are parsed by pure functions, so recorded outputs test them; what the outputs mean (which CUDA a driver
runs) is the target vocabulary of :mod:`scaffold.targets`. Imports ``models`` and ``targets``; the driver
table comes from the catalog (``frameworks/_gpu.toml``) unless the caller passes one.
"""

from __future__ import annotations

import os
import platform as _platform
import re
import shutil
import subprocess
import sys

from .models import Catalog, Machine
from .targets import DriverTable, cuda_for_driver, minimum_driver, oldest_cuda, version_tuple

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


# ---- parsers of the probes' outputs: pure, so recorded outputs test them ----

def parse_nvidia_smi(text: str) -> list[dict[str, str]]:
    """GPUs from ``nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader``.

    One line per GPU, e.g. ``Tesla V100-SXM2-32GB, 590.44.01, 32768 MiB, 7.0``; drivers older than the 510
    series know no ``compute_cap`` and are asked without it (three columns), and a GPU may answer ``[N/A]``:
    then ``compute_capability`` is ``""``. Lines that are not such a row (an error such as "NVIDIA-SMI has
    failed ...") are ignored.
    """
    gpus = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 2 or version_tuple(parts[1]) is None:
            continue
        cap = parts[3] if len(parts) > 3 and re.fullmatch(r"\d+\.\d+", parts[3]) else ""
        gpus.append({"name": parts[0], "driver_version": parts[1], "memory": parts[2] if len(parts) > 2 else "",
                     "compute_capability": cap})
    return gpus


def is_wsl(proc_version: str) -> bool:
    """Whether ``/proc/version`` is a WSL2 kernel's (``...-microsoft-standard-WSL2 ...``)."""
    return "microsoft" in proc_version.lower()


_PROC_DRIVER = re.compile(r"NVRM version:.*?Kernel Module(?:\s+for\s+\S+)?\s+(\d+\.\d+(?:\.\d+)?)\s")


def parse_nvidia_proc(text: str) -> str | None:
    """The driver version from the kernel module's ``/proc/driver/nvidia/version``.

    Proprietary: ``NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 ...``;
    open modules: ``NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.133.20  Release Build ...``.
    """
    m = _PROC_DRIVER.search(text + " ")
    return m[1] if m else None


_JAVA_QUOTED = re.compile(r'version "([^"]+)"')
_JAVA_PLAIN = re.compile(r"^(?:openjdk|java)\s+(\d[\w.+-]*)", re.MULTILINE)


def parse_java_version(text: str) -> str | None:
    """The version from ``java -version`` (stderr), e.g. ``17.0.15``, ``1.8.0_392`` or ``21``."""
    m = _JAVA_QUOTED.search(text) or _JAVA_PLAIN.search(text)
    return m[1] if m else None


def java_major(version: str) -> str:
    """``1.8.0_392`` -> ``8`` (the old scheme), ``17.0.15`` -> ``17``, ``25-ea`` -> ``25``."""
    parts = re.split(r"[._+-]", version)
    return parts[1] if parts[0] == "1" and len(parts) > 1 else parts[0]


def parse_rocm_version(text: str) -> str | None:
    """``7.2.1-81`` (``/opt/rocm/.info/version``) -> ``7.2``."""
    m = re.match(r"\s*(\d+)\.(\d+)", text)
    return f"{m[1]}.{m[2]}" if m else None


# ---- probes: the only code that touches the machine ----

def _run(argv: list[str], *, stderr: bool = False) -> str | None:
    if not shutil.which(argv[0]):
        return None
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=3, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout + done.stderr if stderr else done.stdout


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


NVIDIA_SMI_FIELDS = "name,driver_version,memory.total,compute_cap"
NVIDIA_SMI_OLD_FIELDS = "name,driver_version,memory.total"  # drivers before the 510 series: no compute_cap
NVIDIA_PROC = "/proc/driver/nvidia/version"
ROCM_VERSION_FILE = "/opt/rocm/.info/version"
PROC_VERSION = "/proc/version"
# Under WSL2 the Windows host's driver provides nvidia-smi here, often not on PATH.
WSL_NVIDIA_SMI = "/usr/lib/wsl/lib/nvidia-smi"


def _nvidia_smi() -> str:
    exe = shutil.which("nvidia-smi") or (WSL_NVIDIA_SMI if os.path.isfile(WSL_NVIDIA_SMI) else None)
    if exe is None:
        return ""
    for fields in (NVIDIA_SMI_FIELDS, NVIDIA_SMI_OLD_FIELDS):
        try:
            done = subprocess.run([exe, f"--query-gpu={fields}", "--format=csv,noheader"], capture_output=True,
                                  text=True, timeout=3, check=False)
        except subprocess.TimeoutExpired:
            return ""  # a hung tool is asked once, not once per query
        except (OSError, subprocess.SubprocessError):
            return ""
        if done.returncode == 0 and parse_nvidia_smi(done.stdout):
            return done.stdout
    return ""


def _java_executable() -> str:
    # Spark launches $JAVA_HOME/bin/java when JAVA_HOME is set, else the java on PATH: probe the same one.
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = os.path.join(home, "bin", "java.exe" if sys.platform == "win32" else "java")
        if os.path.isfile(candidate):
            return candidate
    return "java"


def _memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        pass
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import ctypes

        class _Status(ctypes.Structure):
            _fields_ = [("dwLength", ctypes.c_ulong), ("dwMemoryLoad", ctypes.c_ulong),
                        ("ullTotalPhys", ctypes.c_ulonglong), ("ullAvailPhys", ctypes.c_ulonglong),
                        ("ullTotalPageFile", ctypes.c_ulonglong), ("ullAvailPageFile", ctypes.c_ulonglong),
                        ("ullTotalVirtual", ctypes.c_ulonglong), ("ullAvailVirtual", ctypes.c_ulonglong),
                        ("ullAvailExtendedVirtual", ctypes.c_ulonglong)]

        status = _Status()
        status.dwLength = ctypes.sizeof(_Status)
        if ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):  # type: ignore[attr-defined]
            return int(status.ullTotalPhys)
    return None


def detect(
    *,
    nvidia_smi: str | None = None,
    nvidia_proc: str | None = None,
    rocm_version: str | None = None,
    java_version_output: str | None = None,
    apple_chip: str | None = None,
    proc_version: str | None = None,
    memory_bytes: int | None = None,
    cpu_cores: int | None = None,
    platform: str | None = None,
    python: str | None = None,
    probe: bool = True,
    drivers: DriverTable | Catalog | None = None,
) -> Machine:
    """Describe this machine: platform, Python, accelerator and its version, CPU cores, memory, Java.

    The keyword arguments are recorded probe outputs (``""`` = the probe found nothing): the
    output of ``nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader``
    (or of the older three-field query), the text of ``/proc/driver/nvidia/version`` (read only when
    nvidia-smi gives nothing), of ``/opt/rocm/.info/version`` and of ``/proc/version`` (WSL2), the stderr of
    ``java -version``, the Apple chip's name. Left out,
    the probe runs here; with ``probe=False`` a left-out probe counts as having found nothing, so a
    test never depends on the machine it runs on. ``drivers`` is the catalog's table of minimum NVIDIA
    drivers per CUDA major (default: the bundled catalog's).
    """
    def given(value, run):
        if value is not None:
            return value
        return run() if probe else ""

    plat = platform or (this_platform() if probe else None) or "unsupported"
    py = python or this_python()
    details: dict[str, object] = {"cpu_cores": cpu_cores or (os.cpu_count() if probe else None) or 1}
    memory = memory_bytes if memory_bytes is not None else (_memory_bytes() if probe else None)
    if memory:
        details["memory_gib"] = round(memory / 2**30, 1)
    java = parse_java_version(given(java_version_output,
                                    lambda: _run([_java_executable(), "-version"], stderr=True) or ""))
    if java:
        details.update(java_version=java, java_major=java_major(java))

    if plat.startswith("linux") and is_wsl(given(proc_version, lambda: _read(PROC_VERSION))):
        details["wsl"] = ("WSL2: the NVIDIA driver is the Windows host's (nvidia-smi in /usr/lib/wsl/lib); "
                          "Python wheels are Linux's, so the project is pinned for Linux")
    gpus = parse_nvidia_smi(given(nvidia_smi, _nvidia_smi))
    driver, source = (gpus[0]["driver_version"], "nvidia-smi") if gpus else (None, "")
    if driver is None and plat.startswith("linux"):
        driver, source = parse_nvidia_proc(given(nvidia_proc, lambda: _read(NVIDIA_PROC))), NVIDIA_PROC
    if driver:
        details.update(gpu=gpus[0]["name"] if gpus else "an NVIDIA GPU (nvidia-smi unavailable)",
                       gpu_count=len(gpus) or 1, driver_version=driver, driver_source=source)
        if gpus and gpus[0]["memory"]:
            details["gpu_memory"] = gpus[0]["memory"]
        if gpus:
            details["gpus"] = [{"name": g["name"], "memory": g["memory"],
                                "compute_capability": g["compute_capability"]} for g in gpus]
        caps = sorted({g["compute_capability"] for g in gpus if g["compute_capability"]})
        if caps:
            details["compute_capabilities"] = caps
        cuda = cuda_for_driver(driver, plat, drivers)
        if cuda:
            return Machine(plat, py, "cuda", cuda, details)
        oldest = oldest_cuda(drivers)
        details["note"] = (f"NVIDIA driver {driver} is too old for CUDA {oldest.major} (needs >= "
                           f"{minimum_driver(oldest, plat)} on this platform); update the driver to use the GPU")
    rocm = parse_rocm_version(given(rocm_version, lambda: _read(ROCM_VERSION_FILE)))
    if rocm:
        details["rocm_version"] = rocm
        return Machine(plat, py, "rocm", rocm, details)
    if plat == "macos-arm64":
        chip = given(apple_chip, lambda: (_run(["sysctl", "-n", "machdep.cpu.brand_string"]) or "").strip())
        if chip:
            details["chip"] = chip
        return Machine(plat, py, "mps", "", details)
    return Machine(plat, py, "cpu", "", details)

