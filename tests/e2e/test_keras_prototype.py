"""The Keras starter, end to end, on two backends: generate, install the pins, train, run its tests.

TensorFlow and torch are both proven because the generated code must not depend on which backend
Keras runs on. JAX is resolved for every platform by tests/test_pins_resolve.py and installs the same
way, but a third install would double this test's share of the CI budget.
"""

from __future__ import annotations

import re

import pytest

from .harness import Proof, prove_starter

pytestmark = pytest.mark.e2e


def _predict_saved_model(proof: Proof) -> None:
    """The saved .keras model loads in a fresh process and classifies a CSV written by make-data."""
    package = proof.project.package
    proof.run(str(proof.python), "-m", package, "make-data", "data/spirals.csv", "--samples", "300", step="make-data")
    result = proof.run(str(proof.python), "-m", package, "predict", "data/spirals.csv", "--output", "preds.csv",
                       step="predict")
    assert (proof.path / "preds.csv").read_text().count("\n") == 301
    # The synthetic spirals come from the same generator as the training data; the model fits them well.
    assert float(result.stdout.rsplit("accuracy=", 1)[1]) > 0.9, result.stdout


_ENV = {
    "tensorflow": {},
    "torch": {
        # The torch pins name the PyTorch CPU index first; where it is unreachable (as in CI) pip would
        # retry it for every package before falling back to PyPI and the local wheel.
        "PIP_RETRIES": "0",
        # On a shared 2-core runner torch's OpenMP pool spin-waits on busy cores: the same training took
        # 170 s with the default 2 threads and 14 s with one (2026-11-26, load average ~8).
        "OMP_NUM_THREADS": "1",
    },
}


@pytest.mark.parametrize("backend", ["tensorflow", "torch"])
def test_keras_prototype_end_to_end(tmp_path, backend):
    proof = prove_starter(
        tmp_path,
        framework="keras",
        options={"backend": backend},
        name="Spiral Prototype",
        train_args=("--verbose", "0"),
        env=_ENV[backend],
        extra=_predict_saved_model,
    )
    assert proof.project.pins.options["backend"] == backend
    assert f"backend {backend}" in proof.outputs["train"]
    assert "val_accuracy=" in proof.outputs["train"]
    # Read pytest's summary line only: a TensorFlow-backend DeprecationWarning contains the word "failed".
    summary = proof.outputs["tests"].strip().splitlines()[-1]
    assert re.search(r"\b\d+ passed\b", summary) and not re.search(r"\b\d+ (failed|error)", summary), summary
    assert (proof.path / "artifacts" / "model.keras").is_file()
