"""End to end: generate the Keras starter for two backends, install its pins, train, run its tests.

TensorFlow and torch are both proven because the generated code must not depend on which backend
Keras runs on; JAX resolves in tests/test_pins_keras.py but is not installed here to keep CI short.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.e2e.harness import prove_starter


def _predict_round_trip(project: Path, python: Path, package: str) -> None:
    """The saved .keras model loads in a new process and scores the data it was trained on."""
    data = project / "data" / "spirals.csv"
    subprocess.run([python, "-m", package, "make-data", str(data)], cwd=project, check=True)
    result = subprocess.run(
        [python, "-m", package, "predict", str(data)], cwd=project, check=True, capture_output=True, text=True
    )
    accuracy = float(result.stdout.rsplit("accuracy=", 1)[1])
    assert accuracy > 0.9, result.stdout


@pytest.mark.e2e
@pytest.mark.parametrize("backend", ["tensorflow", "torch"])
def test_keras_prototype(tmp_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The torch pins name the PyTorch CPU index; where it is unreachable pip would retry it for every
    # package, so fail over to the other sources at once.
    monkeypatch.setenv("PIP_RETRIES", "0")
    result = prove_starter(
        tmp_path,
        framework="keras",
        target="cpu",
        options={"backend": backend},
        train_args=("--verbose", "0"),
        extra=_predict_round_trip,
    )
    record = json.loads((result.path / ".scaffold.json").read_text())
    assert record["options"]["backend"] == backend
