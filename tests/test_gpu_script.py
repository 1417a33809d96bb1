"""bench/gpu.sh, the GPU proof, run here up to the point where a GPU is needed (no GPU wheels downloaded)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "bench" / "gpu.sh"


def _run(tmp_path: Path, path: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), str(tmp_path / "work")], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PATH": path, "PYTHON": sys.executable, **env})


def test_without_a_gpu_it_fails_loudly_instead_of_using_the_cpu(tmp_path):
    bare = tmp_path / "bin"
    bare.mkdir()
    for tool in ("bash", "dirname", "mktemp", "head", "date"):
        (bare / tool).symlink_to(subprocess.run(["which", tool], capture_output=True, text=True).stdout.strip())
    result = _run(tmp_path, str(bare))
    assert result.returncode == 1
    assert "FAILED: no nvidia-smi" in result.stderr
    assert not (tmp_path / "work").exists()


def test_on_an_h200_it_generates_each_framework_for_the_gpu(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    smi = fake / "nvidia-smi"
    # What an H200 machine's nvidia-smi answers (recorded there: driver 580.159.03, compute capability 9.0).
    smi.write_text("#!/bin/sh\necho 'NVIDIA H200, 580.159.03, 143771 MiB, 9.0'\n")
    smi.chmod(0o755)
    result = _run(tmp_path, f"{fake}{os.pathsep}{os.environ['PATH']}", GPU_SH_STOP_AFTER="generate")
    assert result.returncode == 0, result.stderr
    summary = (tmp_path / "work" / "summary.txt").read_text().splitlines()
    assert summary == [
        "pytorch: target cuda-13.2 (generated; stopped before install)",
        "tensorflow: target cuda-12.9 (generated; stopped before install)",
        "keras: target cuda-13.5 (generated; stopped before install)",
    ]
