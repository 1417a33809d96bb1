"""The scikit-learn starter, end to end, as a user runs it."""

from __future__ import annotations

import json

import pytest

from .harness import Proof, prove_starter

pytestmark = pytest.mark.e2e


def _evaluate_and_predict(proof: Proof) -> None:
    proof.run(str(proof.python), "-m", proof.project.package, "evaluate", step="evaluate")
    metrics = json.loads((proof.path / "artifacts" / "metrics.json").read_text())
    assert metrics["metrics"]["accuracy"] > 0.9
    assert (proof.path / "artifacts" / "confusion_matrix.png").stat().st_size > 1000
    proof.run(str(proof.python), "-m", proof.project.package, "predict", "data/penguins.csv", "-o", "out.csv",
              step="predict")
    assert (proof.path / "out.csv").read_text().count("\n") == 345


def test_sklearn_pipeline_end_to_end(tmp_path):
    proof = prove_starter(tmp_path, framework="sklearn", name="Churn Model", extra=_evaluate_and_predict)
    assert "test accuracy" in proof.outputs["train"]
    assert " passed" in proof.outputs["tests"] and "failed" not in proof.outputs["tests"]
    meta = json.loads((proof.path / "artifacts" / "metadata.json").read_text())
    assert meta["test"]["accuracy"] > 0.9 and meta["versions"]["scikit-learn"] == proof.project.pins.framework_version
