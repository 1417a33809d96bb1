"""``python -m {{ cookiecutter.package_name }} check``: does this machine and environment match the target?

Compares what is installed and what the machine has with the target recorded in ``.scaffold.json``
by scaffold-ml: the platform, the Python version, every pinned distribution at its pinned version,
for a CUDA build an NVIDIA driver new enough for it, Java for Spark, AWS credentials for SageMaker.
Each problem comes with what to do. Exit status: 0 all is well, 1 problems found, 2 no readable record.

Standard library only, so it runs before anything is installed. Every probe's output is a
parameter of :func:`inspect`, so :func:`compare` is tested with recorded outputs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as _platform
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

RECORD = ".scaffold.json"
NVIDIA_SMI = ["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"]
NVIDIA_PROC = "/proc/driver/nvidia/version"
ROCM_VERSION_FILE = "/opt/rocm/.info/version"


@dataclass(frozen=True)
class Machine:
    """What :func:`inspect` found; build one by hand (or from recorded outputs) to test :func:`compare`."""

    platform: str | None
    python: str  # e.g. "3.11.7"
    installed: Mapping[str, str]  # normalised distribution name -> installed version (absent: not installed)
    nvidia_driver: str | None = None
    nvidia_source: str = ""
    rocm: str | None = None
    java: str | None = None  # full version, e.g. "17.0.15" or "1.8.0_392"
    aws: Mapping[str, Any] | None = None  # {"credentials": method or None, "region": ... , "error": ...}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class Report:
    target: str
    checks: tuple[Check, ...] = field(default_factory=tuple)

    @property
    def problems(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.ok)


# ---- parsers (the same formats scaffold-ml's `scaffold detect` reads) ----


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_nvidia_smi(text: str) -> str | None:
    """The driver version of the first GPU row (``NVIDIA H100 80GB HBM3, 570.133.20, 81559 MiB``)."""
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 2 and re.fullmatch(r"\d+(\.\d+)*", parts[1]):
            return parts[1]
    return None


def parse_nvidia_proc(text: str) -> str | None:
    """The driver version from ``/proc/driver/nvidia/version`` (proprietary or open kernel module)."""
    m = re.search(r"NVRM version:.*?Kernel Module(?:\s+for\s+\S+)?\s+(\d+\.\d+(?:\.\d+)?)\s", text + " ")
    return m[1] if m else None


def parse_java_version(text: str) -> str | None:
    """The version in ``java -version`` output: ``17.0.15``, ``1.8.0_392``, ``21``."""
    m = re.search(r'version "([^"]+)"', text) or re.search(r"^(?:openjdk|java)\s+(\d[\w.+-]*)", text, re.MULTILINE)
    return m[1] if m else None


def java_major(version: str) -> str:
    parts = re.split(r"[._+-]", version)
    return parts[1] if parts[0] == "1" and len(parts) > 1 else parts[0]


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version))


def same_version(pinned: str, installed: str) -> bool:
    """``==`` as pip reads it: a pin without a local label (``2.5.0``) accepts any build of that release
    (``2.5.0+cu126``); a pin with one (``2.5.0+cpu``) needs that very build."""
    pin_public, _, pin_local = pinned.partition("+")
    have_public, _, have_local = installed.partition("+")
    try:
        # present wherever pytest is; exact PEP 440 equality
        from packaging.version import Version

        same = Version(pin_public) == Version(have_public)
    except Exception:  # noqa: BLE001 - packaging missing or an odd version: compare the numbers
        same = pin_public == have_public or _numbers(pin_public) == _numbers(have_public)
    return same and (not pin_local or pin_local.lower() == have_local.lower())


def this_platform() -> str | None:
    machine = _platform.machine().lower()
    if sys.platform.startswith("linux"):
        return {
            "x86_64": "linux-x86_64",
            "amd64": "linux-x86_64",
            "aarch64": "linux-aarch64",
            "arm64": "linux-aarch64",
        }.get(machine)
    if sys.platform == "darwin":
        return "macos-arm64" if machine == "arm64" else None
    if sys.platform == "win32":
        return "windows-x86_64" if machine in ("amd64", "x86_64") else None
    return None


# ---- probes: the only code that looks at the machine ----


def _run(argv: list[str]) -> str:
    if not shutil.which(argv[0]) and not os.path.isfile(argv[0]):
        return ""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
    except OSError:  # the probe cannot start
        return ""
    except subprocess.SubprocessError:  # it hung past the timeout
        return ""
    return done.stdout + done.stderr if done.returncode == 0 else ""


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _java_executable() -> str:
    # Spark starts $JAVA_HOME/bin/java when JAVA_HOME is set, else the java on PATH: look at the same one.
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / ("java.exe" if sys.platform == "win32" else "java")
        if candidate.is_file():
            return str(candidate)
    return "java"


def _installed(names: list[str]) -> dict[str, str]:
    found = {}
    for name in names:
        try:
            found[normalize(name)] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def _aws() -> dict[str, Any]:
    """Which source of botocore's standard chain has credentials, and the region. Never the secrets."""
    try:
        import botocore.session
        from botocore.exceptions import BotoCoreError
    except ImportError:
        return {"error": "botocore is not installed"}
    try:
        session = botocore.session.get_session()
        credentials = session.get_credentials()
        region = session.get_config_variable("region")
    except BotoCoreError as e:
        return {"error": f"{type(e).__name__}: {e}"}
    return {"credentials": credentials.method if credentials else None, "region": region}


