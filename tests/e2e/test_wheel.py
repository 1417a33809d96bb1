"""A non-editable install of scaffold-ml generates projects from any working directory."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

from ..conftest import ROOT

pytestmark = pytest.mark.e2e


def test_installed_wheel_generates_from_anywhere(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    wheel = next(wheels.glob("scaffold_ml-*.whl"))
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True, timeout=600)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run([str(env_dir / "bin" / "scaffold"), "new", "Churn Model", "--framework", "sklearn",
                             "--target", "cpu", "--no-input"], cwd=elsewhere, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert (elsewhere / "churn-model" / "churn_model" / "train.py").is_file()
    located = subprocess.run([str(py), "-c", "import scaffold._paths as p; print(p.data_root())"], cwd=elsewhere,
                             capture_output=True, text=True, check=True).stdout.strip()
    assert Path(located).name == "_data" and "site-packages" in located
