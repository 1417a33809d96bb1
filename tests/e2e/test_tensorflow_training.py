"""The TensorFlow starter, end to end on the CPU, as a user runs it: generate, install the pins
into a fresh venv, train, run the project's own tests (the harness), then point it at images it
never shipped, as its README says: scikit-learn's bundled 8x8 digits written as PNG files, one
folder per class. A rerun on them must start fresh (not resume the synthetic run), score a held-out
split, evaluate through the model's own class names, predict to CSV, and answer broken data with
one line and exit status 2. (`--resume` and its refusals are exercised by the project's own tests.)"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from .harness import Proof, prove_starter

pytestmark = pytest.mark.e2e

# Measured here: 0.96-0.98 held-out accuracy after 8 epochs (10 classes, chance 0.1); the floor
# leaves room for another CPU's arithmetic, not for a model that learned nothing.
DIGITS_FLOOR = 0.85


def _write_digits(root: Path) -> int:
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    for i, (image, target) in enumerate(zip(digits.images, digits.target, strict=True)):
        folder = root / f"digit_{target}"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.round(image * 255 / 16).astype(np.uint8)).save(folder / f"{i:04d}.png")
    return len(digits.target)


def _fails_with_one_line(proof: Proof, *args: str, expect: str) -> None:
    result = subprocess.run([str(proof.python), "-m", proof.project.package, *args], cwd=proof.path, env=proof.env,
                            capture_output=True, text=True, timeout=300, check=False)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and len(errors) == 1 and expect in errors[0], result.stderr[-3000:]


def _metrics(proof: Proof) -> dict[str, float]:
    return json.loads((proof.path / "artifacts" / "metrics.json").read_text())


def _own_images(proof: Proof) -> None:
    python, package = str(proof.python), proof.project.package
    total = _write_digits(proof.path / "digits")

    # The README's order: `train` (synthetic, done by the harness), then `train --data` on the user's images.
    out = proof.run(python, "-m", package, "train", "--data-dir", "digits", "--epochs", "8", step="train-digits")
    text = out.stdout + out.stderr
    assert "fresh run" in text and "epoch 1/8" in text and "resumed" not in text, text[-3000:]
    assert (proof.path / "artifacts" / "previous-1" / "checkpoints" / "checkpoint").is_file()
    trained = _metrics(proof)
    assert trained["accuracy"] >= DIGITS_FLOOR, trained
    assert 0 < trained["test_images"] < total * 0.2
    proof.outputs["digits-accuracy"] = str(trained["accuracy"])

    proof.run(python, "-m", package, "evaluate", step="evaluate")
    assert _metrics(proof)["accuracy"] == pytest.approx(trained["accuracy"])
    assert _metrics(proof)["images"] == trained["test_images"]

    # A holdout folder with only some classes: scored through the model's saved class names.
    subset = proof.path / "digits-subset"
    for name in ("digit_3", "digit_7"):
        shutil.copytree(proof.path / "digits" / name, subset / name)
    proof.run(python, "-m", package, "evaluate", "--data", "digits-subset", step="evaluate-data")
    assert _metrics(proof)["accuracy"] >= DIGITS_FLOOR, _metrics(proof)

    proof.run(python, "-m", package, "predict", "--data", "digits-subset", "--output", "predictions.csv",
              step="predict")
    rows = list(csv.DictReader((proof.path / "predictions.csv").open()))
    assert len(rows) == sum(1 for _ in subset.rglob("*.png"))
    assert list(rows[0])[:2] == ["path", "prediction"] and len(rows[0]) == 2 + 10
    right = np.mean([row["prediction"] == Path(row["path"]).parent.name for row in rows])
    assert right >= DIGITS_FLOOR, right

    # Broken data: one line, exit 2 (the project's own tests cover many more cases in-process).
    bad = proof.path / "bad"
    shutil.copytree(proof.path / "digits" / "digit_1", bad / "digit_1")
    _fails_with_one_line(proof, "train", "--data", "bad", "--artifacts-dir", "bad-artifacts",
                         expect="at least two")
    shutil.copytree(proof.path / "digits" / "digit_2", bad / "digit_2")
    sorted((bad / "digit_2").glob("*.png"))[0].write_bytes(b"\x89PNG\r\n\x1a\n broken")
    _fails_with_one_line(proof, "train", "--data", "bad", "--artifacts-dir", "bad-artifacts",
                         expect="cannot decode this image")
    assert not (proof.path / "bad-artifacts").exists()
    (bad / "digit_2" / "notes.txt").write_text("not an image")
    _fails_with_one_line(proof, "evaluate", "--data", "bad", expect="notes.txt: not an image file")


def test_tensorflow_training_end_to_end(tmp_path):
    proof = prove_starter(tmp_path, framework="tensorflow", name="Image Trainer", extra=_own_images)
    train = proof.outputs["train"]
    assert "OneDeviceStrategy with 1 replica" in train
    synthetic = re.search(r"metrics: accuracy=([\d.]+)", train)
    assert synthetic and float(synthetic.group(1)) > 0.9, train[-2000:]
    assert (proof.path / "artifacts" / "export" / "1" / "saved_model.pb").is_file()
    # every test ran (none skipped) and passed: the starter's own and the shared `check` tests
    summary = proof.outputs["tests"]
    assert re.search(r"\b\d+ passed\b", summary) and not re.search(r"\b\d+ (failed|error|skipped)", summary), summary
    print(f"\ndigits held-out accuracy: {proof.outputs['digits-accuracy']}")