def inspect(
    record: Mapping[str, Any],
    *,
    platform: str | None = None,
    python: str | None = None,
    installed: Mapping[str, str] | None = None,
    nvidia_smi: str | None = None,
    nvidia_proc: str | None = None,
    rocm_version: str | None = None,
    java_version_output: str | None = None,
    aws: Mapping[str, Any] | None = None,
    probe: bool = True,
) -> Machine:
    """Look at this machine, probing only what ``record`` needs.

    Every keyword is a recorded probe output (``""`` = found nothing); left out, the probe runs here,
    or with ``probe=False`` counts as having found nothing.
    """

    def given(value: Any, run: Any) -> Any:
        if value is not None:
            return value
        return run() if probe else ""

    accelerator = "remote" if record.get("remote_accelerator") else record.get("accelerator", "cpu")
    facts = record.get("facts") or {}
    plat = platform if platform is not None else (this_platform() if probe else None)
    driver, source = None, ""
    if accelerator == "cuda":
        driver, source = parse_nvidia_smi(given(nvidia_smi, lambda: _run(NVIDIA_SMI))), "nvidia-smi"
        if driver is None and (plat or "").startswith("linux"):
            driver, source = parse_nvidia_proc(given(nvidia_proc, lambda: _read(NVIDIA_PROC))), NVIDIA_PROC
    rocm = None
    if accelerator == "rocm":
        rocm = given(rocm_version, lambda: _read(ROCM_VERSION_FILE)).strip() or None
    java = None
    if facts.get("java"):
        java = parse_java_version(given(java_version_output, lambda: _run([_java_executable(), "-version"])))
    aws_state = None
    if record.get("remote_accelerator"):  # the instances are in AWS: reaching them takes its credentials
        aws_state = aws if aws is not None else (_aws() if probe else {"credentials": None, "region": None})
    names = list((record.get("pins") or {}).keys())
    return Machine(
        platform=plat,
        python=python or ".".join(map(str, sys.version_info[:3])),
        installed={normalize(k): v for k, v in installed.items()}
        if installed is not None
        else (_installed(names) if probe else {}),
        nvidia_driver=driver,
        nvidia_source=source if driver else "",
        rocm=rocm,
        java=java,
        aws=aws_state,
    )


# ---- the comparison: pure ----


