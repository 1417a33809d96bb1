"""End-to-end proof of a starter: generate -> fresh venv -> pip install -r requirements.txt -> train -> its tests.

A starter that was only rendered proves nothing; every starter's e2e test calls :func:`prove_starter`.

Installing a framework's pins is the slowest step of most proofs, so a session installs each distinct pin set
into a fresh venv once (:class:`VenvPool`); a later project with the very same pins gets that venv back with
exactly the distributions of the fresh install (anything a test added is removed first, and checked), and still
runs its own ``pip install -r requirements.txt`` in it.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import venv
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import scaffold

from ..generated import check_project

# Every Proof of this process, for the per-step timing report (tests/e2e/conftest.py).
PROOFS: list[Proof] = []


@dataclass
class Proof:
    """What happened, for assertions and for the timing report."""

    project: scaffold.Project
    path: Path
    python: Path
    env: dict[str, str]
    seconds: dict[str, float] = field(default_factory=dict)
    # CPU seconds of the step's processes and the descendants they waited for (not a JVM left to exit on its own;
    # in the worker that makes the proof of the pins, also its uv processes that ended meanwhile).
    cpu: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        PROOFS.append(self)

    def run(self, *args: str, step: str, timeout: float = 900, env: Mapping[str, str] | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess:
        """Run a command in the project with its venv first on PATH; fail with its output if it fails."""
        started, cpu = time.perf_counter(), _children_cpu()
        result = subprocess.run(list(args), cwd=cwd or self.path, env={**self.env, **(env or {})},
                                capture_output=True, text=True, timeout=timeout)
        self.seconds[step] = round(time.perf_counter() - started, 1)
        self.cpu[step] = round(_children_cpu() - cpu, 1)
        self.outputs[step] = result.stdout + result.stderr
        if result.returncode != 0:
            raise AssertionError(f"{step} failed ({result.returncode}): {' '.join(args)}\n"
                                 f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
        return result


# For the short-lived JVMs of a Spark proof (each command on tiny tables, the daemons of a one-worker cluster): the
# client compiler only and the serial collector. Semantics are the JVM's; only its JIT and GC threads are spared.
# The Spark starter's `train` on its bundled data took 84 CPU-s with the defaults and 45 with these, and its
# `evaluate` 49 against 27 (2026-12-01, this 2-core machine, measured from /proc/stat).
SHORT_LIVED_JVM = {"JAVA_TOOL_OPTIONS": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _pip(python: Path, *args: str, env: Mapping[str, str]) -> str:
    result = subprocess.run([str(python), "-m", "pip", *args], env=dict(env), capture_output=True, text=True,
                            timeout=600)
    if result.returncode != 0:
        raise AssertionError(f"pip {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return result.stdout


def _distributions(python: Path, env: Mapping[str, str], *, editable: bool) -> dict[str, str]:
    """Installed distribution -> version (editable projects included only when asked)."""
    listed = json.loads(_pip(python, "list", "--format=json", *(() if editable else ("--exclude-editable",)),
                             env=env))
    return {d["name"].lower().replace("_", "-"): d["version"] for d in listed}


def pin_set(requirements: str) -> tuple[str, ...]:
    """What decides a venv's content: every line of requirements.txt but comments and the project itself."""
    lines = (line.strip() for line in requirements.splitlines())
    return tuple(sorted(line for line in lines if line and not line.startswith("#") and line != "-e ."))


