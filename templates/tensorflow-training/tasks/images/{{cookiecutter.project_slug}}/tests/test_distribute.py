"""The multi-device path: MirroredStrategy over two logical CPUs, as on a machine with two GPUs.

It runs in a child process because devices can only be split before TensorFlow starts, and the
test process already started it. GPUs are hidden from the child so that the CPU path runs on any
machine (on a GPU machine the strategy would otherwise follow the GPUs).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_mirrored_strategy_trains_and_exports(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "{{ cookiecutter.package_name }}",
        "train",
        "--cpu-replicas",
        "2",
        "--epochs",
        "1",
        "--artifacts-dir",
        str(tmp_path),
    ]
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}

    run = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, check=False)

    assert run.returncode == 0, run.stderr[-3000:]
    assert "MirroredStrategy with 2 replicas" in run.stderr
    assert (tmp_path / "export" / "1" / "saved_model.pb").is_file()
    assert (tmp_path / "checkpoints" / "checkpoint").is_file()
