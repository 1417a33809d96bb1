"""End-to-end proof of a starter: generate -> fresh venv -> pip install -r requirements.txt -> train -> its tests.

A starter that was only rendered proves nothing; every starter's e2e test calls :func:`prove_starter`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import venv
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import scaffold

from ..generated import check_project


@dataclass
class Proof:
    """What happened, for assertions and for the timing report."""

    project: scaffold.Project
    path: Path
    python: Path
    env: dict[str, str]
    seconds: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)

    def run(self, *args: str, step: str, timeout: float = 900, env: Mapping[str, str] | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess:
        """Run a command in the project with its venv first on PATH; fail with its output if it fails."""
        started = time.perf_counter()
        result = subprocess.run(list(args), cwd=cwd or self.path, env={**self.env, **(env or {})},
                                capture_output=True, text=True, timeout=timeout)
        self.seconds[step] = round(time.perf_counter() - started, 1)
        self.outputs[step] = result.stdout + result.stderr
        if result.returncode != 0:
            raise AssertionError(f"{step} failed ({result.returncode}): {' '.join(args)}\n"
                                 f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
        return result


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
) -> Proof:
    """Generate ``framework``'s starter and prove it installs, trains and passes its own tests.

    ``env`` adds variables to every step (e.g. ``PIP_RETRIES=0`` where an index is unreachable);
    ``extra`` runs more checks (torchrun, a Spark cluster, ...) with the installed project;
    ``check_env`` adds variables to the project's ``check`` step (e.g. dummy AWS credentials).
    """
    project = scaffold.generate(name, framework=framework, target=target, framework_version=framework_version,
                                options=options, output_dir=tmp_path, python=f"{sys.version_info[0]}.{sys.version_info[1]}")
    path = Path(project.path)
    check_project(path)
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    base_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    proof_env = {**base_env, "VIRTUAL_ENV": str(env_dir), "PATH": f"{bindir}{os.pathsep}{base_env.get('PATH', '')}",
                 "PIP_DISABLE_PIP_VERSION_CHECK": "1", **(env or {})}
    proof = Proof(project, path, bindir / "python", proof_env)
    proof.run(str(proof.python), "-m", "pip", "install", "-q", "-r", "requirements.txt", step="install")
    proof.run(str(proof.python), "-m", project.package, "train", *train_args, step="train")
    proof.run(str(proof.python), "-m", "pytest", "-q", "-p", "no:cacheprovider", step="tests")
    # Every starter carries `check`: in its own venv on this machine it must find nothing to fix.
    proof.run(str(proof.python), "-m", project.package, "check", step="check", env=check_env)
    if extra:
        extra(proof)
    print(f"\n{framework} e2e seconds: {proof.seconds}")
    return proof