class VenvPool:
    """One venv per distinct pin set for a test session; see the module docstring for why that is sound."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._venvs: dict[tuple[str, ...], tuple[Path, dict[str, str]]] = {}
        self._made = 0
        self.reused: list[str] = []

    def claim(self, pins: tuple[str, ...], env: Mapping[str, str]) -> tuple[Path, dict[str, str] | None]:
        """A venv for ``pins``: a fresh one (and None), or the session's one, emptied of what tests added, and
        the distributions its fresh install left (to be found again after the caller's own install)."""
        if pins not in self._venvs:
            self._made += 1
            env_dir = self.root / f"venv-{self._made}"
            venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
            return env_dir, None
        env_dir, fresh = self._venvs[pins]
        python = _bindir(env_dir) / "python"
        added = sorted(set(_distributions(python, env, editable=True)) - set(fresh))
        if added:
            _pip(python, "uninstall", "-y", "-q", *added, env=env)
        self.reused.append(str(env_dir))
        return env_dir, fresh

    def record(self, pins: tuple[str, ...], env_dir: Path, env: Mapping[str, str]) -> None:
        """Remember a venv right after its fresh install of ``pins`` (the project itself, editable, excluded)."""
        self._venvs[pins] = (env_dir, _distributions(_bindir(env_dir) / "python", env, editable=False))


def _bindir(env_dir: Path) -> Path:
    return env_dir / ("Scripts" if os.name == "nt" else "bin")


def install_project(tmp_path: Path, project: scaffold.Project, *, env: Mapping[str, str] | None = None,
                    pool: VenvPool | None = None, path: Path | None = None) -> Proof:
    """A venv with the project installed by its own ``pip install -r requirements.txt``, as its README says.

    Without ``pool`` the venv is always fresh. With it, the first project of a pin set gets a fresh venv and a
    later one the same venv back; then the install must leave exactly the fresh install's distributions.
    """
    path = path or Path(project.path)
    base_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    pins = pin_set((path / "requirements.txt").read_text())
    if pool is None:
        env_dir, fresh = tmp_path / "venv", None
        venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    else:
        env_dir, fresh = pool.claim(pins, base_env)
    bindir = _bindir(env_dir)
    # One OpenMP (and OpenBLAS) thread: the suite runs a worker per core and one more, and a pool of one thread
    # per core spin-waits on cores the other workers hold (the same torch training took 170 s with 2 threads
    # and 14 s with one on a busy 2-core runner, 2026-11-26; the PyTorch e2e test 524 s against 186 s).
    proof_env = {**base_env, "VIRTUAL_ENV": str(env_dir), "PATH": f"{bindir}{os.pathsep}{base_env.get('PATH', '')}",
                 "PIP_DISABLE_PIP_VERSION_CHECK": "1", "OMP_NUM_THREADS": "1", **(env or {})}
    proof = Proof(project, path, bindir / "python", proof_env)
    # pip's own default, bytecode compiled at install. Measured 2026-12-01 over the whole suite: --no-compile (with
    # the projects' processes allowed to write bytecode) halved the installs' CPU (SageMaker pins 95 -> 45 CPU-s,
    # torch 52 -> 20) but the first processes compiled it back, several at once, and the suite took 1013 s and
    # 1983 machine CPU-s against 993 s and 1948. Where PYTHONDONTWRITEBYTECODE is set, every process would
    # recompile what it imports (the PyTorch and update proofs took 543 CPU-s instead of 356, 2026-11-30).
    proof.run(str(proof.python), "-m", "pip", "install", "-q", "-r", "requirements.txt", step="install")
    if pool is not None and fresh is None:
        pool.record(pins, env_dir, proof_env)
    elif fresh is not None:
        now = _distributions(proof.python, proof_env, editable=False)
        assert now == fresh, f"a reused venv differs from the fresh install of the same pins: {now} != {fresh}"
    return proof


def prove_starter(
    tmp_path: Path,
    *,
    framework: str,
    target: str = "cpu",
    framework_version: str | None = None,
    options: Mapping[str, str] | None = None,
    name: str = "E2E Demo",
    train_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    extra: Callable[[Proof], None] | None = None,
    check_env: Mapping[str, str] | None = None,
    pool: VenvPool | None = None,
    task: str | None = None,
) -> Proof:
    """Generate ``framework``'s starter and prove it installs, trains and passes its own tests.

    ``env`` adds variables to every step (e.g. ``PIP_RETRIES=0`` where an index is unreachable);
    ``extra`` runs more checks (torchrun, a Spark cluster, ...) with the installed project;
    ``check_env`` adds variables to the project's ``check`` step (e.g. dummy AWS credentials);
    ``pool`` lets a project share the venv of an earlier one with the same pins (see :func:`install_project`);
    ``task`` is the task the project is generated for (default: the framework's first).
    """
    project = scaffold.generate(name, framework=framework, target=target, framework_version=framework_version,
                                options=options, output_dir=tmp_path, task=task, python=f"{sys.version_info[0]}.{sys.version_info[1]}")
    path = Path(project.path)
    check_project(path)
    proof = install_project(tmp_path, project, env=env, pool=pool)
    proof.run(str(proof.python), "-m", project.package, "train", *train_args, step="train")
    proof.run(str(proof.python), "-m", "pytest", "-q", "-p", "no:cacheprovider", step="tests")
    # Every starter carries `check`: in its own venv on this machine it must find nothing to fix.
    proof.run(str(proof.python), "-m", project.package, "check", step="check", env=check_env)
    if extra:
        extra(proof)
    print(f"\n{framework} e2e seconds: {proof.seconds}")
    return proof