def compare(record: Mapping[str, Any], machine: Machine, *, locked: bool = False) -> Report:
    """Every check for ``record`` (a ``.scaffold.json``) against ``machine``, each with what to do."""
    checks: list[Check] = []
    target = record.get("target", "cpu")
    platform, python = record.get("platform", ""), record.get("python", "")
    facts = record.get("facts") or {}
    install = (
        "pip install --require-hashes -r requirements.lock && pip install --no-deps -e ."
        if locked
        else "pip install -r requirements.txt"
    )
    again = f"scaffold new {json.dumps(record.get('project_name', 'NAME'))} --framework {record.get('framework')}"

    if machine.platform == platform:
        checks.append(Check("platform", True, platform))
    else:
        here = machine.platform or "a platform scaffold-ml does not support"
        checks.append(
            Check(
                "platform",
                False,
                f"this machine is {here}, the project is pinned for {platform}",
                f"generate it again for this machine: {again} --platform {machine.platform}"
                if machine.platform
                else "run it on a machine of its platform",
            )
        )

    have = ".".join(machine.python.split(".")[:2])
    if have == python:
        checks.append(Check("python", True, machine.python))
    else:
        checks.append(
            Check(
                "python",
                False,
                f"Python {machine.python} runs this, the project is pinned for Python {python}",
                f"make the environment with Python {python} (`python{python} -m venv .venv` or "
                f"`uv venv --python {python}`), then {install}; or re-pin with `scaffold update --python {have}`",
            )
        )

    pins = record.get("pins") or {}
    wrong = []
    for name, version in pins.items():
        installed = machine.installed.get(normalize(name))
        if installed is None:
            wrong.append(Check(f"package {name}", False, f"{name} is not installed (pinned {version})", install))
        elif not same_version(version, installed):
            wrong.append(Check(f"package {name}", False, f"{name} {installed} is installed, pinned {version}", install))
    checks.extend(wrong)
    if not wrong:
        checks.append(Check("packages", True, f"{len(pins)} pinned distributions installed at their pins"))

    accelerator, acc_version = record.get("accelerator", "cpu"), record.get("accelerator_version", "")
    if record.get("remote_accelerator"):
        pass  # the GPU is a cloud instance (SageMaker): nothing to look for on this machine
    elif accelerator == "cuda":
        key = "min_driver_windows" if platform.startswith("windows") else "min_driver_linux"
        minimum = str(facts.get(key, ""))
        cpu_instead = f"or generate for the CPU: {again} --target cpu"
        if machine.nvidia_driver is None:
            checks.append(
                Check(
                    "nvidia driver",
                    False,
                    f"no NVIDIA driver found (nvidia-smi gave nothing"
                    f"{'' if platform.startswith('windows') else ' and ' + NVIDIA_PROC + ' is missing'}); "
                    f"this project is pinned for CUDA {acc_version}",
                    f"install the NVIDIA driver{' >= ' + minimum if minimum else ''} "
                    f"(https://www.nvidia.com/drivers) and reboot, {cpu_instead}",
                )
            )
        elif minimum and _numbers(machine.nvidia_driver) < _numbers(minimum):
            checks.append(
                Check(
                    "nvidia driver",
                    False,
                    f"NVIDIA driver {machine.nvidia_driver} is older than {minimum}, the minimum for "
                    f"the CUDA {acc_version} build pinned here",
                    f"update the driver to >= {minimum}, or generate for what this driver runs: {again} --target auto",
                )
            )
        else:
            checks.append(
                Check(
                    "nvidia driver",
                    True,
                    f"{machine.nvidia_driver} (from {machine.nvidia_source})" + (f", >= {minimum}" if minimum else ""),
                )
            )
    elif accelerator == "rocm":
        if machine.rocm:
            checks.append(Check("rocm", True, machine.rocm))
        else:
            checks.append(
                Check(
                    "rocm",
                    False,
                    f"no ROCm found ({ROCM_VERSION_FILE} is missing); this project is pinned for ROCm {acc_version}",
                    f"install ROCm {acc_version} (https://rocm.docs.amd.com), or generate for the CPU: "
                    f"{again} --target cpu",
                )
            )

    supported = [str(v) for v in facts.get("java") or []]
    if supported:
        listed = ", ".join(supported)
        if machine.java is None:
            checks.append(
                Check(
                    "java",
                    False,
                    f"no Java found (JAVA_HOME/bin/java or java on PATH); "
                    f"{record.get('framework')} {record.get('framework_version')} needs Java {listed}",
                    f"install a JDK {supported[0]} (e.g. `sudo apt install openjdk-{supported[0]}-jre-headless`"
                    f" or `brew install openjdk@{supported[0]}`) and set JAVA_HOME to it",
                )
            )
        elif java_major(machine.java) not in supported:
            checks.append(
                Check(
                    "java",
                    False,
                    f"Java {machine.java} found; {record.get('framework')} "
                    f"{record.get('framework_version')} supports Java {listed}",
                    f"install a JDK {supported[-1]} and point JAVA_HOME at it",
                )
            )
        else:
            checks.append(Check("java", True, f"{machine.java} (supported: {listed})"))

    if record.get("remote_accelerator"):
        aws = machine.aws or {}
        if aws.get("error"):
            checks.append(
                Check(
                    "aws credentials",
                    False,
                    f"cannot look for AWS credentials: {aws['error']}",
                    f"{install}, then configure credentials (`aws configure` or `aws sso login`)",
                )
            )
        elif not aws.get("credentials"):
            checks.append(
                Check(
                    "aws credentials",
                    False,
                    "no AWS credentials found through botocore's standard "
                    "chain (environment, shared files, SSO, container or instance role)",
                    "run `aws configure` (or `aws sso login --profile NAME` and set AWS_PROFILE), "
                    "or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
                )
            )
        else:
            checks.append(Check("aws credentials", True, f"found (source: {aws['credentials']})"))
        if not aws.get("error"):
            if aws.get("region"):
                checks.append(Check("aws region", True, str(aws["region"])))
            else:
                checks.append(
                    Check(
                        "aws region",
                        False,
                        "no AWS region configured; SageMaker calls need one",
                        "set AWS_DEFAULT_REGION (e.g. eu-west-1) or `aws configure set region REGION`",
                    )
                )
    return Report(
        target=f"{record.get('framework')} {record.get('framework_version')}, {target}, {platform}, Python {python}",
        checks=tuple(checks),
    )


