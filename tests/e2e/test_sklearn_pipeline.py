"""The scikit-learn starter, end to end, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

import scaffold

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
    _check_and_lock(proof)


def _check_and_lock(proof: Proof) -> None:
    """The project's own `check` in its real venv, then a lock that pip installs with hashes."""
    checked = proof.run(str(proof.python), "-m", proof.project.package, "check", step="check")
    assert "all good" in checked.stdout and "PROBLEM" not in checked.stdout
    assert "packages: " in checked.stdout and "pinned distributions installed at their pins" in checked.stdout
    # A pin moved away from its version is a problem, with what to do, and exit status 1.
    proof.run(str(proof.python), "-m", "pip", "install", "-q", "joblib==1.5.2", step="downgrade")
    broken = subprocess.run([str(proof.python), "-m", proof.project.package, "check"], cwd=proof.path, env=proof.env,
                            capture_output=True, text=True, timeout=120)
    assert broken.returncode == 1 and "joblib 1.5.2 is installed, pinned 1.6.0" in broken.stdout, broken.stdout

    # `scaffold lock` (this interpreter's scaffold) for the project's target, then install from the lock.
    started = time.perf_counter()
    result = scaffold.lock(proof.path)
    proof.seconds["lock"] = round(time.perf_counter() - started, 1)
    assert result.packages > len(proof.project.pins.requirements)
    proof.run(str(proof.python), "-m", "pip", "install", "-q", "--require-hashes", "-r", "requirements.lock",
              step="install-lock")
    proof.run(str(proof.python), "-m", "pip", "install", "-q", "--no-deps", "-e", ".", step="install-project")
    again = proof.run(str(proof.python), "-m", proof.project.package, "check", "--json", step="check-locked")
    assert json.loads(again.stdout)["ok"] is True


def test_sklearn_pipeline_end_to_end(tmp_path):
    proof = prove_starter(tmp_path, framework="sklearn", name="Churn Model", extra=_evaluate_and_predict)
    assert "test accuracy" in proof.outputs["train"]
    assert " passed" in proof.outputs["tests"] and "failed" not in proof.outputs["tests"]
    meta = json.loads((proof.path / "artifacts" / "metadata.json").read_text())
    assert meta["test"]["accuracy"] > 0.9 and meta["versions"]["scikit-learn"] == proof.project.pins.framework_version
