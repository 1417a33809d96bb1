"""The multi-device path: MirroredStrategy over two logical CPUs, as on a machine with two GPUs.

It runs in a child process because devices can only be split before TensorFlow starts, and the
test process already started it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_mirrored_strategy_trains_and_exports(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "{{ cookiecutter.package_name }}", "train", "--cpu-replicas", "2",
               "--epochs", "1", "--artifacts-dir", str(tmp_path)]

    run = subprocess.run(command, capture_output=True, text=True, timeout=300)

    assert run.returncode == 0, run.stderr[-3000:]
    assert "MirroredStrategy with 2 replicas" in run.stdout
    assert (tmp_path / "export" / "1" / "saved_model.pb").is_file()
    assert (tmp_path / "checkpoints" / "checkpoint").is_file()
