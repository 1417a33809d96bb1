"""The TensorFlow starter, end to end on the CPU, as a user runs it: generate, install the pins
into a fresh venv, train, run the project's own tests (the harness), then use the project the
way its README says: write an image folder, train on it through the real loader, resume from the
checkpoint, and classify image files with the exported SavedModel."""

from __future__ import annotations

import re

import pytest

from .harness import Proof, prove_starter

pytestmark = pytest.mark.e2e


def _own_images_resume_and_predict(proof: Proof) -> None:
    package = proof.project.package
    python = str(proof.python)
    proof.run(python, "-m", package, "make-data", "data", "--num-examples", "600", step="make-data")
    proof.run(python, "-m", package, "train", "--data-dir", "data", "--artifacts-dir", "own", "--epochs", "6",
              step="train-own-images")
    resumed = proof.run(python, "-m", package, "train", "--data-dir", "data", "--artifacts-dir", "own",
                        "--epochs", "7", step="resume").stdout
    assert "resumed from" in resumed and "epoch 7/7" in resumed and "epoch 6/7" not in resumed
    images = sorted(str(p.relative_to(proof.path)) for p in (proof.path / "data" / "vertical").glob("*.png"))[:5]
    predicted = proof.run(python, "-m", package, "predict", *images, "--model", "own/export/2", step="predict").stdout
    classes = [line.split("\t")[1] for line in predicted.strip().splitlines()]
    assert classes == ["vertical"] * 5, predicted


def test_tensorflow_training_end_to_end(tmp_path):
    proof = prove_starter(tmp_path, framework="tensorflow", name="Image Trainer",
                          extra=_own_images_resume_and_predict)
    train = proof.outputs["train"]
    assert "OneDeviceStrategy with 1 replica" in train
    final = re.search(r"final: val_loss [\d.]+ val_accuracy ([\d.]+)", train)
    assert final and float(final.group(1)) > 0.9, train[-2000:]
    assert (proof.path / "artifacts" / "export" / "1" / "saved_model.pb").is_file()
    # every test ran (none skipped) and passed: the starter's seven and the shared `check` tests
    summary = proof.outputs["tests"]
    assert re.search(r"\b\d+ passed\b", summary) and not re.search(r"\b\d+ (failed|error|skipped)", summary), summary