# ---- the command ----


def find_record(path: str | None = None) -> Path:
    """``--record``, else ``.scaffold.json`` here, else at the project root this package lives in."""
    if path:
        return Path(path)
    here = Path.cwd() / RECORD
    return here if here.is_file() else Path(__file__).resolve().parents[1] / RECORD


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=f"python -m {__package__} check",
        description="Compare this machine and environment with the target in "
        ".scaffold.json, and say what to do about each difference.",
    )
    parser.add_argument("--record", help="the project's .scaffold.json (default: here, else the project root)")
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    parser.add_argument(
        "--require-gpu",
        action="store_true",
        help="fail when the framework cannot use the GPU this project is pinned for (no CPU fallback)",
    )
    args = parser.parse_args(argv)
    path = find_record(args.record)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        print(f"error: cannot read {path} ({e}); run this in the project folder or pass --record PATH", file=sys.stderr)
        return 2
    report = compare(record, inspect(record), locked=(path.parent / "requirements.lock").is_file())
    # The framework itself must see the GPU and run a kernel on it (asked in a child process).
    from .gpu_check import probe_checks

    gpu = [Check(*c) for c in probe_checks(record, require_gpu=args.require_gpu)]
    report = Report(target=report.target, checks=(*report.checks, *gpu))
    if args.json:
        print(
            json.dumps(
                {"target": report.target, "ok": not report.problems, "checks": [asdict(c) for c in report.checks]},
                indent=2,
            )
        )
    else:
        print(f"check: {record.get('project_name', '')} ({report.target})")
        for c in report.checks:
            print(f"  {'ok' if c.ok else 'PROBLEM':<8}{c.name}: {c.detail}")
            if c.fix:
                print(f"  {'':<8}-> {c.fix}")
        count = len(report.problems)
        print("all good" if not count else f"{count} problem{'s' if count > 1 else ''}")
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
